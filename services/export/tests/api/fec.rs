//! `ExportFec`: a year of a company's activity comes out as a FEC that the independent
//! checker accepts, with the expected accounts and lettering, in chunks of at most
//! 64 KiB; a file with one amount changed fails the checker; bad years and callers are
//! refused before anything is streamed.

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::export::v1::{
    ExportFecRequest, FecSeparator, export_service_client::ExportServiceClient,
};
use comptoir_test_support::{Harness, bad_fields, bearer, scoped_token};
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::books::{Books, day, document, line, party, payment};
use crate::fec_checker::{self, Checked};
use crate::ledger::wait_for;
use crate::start;

/// The SIREN of the test company.
pub(crate) const SIREN: &str = "732829320";

/// A streamed file: its name, type, bytes and the size of each chunk.
pub(crate) struct Received {
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) chunk_sizes: Vec<usize>,
}

/// Collects a streamed file's chunks.
pub(crate) async fn receive<T>(
    mut stream: tonic::Streaming<T>,
    chunk: fn(T) -> Option<comptoir_proto::export::v1::FileChunk>,
) -> Result<Received, Status> {
    let mut received = Received {
        name: String::new(),
        content_type: String::new(),
        bytes: Vec::new(),
        chunk_sizes: Vec::new(),
    };
    while let Some(message) = stream.message().await? {
        let part = chunk(message).expect("every response carries a chunk");
        if received.chunk_sizes.is_empty() {
            received.name = part.file_name;
            received.content_type = part.content_type;
        } else {
            assert!(
                part.file_name.is_empty(),
                "only the first chunk names the file"
            );
        }
        received.chunk_sizes.push(part.data.len());
        received.bytes.extend_from_slice(&part.data);
    }
    Ok(received)
}

/// ExportFec for `company_id`'s year `start`..`closing`.
pub(crate) async fn export_fec(
    client: &ExportServiceClient<Channel>,
    token: &str,
    company_id: &str,
    (start, closing): (&str, &str),
    separator: FecSeparator,
) -> Result<Received, Status> {
    let stream = client
        .clone()
        .export_fec(bearer(
            ExportFecRequest {
                company_id: company_id.to_owned(),
                fiscal_year_start: start.to_owned(),
                closing_date: closing.to_owned(),
                separator: separator as i32,
            },
            token,
        ))
        .await?
        .into_inner();
    receive(stream, |r| r.chunk).await
}

/// The FEC of 2026 for `books`, checked by the independent checker.
pub(crate) async fn checked_fec(client: &ExportServiceClient<Channel>, books: &Books) -> Checked {
    let file = export_fec(
        client,
        &books.token,
        &books.company_id.to_string(),
        ("2026-01-01", "2026-12-31"),
        FecSeparator::Pipe,
    )
    .await
    .expect("the FEC");
    fec_checker::check(
        &file.name,
        &file.bytes,
        SIREN,
        day("2026-01-01"),
        day("2026-12-31"),
    )
    .unwrap_or_else(|errors| panic!("the FEC is refused: {errors:#?}"))
}

/// A year of activity: invoices at every French rate, goods and services, one with a
/// VAT exemption, a credit note, partial and full payments, a purchase invoice paid, and
/// an invoice of the next year. Waits until the projection holds it all.
pub(crate) async fn a_year_of_activity(harness: &Harness) -> Books {
    a_year_of_activity_in(harness, Books::open(harness, SIREN).await).await
}

/// The year of activity of `books`' company.
pub(crate) async fn a_year_of_activity_in(harness: &Harness, mut books: Books) -> Books {
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    let martin = party("Martin | Fils", "", "FR");
    let first = document(
        "invoice",
        "F-2026-0001",
        "2026-01-15",
        &dupont,
        vec![
            line("20", "goods", "1200.00"),
            line("20", "services", "350.50"),
            line("10", "services", "99.99"),
            line("5.5", "goods", "45.10"),
            line("2.1", "goods", "12.34"),
        ],
    );
    let exempt = document(
        "invoice",
        "F-2026-0002",
        "2026-02-03",
        &martin,
        vec![line("0", "services", "800.00")],
    );
    let third = document(
        "invoice",
        "F-2026-0003",
        "2026-03-20",
        &martin,
        vec![line("20", "goods", "19.99"), line("5.5", "goods", "3.33")],
    );
    let credit_note = document(
        "credit_note",
        "A-2026-0001",
        "2026-04-02",
        &dupont,
        vec![line("20", "goods", "200.00")],
    );
    let supplier = party("Moulin SA", "MOULIN", "FR");
    let purchase = document(
        "purchase_invoice",
        "M-2026-77",
        "2026-02-10",
        &supplier,
        vec![
            line("5.5", "goods", "640.00"),
            line("20", "services", "90.00"),
        ],
    );
    let next_year = document(
        "invoice",
        "F-2027-0001",
        "2027-01-05",
        &dupont,
        vec![line("20", "goods", "10.00")],
    );
    for document in [&first, &exempt, &purchase, &third, &credit_note, &next_year] {
        books.issue(harness, document).await;
    }
    books
        .pay(
            harness,
            payment("received", "2026-02-01", &dupont, &[(&first, "1000.00")]),
        )
        .await;
    let rest = rust_decimal::Decimal::from_str_exact(&first.gross_total).unwrap()
        - rust_decimal::Decimal::new(100000, 2);
    books
        .pay(
            harness,
            payment(
                "received",
                "2026-03-01",
                &dupont,
                &[(&first, &rest.to_string())],
            ),
        )
        .await;
    books
        .pay(
            harness,
            payment("received", "2026-02-20", &martin, &[(&exempt, "800.00")]),
        )
        .await;
    books
        .pay(
            harness,
            payment("received", "2026-03-25", &martin, &[(&third, "10.00")]),
        )
        .await;
    books
        .pay(
            harness,
            payment(
                "paid",
                "2026-03-10",
                &supplier,
                &[(&purchase, &purchase.gross_total)],
            ),
        )
        .await;
    wait_for(harness, books.company_id, 11, 3).await;
    books
}

