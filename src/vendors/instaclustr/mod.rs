//! Instaclustr: managed clusters through the provisioning API v1.

pub mod client;
pub mod provider;
pub mod resource;

pub use provider::InstaclustrProvider;
