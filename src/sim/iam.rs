//! Huawei Cloud IAM token API used by CSS (`POST /v3/auth/tokens`).
//!
//! Registered in [`super::MODULES`]; served under `/iam`, admin back doors under
//! `/_admin/iam`. Not yet written: the routers are empty.

use axum::http::StatusCode;
use axum::Router;
use serde_json::Value;

use super::{Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "iam",
    rate_limited: false,
    error_body,
};

fn error_body(status: StatusCode, message: &str) -> Value {
    let _ = status;
    serde_json::json!({"error": {"code": status.as_u16(), "message": message}})
}

#[derive(Debug, Default)]
pub struct State {}

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
}
