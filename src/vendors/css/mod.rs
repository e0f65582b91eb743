//! Huawei Cloud Search Service (CSS): clusters over IAM token auth.
//!
//! - [`token`]: the IAM token of the provider process (fetched once, shared, renewed).
//! - [`client`]: typed CSS API calls.
//! - [`schema`], [`model`], [`resource`]: `css_cluster`.
//! - [`provider`]: `provider "css"`.

pub mod client;
pub mod model;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod token;

pub use provider::CssProvider;
