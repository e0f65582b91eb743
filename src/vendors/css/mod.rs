//! Huawei Cloud Search Service (CSS): clusters over IAM token auth.
//!
//! - [`token`]: the IAM token of the provider process (fetched once, shared, renewed).
//! - [`client`]: typed CSS API calls.
//! - [`schema`], [`model`], [`resource`]: `css_cluster`.
//! - [`refresh`]: one cluster as the API reports it, for the resource and the data source.
//! - [`data_cluster`]: `data "css_cluster"`.
//! - [`waits`]: concurrent waits sharing the project's cluster list.
//! - [`provider`]: `provider "css"`.

pub mod client;
pub mod data_cluster;
pub mod model;
pub mod provider;
pub mod refresh;
pub mod resource;
pub mod schema;
pub mod token;
pub mod waits;

pub use provider::CssProvider;
