//! Export's use cases, one function per query or file ([`files`] streams the files,
//! [`sheet`] writes every spreadsheet): each opens its transaction through
//! `store::begin` (naming the company for row-level security), reads the projection and
//! applies the domain's rules. Proto types and statuses stay in `grpc/`. The projection's
//! writes ([`ledger`], [`documents::keep`]) run in the consumers' transactions. [`jobs`]
//! runs the same files as background jobs.

pub(crate) mod documents;
pub(crate) mod documents_pdf;
pub(crate) mod einvoice;
pub(crate) mod fec;
pub(crate) mod files;
pub(crate) mod jobs;
pub(crate) mod ledger;
pub(crate) mod profiles;
pub(crate) mod report_files;
pub(crate) mod reports;
pub(crate) mod sheet;
