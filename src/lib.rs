//! clusterform: Terraform/OpenTofu providers speaking the plugin protocol natively.
//!
//! `protocol` speaks to Terraform, `framework` is what a resource author touches, `http` is the
//! one place HTTP behaviour lives, `vendors` holds the four APIs' clients and resources, and
//! `sim` simulates those APIs independently of the clients (feature `simulator`, on by default;
//! the provider binaries do not need it: `cargo build --no-default-features --bins`).

pub mod framework;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod protocol;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod vendors;
