//! The Terraform plugin protocol: go-plugin handshake, AutoMTLS, go-plugin's services, and the
//! v5/v6 gRPC Provider services as thin translators onto `framework::server::Server`.

pub mod goplugin;
mod grpc_routes;
pub mod handshake;
pub mod logging;
pub mod pb;
pub mod serve;
mod service;
pub mod tls;
mod v5;
mod v6;
mod wire;

pub use serve::serve_provider;
#[cfg(test)]
mod configure_tests;
#[cfg(test)]
mod write_only_tests;