#[tokio::test]
async fn a_year_of_activity_comes_out_as_a_fec_the_checker_accepts() {
    let (harness, export) = start().await;
    let books = a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);
    let file = export_fec(
        &client,
        &books.token,
        &books.company_id.to_string(),
        ("2026-01-01", "2026-12-31"),
        FecSeparator::Pipe,
    )
    .await
    .unwrap();
    assert_eq!(file.name, "732829320FEC20261231.txt");
    assert!(file.content_type.starts_with("text/plain"));
    let checked = fec_checker::check(
        &file.name,
        &file.bytes,
        SIREN,
        day("2026-01-01"),
        day("2026-12-31"),
    )
    .unwrap_or_else(|errors| panic!("the FEC is refused: {errors:#?}"));
    let text = String::from_utf8(file.bytes.clone()).unwrap();
    assert!(text.starts_with("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|"));
    assert!(
        text.contains("VT|Ventes|1|20260115|411DUPONT|Dupont SARL|DUPONT|Dupont SARL|F-2026-0001|20260115|Facture F-2026-0001 Dupont SARL|2030,77|0,00|AA|20260301|20260115||\r\n"),
        "{text}"
    );
    assert!(
        text.contains("|707100|Ventes de marchandises 20 %|||F-2026-0001|"),
        "{text}"
    );
    assert!(
        !text.contains("F-2027-0001"),
        "the next year's invoice is not in 2026"
    );
    assert!(
        !text.contains("Martin | Fils"),
        "the separator never appears in a field"
    );
    // Sales: VT 1..4 in date order; purchases AC 1; bank BQ 1..5.
    let numbers = |journal: &str| {
        let mut numbers: Vec<u64> = checked
            .lines
            .iter()
            .filter(|l| l.journal == journal)
            .map(|l| l.number)
            .collect();
        numbers.dedup();
        numbers
    };
    assert_eq!(numbers("VT"), [1, 2, 3, 4]);
    assert_eq!(numbers("AC"), [1]);
    assert_eq!(numbers("BQ"), [1, 2, 3, 4, 5]);
    // The partly paid third invoice is not lettered; the others are, the exempt one with
    // its payment's date.
    let lettered: Vec<(&str, &str, Option<chrono::NaiveDate>)> = checked
        .lines
        .iter()
        .filter(|l| !l.lettering.is_empty())
        .map(|l| (l.piece.as_str(), l.lettering.as_str(), l.lettered_on))
        .collect();
    assert_eq!(
        lettered.iter().filter(|(_, code, _)| *code == "AA").count(),
        3
    );
    assert!(lettered.contains(&("F-2026-0002", "AB", Some(day("2026-02-20")))));
    assert!(lettered.contains(&("M-2026-77", "AC", Some(day("2026-03-10")))));
    assert!(!lettered.iter().any(|(piece, _, _)| *piece == "F-2026-0003"));
    // Revenue at 20 % goods: 1200 + 19.99 − 200 (credit note).
    assert_eq!(checked.balance("707100"), 101999);
    assert_eq!(checked.balance("4456"), -(3520 + 1800));

    // One amount changed: the checker refuses the file.
    let tampered = text.replacen("|2030,77|0,00|", "|2030,76|0,00|", 1);
    assert_ne!(tampered, text);
    let errors = fec_checker::check(
        &file.name,
        tampered.as_bytes(),
        SIREN,
        day("2026-01-01"),
        day("2026-12-31"),
    )
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("entry VT 1") && e.contains("debit 203076")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_large_fec_comes_tab_separated_in_chunks_of_at_most_64_kib() {
    let (harness, export) = start().await;
    let mut books = Books::open(&harness, SIREN).await;
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    for n in 0..150u32 {
        let date = format!("2026-{:02}-{:02}", n % 12 + 1, n % 28 + 1);
        let invoice = document(
            "invoice",
            &format!("F-{n:04}"),
            &date,
            &dupont,
            vec![
                line("20", "goods", "10.00"),
                line("10", "services", "5.55"),
                line("5.5", "goods", "1.01"),
            ],
        );
        books.issue(&harness, &invoice).await;
    }
    wait_for(&harness, books.company_id, 150, 0).await;
    let client = ExportServiceClient::new(export.channel().await);
    let file = export_fec(
        &client,
        &books.token,
        &books.company_id.to_string(),
        ("2026-01-01", "2026-12-31"),
        FecSeparator::Tab,
    )
    .await
    .unwrap();
    assert!(file.chunk_sizes.len() > 1, "{:?}", file.chunk_sizes);
    assert!(file.chunk_sizes.iter().all(|size| *size <= 64 * 1024));
    let checked = fec_checker::check(
        &file.name,
        &file.bytes,
        SIREN,
        day("2026-01-01"),
        day("2026-12-31"),
    )
    .unwrap_or_else(|errors| panic!("the FEC is refused: {errors:#?}"));
    assert_eq!(checked.lines.len(), 150 * 7);
    assert!(
        String::from_utf8(file.bytes)
            .unwrap()
            .starts_with("JournalCode\tJournalLib\t")
    );
}

