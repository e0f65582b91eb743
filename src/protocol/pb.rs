//! Generated protobuf/gRPC code (see `build.rs` and `proto/`).
//!
//! - [`tfplugin5`]: Terraform plugin protocol 5.9 (`Provider` and `Provisioner` services)
//! - [`tfplugin6`]: Terraform plugin protocol 6.9 (`Provider` service)
//! - [`plugin`]: go-plugin's `GRPCController`, `GRPCStdio` and `GRPCBroker`
//! - [`google::protobuf`]: the well-known types the protocols use (`Timestamp`);
//!   `google.protobuf.Empty` is mapped to `()`.
//!
//! Each module has `<service>_server` (trait + tonic server) and
//! `<service>_client` submodules.
#![allow(
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    rustdoc::bare_urls,
    rustdoc::invalid_html_tags,
    rustdoc::broken_intra_doc_links
)]

/// Terraform plugin protocol 5.9.
pub mod tfplugin5 {
    tonic::include_proto!("tfplugin5");
}

/// Terraform plugin protocol 6.9.
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's built-in services (package `plugin`).
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// Well-known protobuf types referenced by the protocols.
pub mod google {
    /// Package `google.protobuf`.
    pub mod protobuf {
        tonic::include_proto!("google.protobuf");
    }
}
