//! Instaclustr: managed clusters through the provisioning API v1.
//!
//! - [`client`]: typed provisioning API calls.
//! - [`schema`], [`model`], [`resource`]: `instaclustr_cluster`.
//! - [`data_credentials`], [`data_clusters`]: the data sources `instaclustr_cluster_credentials`
//!   and `instaclustr_clusters`.
//! - [`provider`]: `provider "instaclustr"`.

pub mod client;
pub mod data_clusters;
pub mod data_credentials;
pub mod model;
pub mod provider;
pub mod resource;
pub mod schema;

pub use provider::InstaclustrProvider;
