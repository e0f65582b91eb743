//! Redis Enterprise Software nodes (bootstrap, cluster, nodes), one base URL per node.
//!
//! Registered in [`super::MODULES`]; served under `/redis`, admin back doors under
//! `/_admin/redis`. Not yet written: the routers are empty.

use axum::http::StatusCode;
use axum::Router;
use serde_json::Value;

use super::{Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "redis",
    rate_limited: false,
    error_body,
};

fn error_body(status: StatusCode, message: &str) -> Value {
    let _ = status;
    serde_json::json!({"error_code": "error", "message": message})
}

#[derive(Debug, Default)]
pub struct State {}

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
}
