//! Instaclustr: managed clusters through the provisioning API v1.
//!
//! - [`client`]: typed provisioning API calls.
//! - [`schema`], [`model`], [`resource`]: `instaclustr_cluster`.
//! - [`provider`]: `provider "instaclustr"`.

pub mod client;
pub mod model;
pub mod provider;
pub mod resource;
pub mod schema;

pub use provider::InstaclustrProvider;
