//! CloudBasic Multi-AZ HA API (`POST /api/<Action>`, SigV4, JSON or XML).
//!
//! Registered in [`super::MODULES`]; served under `/cloudbasic`, admin back doors under
//! `/_admin/cloudbasic`. Not yet written: the routers are empty.

use axum::http::StatusCode;
use axum::Router;
use serde_json::Value;

use super::{Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "cloudbasic",
    rate_limited: false,
    error_body,
};

fn error_body(status: StatusCode, message: &str) -> Value {
    let _ = status;
    serde_json::json!({"errors": [message], "requestId": 0})
}

#[derive(Debug, Default)]
pub struct State {}

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
}
