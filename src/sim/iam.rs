//! Simulated Huawei Cloud IAM token API (`POST /v3/auth/tokens`), mounted under `/iam`, used by
//! the CSS API (`super::css`) to check `X-Auth-Token`.
//!
//! Written from the IAM documentation as summarised in `shared/spec/api-facts.md`, never from
//! this crate's own client.
//!
//! # Endpoint
//! | request | success | notes |
//! | --- | --- | --- |
//! | `POST /v3/auth/tokens` | **201**, token in the `X-Subject-Token` header, body `{"token": {"expires_at", "issued_at", "methods", "project", "user", "roles", "catalog"}}` | password method only |
//!
//! # Default account
//! Domain `demo-domain`, user `demo`, password `demo-password`, project id `demo-project`
//! (project name `demo-region`). Tokens live 24 h unless the admin API says otherwise.
//!
//! # Simulator choices (the docs are silent)
//! - **Body**: `auth.identity.methods` must contain `"password"`; `auth.identity.password.user`
//!   needs `name`, `password` and `domain.name` (strings). Anything else malformed → 400.
//! - **Wrong domain, user or password** → 401 `{"error": {"code": 401, "message": "The username
//!   or password is wrong.", "title": "Unauthorized"}}` (the same text for each, so the answer
//!   does not tell which part was wrong).
//! - **Scope**: `scope.project.id` must be the account's project (else 401 "Invalid project id or
//!   no access to the project."); a scope by `scope.project.name` is accepted too. Without a scope,
//!   or with a domain scope, an *unscoped* token is issued: IAM accepts it, CSS answers 403.
//! - **Timestamps** are RFC 3339 in UTC with microseconds (`2024-05-01T10:00:00.000000Z`), as
//!   IAM writes them.
//! - **Tokens** are opaque strings (`MIIsim…`, ~70 characters). Each request issues a new one;
//!   older tokens stay valid until they expire or are revoked.
//!
//! # Admin back doors (`/_admin/iam/...`)
//! | request | effect / answer |
//! | --- | --- |
//! | `GET /_admin/iam/config` | `{"domain","user","project","token_ttl_ms"}` (never the password) |
//! | `POST /_admin/iam/config` | `{"token_ttl_ms"?, "domain"?, "user"?, "password"?, "project"?}` changes them (tokens already issued keep their expiry) → the new config |
//! | `POST /_admin/iam/revoke` | every issued token becomes invalid at once (CSS then answers 401 APIGW.0307) → `{"revoked": N}` |
//! | `GET /_admin/iam/tokens` | `{"issued": N, "valid": M}`: tokens issued since start, and how many still work |

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{json_error, json_message, lock, parse_json_body, Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "iam",
    rate_limited: false,
    error_body,
};

pub const DEFAULT_DOMAIN: &str = "demo-domain";
pub const DEFAULT_USER: &str = "demo";
pub const DEFAULT_PASSWORD: &str = "demo-password";
pub const DEFAULT_PROJECT: &str = "demo-project";
/// The project's name, which is also the account's region (`CSS_REGION`).
pub const PROJECT_NAME: &str = "demo-region";
const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);
/// Expired tokens are forgotten after this long (they would answer 401 either way).
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// IAM's error shape (Keystone style).
fn error_body(status: StatusCode, message: &str) -> Value {
    json!({"error": {
        "code": status.as_u16(),
        "message": message,
        "title": status.canonical_reason().unwrap_or("Error"),
    }})
}

fn error(status: StatusCode, message: &str) -> Response {
    json_error(status, error_body(status, message))
}

#[derive(Debug)]
struct Token {
    /// `None` for an unscoped (or domain-scoped) token.
    project: Option<String>,
    expires: Instant,
    revoked: bool,
}

/// The account and every token issued.
#[derive(Debug)]
pub struct State {
    domain: String,
    user: String,
    password: String,
    project: String,
    ttl: Duration,
    tokens: HashMap<String, Token>,
    issued: u64,
}

impl Default for State {
    fn default() -> Self {
        State {
            domain: DEFAULT_DOMAIN.to_owned(),
            user: DEFAULT_USER.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
            project: DEFAULT_PROJECT.to_owned(),
            ttl: DEFAULT_TTL,
            tokens: HashMap::new(),
            issued: 0,
        }
    }
}