#[tokio::test]
async fn bad_years_and_callers_who_may_not_read_the_company_are_refused() {
    let (harness, export) = start().await;
    let books = Books::open(&harness, SIREN).await;
    let client = ExportServiceClient::new(export.channel().await);
    let company = books.company_id.to_string();
    let refused = async |token: &str, company: &str, year: (&str, &str)| match export_fec(
        &client,
        token,
        company,
        year,
        FecSeparator::Unspecified,
    )
    .await
    {
        Ok(_) => panic!("the FEC was exported"),
        Err(status) => status,
    };
    let before = refused(&books.token, &company, ("2026-01-01", "2025-12-31")).await;
    assert_eq!(
        (before.code(), bad_fields(&before)),
        (Code::InvalidArgument, vec!["closing_date".to_owned()])
    );
    let too_long = refused(&books.token, &company, ("2026-01-01", "2028-01-01")).await;
    assert_eq!(
        (too_long.code(), bad_fields(&too_long)),
        (Code::InvalidArgument, vec!["closing_date".to_owned()])
    );
    let malformed = refused(&books.token, "", ("2026-13-01", "")).await;
    assert_eq!(
        bad_fields(&malformed),
        ["company_id", "fiscal_year_start", "closing_date"]
    );

    let other_company = scoped_token(
        &harness.db,
        uuid::Uuid::now_v7(),
        &[Permission::ExportsRead],
    )
    .await;
    assert_eq!(
        refused(&other_company, &company, ("2026-01-01", "2026-12-31"))
            .await
            .code(),
        Code::NotFound
    );
    let no_permission =
        scoped_token(&harness.db, books.company_id, &[Permission::InvoicesIssue]).await;
    assert_eq!(
        refused(&no_permission, &company, ("2026-01-01", "2026-12-31"))
            .await
            .code(),
        Code::PermissionDenied
    );
    // The company's FEC for a year without entries is the header alone.
    let empty = export_fec(
        &client,
        &books.token,
        &company,
        ("2025-01-01", "2025-12-31"),
        FecSeparator::Pipe,
    )
    .await
    .unwrap();
    assert_eq!(empty.bytes.iter().filter(|b| **b == b'\n').count(), 1);
}

#[tokio::test]
async fn a_document_settled_across_the_closing_date_is_lettered_in_neither_years_fec() {
    let (harness, export) = start().await;
    let mut books = Books::open(&harness, SIREN).await;
    let dupont = party("Dupont SARL", "DUPONT", "FR");
    let december = document(
        "invoice",
        "F-2026-0099",
        "2026-12-20",
        &dupont,
        vec![line("20", "services", "100.00")],
    );
    books.issue(&harness, &december).await;
    books
        .pay(
            &harness,
            payment("received", "2027-01-10", &dupont, &[(&december, "120.00")]),
        )
        .await;
    wait_for(&harness, books.company_id, 2, 1).await;
    let client = ExportServiceClient::new(export.channel().await);
    let fec_2026 = checked_fec(&client, &books).await;
    assert_eq!(fec_2026.lines.len(), 3, "the invoice alone");
    assert!(fec_2026.lines.iter().all(|l| l.lettering.is_empty()));
    let file = export_fec(
        &client,
        &books.token,
        &books.company_id.to_string(),
        ("2027-01-01", "2027-12-31"),
        FecSeparator::Pipe,
    )
    .await
    .unwrap();
    let fec_2027 = fec_checker::check(
        &file.name,
        &file.bytes,
        SIREN,
        day("2027-01-01"),
        day("2027-12-31"),
    )
    .unwrap_or_else(|errors| panic!("the FEC is refused: {errors:#?}"));
    assert_eq!(fec_2027.lines.len(), 2, "the payment alone");
    assert!(
        fec_2027.lines.iter().all(|l| l.lettering.is_empty()),
        "its invoice is in 2026's file"
    );
}
