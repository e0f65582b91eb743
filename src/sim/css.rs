//! Huawei Cloud Search Service (CSS) API: clusters, extend, tags, snapshot policy, password reset.
//!
//! Registered in [`super::MODULES`]; served under `/css`, admin back doors under
//! `/_admin/css`. Not yet written: the routers are empty.

use axum::http::StatusCode;
use axum::Router;
use serde_json::Value;

use super::{Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "css",
    rate_limited: false,
    error_body,
};

fn error_body(status: StatusCode, message: &str) -> Value {
    let _ = status;
    serde_json::json!({"errCode": "CSS.0001", "externalMessage": message})
}

#[derive(Debug, Default)]
pub struct State {}

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
}
