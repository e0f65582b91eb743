//! Instaclustr: managed clusters through the provisioning API v1.
//!
//! - [`client`]: typed provisioning API calls.
//! - [`schema`], [`model`], [`resource`]: `instaclustr_cluster`; [`options`] (bundle option
//!   names and types), [`equality`] (spellings that mean the same), [`validation`] (plan-time
//!   checks), [`rules`] and [`resize`] (what changes in place), [`upgrade`] (older states).
//! - [`data_credentials`], [`data_clusters`]: the data sources `instaclustr_cluster_credentials`
//!   and `instaclustr_clusters`.
//! - [`waits`]: concurrent waits sharing the account's cluster list.
//! - [`provider`]: `provider "instaclustr"`.

pub mod client;
pub mod data_clusters;
pub mod data_credentials;
pub mod equality;
pub mod model;
pub mod options;
pub mod provider;
pub mod resize;
pub mod resource;
pub mod rules;
pub mod schema;
pub mod upgrade;
pub mod validation;
pub mod waits;

pub use provider::InstaclustrProvider;