/// What a token presented to another API (CSS) is worth.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    /// Valid; scoped to this project (`None`: unscoped).
    Valid(Option<String>),
    /// Issued here but expired or revoked.
    Expired,
    /// Never issued here (or forgotten long after it expired).
    Unknown,
}

impl State {
    pub(crate) fn check(&self, token: &str, now: Instant) -> TokenCheck {
        match self.tokens.get(token) {
            None => TokenCheck::Unknown,
            Some(t) if t.revoked || now >= t.expires => TokenCheck::Expired,
            Some(t) => TokenCheck::Valid(t.project.clone()),
        }
    }

    fn issue(&mut self, project: Option<String>, now: Instant) -> (String, Instant) {
        self.tokens
            .retain(|_, t| now.saturating_duration_since(t.expires) < FORGET_AFTER);
        let token = format!(
            "MIIsim{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let expires = now + self.ttl;
        self.tokens.insert(
            token.clone(),
            Token {
                project,
                expires,
                revoked: false,
            },
        );
        self.issued += 1;
        (token, expires)
    }
}

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
        .route("/v3/auth/tokens", post(create_token))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this endpoint",
            )
        })
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
        .route("/config", get(admin_get_config).post(admin_set_config))
        .route("/revoke", post(admin_revoke))
        .route("/tokens", get(admin_tokens))
}

/// The parts of a token request, read from the documented body shape.
struct Login<'a> {
    user: &'a str,
    password: &'a str,
    domain: &'a str,
    project_id: Option<&'a str>,
    project_name: Option<&'a str>,
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

fn read_login(body: &Value) -> Result<Login<'_>, &'static str> {
    let identity = &body["auth"]["identity"];
    let methods = identity["methods"]
        .as_array()
        .ok_or("auth.identity.methods must be an array")?;
    if !methods.iter().any(|m| m.as_str() == Some("password")) {
        return Err("only the \"password\" identity method is supported");
    }
    let user = &identity["password"]["user"];
    let project = &body["auth"]["scope"]["project"];
    Ok(Login {
        user: text(&user["name"]).ok_or("auth.identity.password.user.name is required")?,
        password: text(&user["password"])
            .ok_or("auth.identity.password.user.password is required")?,
        domain: text(&user["domain"]["name"])
            .ok_or("auth.identity.password.user.domain.name is required")?,
        project_id: text(&project["id"]),
        project_name: text(&project["name"]),
    })
}

/// `at` on the wall clock, given that `now` is `wall_now`.
fn rfc3339(at: Instant, now: Instant, wall_now: SystemTime) -> String {
    let wall = wall_now + at.saturating_duration_since(now);
    humantime::format_rfc3339_micros(wall).to_string()
}

