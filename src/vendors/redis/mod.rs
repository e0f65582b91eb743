//! Redis Enterprise Software: cluster bootstrap, create and join, through each node's REST API.
//!
//! `client` speaks to one node at a time; `model`, `schema` and `resource` make up
//! `redis_bootstrap`, with `start` (finding or starting a bootstrap, safely repeated) and
//! `adopt` (checking a bootstrap it did not post against the configuration); `provider` holds
//! the TLS settings and the credentials imports read with. `data_node` is `data "redis_node"`,
//! a node's own view of itself (`addresses`: the address list it reports).

pub mod addresses;
pub mod adopt;
pub mod client;
pub mod data_node;
pub mod model;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod start;

pub use provider::RedisProvider;
