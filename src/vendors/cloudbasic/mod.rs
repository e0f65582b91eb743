//! CloudBasic Multi-AZ HA clusters over SigV4-signed JSON or XML.
//!
//! - [`signing`]: AWS Signature Version 4 through `aws-sigv4`'s request signer.
//! - [`body`]: the JSON and XML encodings of requests and of the API's answers.
//! - [`validate`]: plan-time checks of server addresses and the endpoint URL.
//! - [`client`]: ActivateInstance, CreateCluster, AlterCluster and DeleteCluster over the shared
//!   HTTP client.
//! - [`schema`], [`model`], [`resource`]: `cloudbasic_cluster`, write-only because the API has
//!   no read action.
//! - [`instance`]: `cloudbasic_instance`, ActivateInstance and the key pair it returns.
//! - [`provider`]: `provider "cloudbasic"`.

pub mod body;
pub mod client;
pub mod instance;
pub mod model;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod signing;
pub mod validate;

pub use provider::CloudBasicProvider;