async fn create_token(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let body = match parse_json_body(&body, error_body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let login = match read_login(&body) {
        Ok(l) => l,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let mut st = lock(&shared);
    let now = Instant::now();
    let wall_now = SystemTime::now();
    let iam = &mut st.iam;
    if login.user != iam.user || login.password != iam.password || login.domain != iam.domain {
        return error(
            StatusCode::UNAUTHORIZED,
            "The username or password is wrong.",
        );
    }
    let scoped = login.project_id.is_some() || login.project_name.is_some();
    let project_ok = login.project_id.is_none_or(|p| p == iam.project)
        && login.project_name.is_none_or(|p| p == PROJECT_NAME);
    if scoped && !project_ok {
        return error(
            StatusCode::UNAUTHORIZED,
            "Invalid project id or no access to the project.",
        );
    }
    let project = scoped.then(|| iam.project.clone());
    let (token, expires) = iam.issue(project.clone(), now);
    tracing::info!(scoped, issued = iam.issued, "iam token issued");
    let mut token_body = json!({
        "expires_at": rfc3339(expires, now, wall_now),
        "issued_at": rfc3339(now, now, wall_now),
        "methods": ["password"],
        "user": {
            "id": "0a1b2c3d4e5f-demo-user",
            "name": iam.user,
            "domain": {"id": "0f1e2d3c4b5a-demo-domain", "name": iam.domain},
            "password_expires_at": "",
        },
        "roles": [{"id": "0", "name": "te_admin"}],
        "catalog": [],
    });
    if let (Some(project), Some(obj)) = (project, token_body.as_object_mut()) {
        obj.insert(
            "project".to_owned(),
            json!({
                "id": project,
                "name": PROJECT_NAME,
                "domain": {"id": "0f1e2d3c4b5a-demo-domain", "name": iam.domain},
            }),
        );
    }
    let mut resp = (StatusCode::CREATED, Json(json!({ "token": token_body }))).into_response();
    match HeaderValue::from_str(&token) {
        Ok(value) => {
            resp.headers_mut().insert("X-Subject-Token", value);
            resp
        }
        // Tokens are ASCII letters and digits; this arm only keeps the handler total.
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "token encoding failed"),
    }
}

// ---------------------------------------------------------------------------------------------
// Admin back doors

fn config_json(iam: &State) -> Value {
    json!({
        "domain": iam.domain,
        "user": iam.user,
        "project": iam.project,
        "token_ttl_ms": u64::try_from(iam.ttl.as_millis()).unwrap_or(u64::MAX),
    })
}

async fn admin_get_config(AxState(shared): AxState<Shared>) -> Response {
    Json(config_json(&lock(&shared).iam)).into_response()
}

async fn admin_set_config(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let body = match parse_json_body(&body, |_, m| json_message(m)) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(obj) = body.as_object() else {
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message("body must be a JSON object"),
        );
    };
    const KNOWN: &[&str] = &["token_ttl_ms", "domain", "user", "password", "project"];
    if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message(&format!(
                "unknown field {unknown:?}; known: {}",
                KNOWN.join(", ")
            )),
        );
    }
    let ttl = match obj.get("token_ttl_ms") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    json_message("token_ttl_ms must be a non-negative integer"),
                )
            }
        },
    };
    let mut texts = Vec::new();
    for key in ["domain", "user", "password", "project"] {
        match obj.get(key) {
            None => {}
            Some(Value::String(s)) if !s.is_empty() => texts.push((key, s.clone())),
            Some(_) => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    json_message(&format!("{key} must be a non-empty string")),
                )
            }
        }
    }
    let mut st = lock(&shared);
    let iam = &mut st.iam;
    if let Some(ttl) = ttl {
        iam.ttl = ttl;
    }
    for (key, value) in texts {
        match key {
            "domain" => iam.domain = value,
            "user" => iam.user = value,
            "password" => iam.password = value,
            _ => iam.project = value,
        }
    }
    Json(config_json(iam)).into_response()
}

async fn admin_revoke(AxState(shared): AxState<Shared>) -> Response {
    let mut st = lock(&shared);
    let now = Instant::now();
    let mut revoked = 0u64;
    for token in st.iam.tokens.values_mut() {
        if !token.revoked && now < token.expires {
            revoked += 1;
        }
        token.revoked = true;
    }
    tracing::info!(revoked, "iam tokens revoked by admin");
    Json(json!({ "revoked": revoked })).into_response()
}

async fn admin_tokens(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    let now = Instant::now();
    let valid = st
        .iam
        .tokens
        .values()
        .filter(|t| !t.revoked && now < t.expires)
        .count();
    Json(json!({ "issued": st.iam.issued, "valid": valid })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_are_revoked() {
        let mut state = State {
            ttl: Duration::from_secs(10),
            ..State::default()
        };
        let t0 = Instant::now();
        let (token, expires) = state.issue(Some("p".into()), t0);
        assert_eq!(expires, t0 + Duration::from_secs(10));
        assert_eq!(state.check(&token, t0), TokenCheck::Valid(Some("p".into())));
        assert_eq!(
            state.check(&token, t0 + Duration::from_secs(10)),
            TokenCheck::Expired
        );
        assert_eq!(state.check("nope", t0), TokenCheck::Unknown);
        state.tokens.values_mut().for_each(|t| t.revoked = true);
        assert_eq!(state.check(&token, t0), TokenCheck::Expired);
    }

    #[test]
    fn login_body_is_read_from_the_documented_shape() {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "u", "password": "p", "domain": {"name": "d"}}}},
            "scope": {"project": {"id": "proj"}}
        }});
        let login = read_login(&body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (login.user, login.password, login.domain, login.project_id),
            ("u", "p", "d", Some("proj"))
        );
        let no_method = json!({"auth": {"identity": {"methods": ["token"]}}});
        assert!(read_login(&no_method).is_err());
    }
}
