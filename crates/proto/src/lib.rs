//! Rust types generated from `proto/`: one module per versioned package, plus the file
//! descriptor set that the gRPC server hands to reflection. Services convert these types to
//! their own domain types at the gRPC edge; the only hand-written part is `convert`, the
//! conversions of the shared `comptoir.types.v1` messages and the company events' identity
//! accessors, so every service converts them the same way.

#![allow(unreachable_pub, clippy::all, clippy::pedantic, missing_docs)]

mod convert;

/// Encoded `FileDescriptorSet` of every contract, for `grpc.reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/comptoir_descriptor.bin"));

/// `comptoir.types.v1`: messages several contracts share (postal address, legal identity).
pub mod types {
    pub mod v1 {
        tonic::include_proto!("comptoir.types.v1");
    }
}

/// `comptoir.identity.v1`: accounts, logins and signing keys.
pub mod identity {
    pub mod v1 {
        tonic::include_proto!("comptoir.identity.v1");
    }
}

/// `comptoir.tenancy.v1`: companies and who may act on them.
pub mod tenancy {
    pub mod v1 {
        tonic::include_proto!("comptoir.tenancy.v1");

        /// The shared address under the name tenancy's contract gave the message it
        /// replaced (same wire format), so code written against `tenancy::v1::Address`
        /// still compiles.
        pub use super::super::types::v1::PostalAddress as Address;
    }
}

/// `comptoir.billing.v1`: each company's books of documents.
pub mod billing {
    pub mod v1 {
        tonic::include_proto!("comptoir.billing.v1");

        /// The shared address under the name billing's contract gave the message it
        /// replaced (same wire format), so code written against it still compiles.
        pub use super::super::types::v1::PostalAddress;
    }
}

/// `comptoir.accountant_portal.v1`: an accounting firm's workspace.
pub mod accountant_portal {
    pub mod v1 {
        tonic::include_proto!("comptoir.accountant_portal.v1");
    }
}

/// `comptoir.export.v1`: documents that leave the platform.
pub mod export {
    pub mod v1 {
        tonic::include_proto!("comptoir.export.v1");
    }
}

/// `comptoir.events.v1`: payloads of the domain events published on NATS.
pub mod events {
    pub mod v1 {
        tonic::include_proto!("comptoir.events.v1");
    }
}
