//! IAM token auth for CSS: one token per provider process, shared by every resource.
//!
//! A token is fetched lazily by the first API call (so `plan` of a configuration that needs no
//! API call never talks to IAM), cached, and fetched again shortly before it expires or when CSS
//! rejects it with 401. The cache sits behind an async mutex held during the fetch, so callers
//! that arrive while a token is being fetched wait for that one fetch instead of starting their
//! own: ten concurrent creates cost one token request.
//!
//! `auth_token` replaces all of this with a fixed token that cannot be renewed.
//!
//! The password and every token are registered with [`crate::http::secrets`] as soon as this
//! module holds them, so no error text or log line can show them.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::http::{lenient, secrets, HttpClient, HttpError, RetryPolicy};

const TOKEN_PATH: &str = "/v3/auth/tokens";
/// How long a token is trusted when IAM does not say, or says something impossible (an expiry
/// not after the issue time): the documented lifetime of IAM tokens. A 401 still renews early.
const ASSUMED_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Renew this long before expiry at most; short-lived tokens renew at 80 % of their life.
const MAX_MARGIN: Duration = Duration::from_secs(300);

/// A credential. Debug never shows it and there is no Display, so it cannot slip into a log
/// line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `text` (an API message that might echo what it was sent) without the given secrets nor any
/// registered one, in any of their encoded forms; values shorter than
/// [`secrets::MIN_LEN`] characters are left alone.
pub fn redact(text: &str, extra: &[&str]) -> String {
    secrets::scrub_with(text, extra).into_owned()
}

/// The password-method login of `POST /v3/auth/tokens`, scoped to one project.
pub struct PasswordLogin {
    pub domain_name: String,
    pub user_name: String,
    pub password: Secret,
    pub project_id: String,
}

impl fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("domain_name", &"<redacted>")
            .field("user_name", &"<redacted>")
            .field("password", &self.password)
            .field("project_id", &self.project_id)
            .finish()
    }
}

/// Why no token could be had. Messages never contain the user, domain, password or a token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "IAM refused the credentials (HTTP {status}: {message}): check domain_name, user_name, \
         password and project_id"
    )]
    Rejected { status: u16, message: String },

    #[error("IAM answered HTTP {status} without a token in the X-Subject-Token header")]
    NoToken { status: u16 },

    #[error("IAM returned a token that cannot be sent as an HTTP header")]
    BadToken,

    #[error("IAM error (HTTP {status}): {message}")]
    Server { status: u16, message: String },

    #[error("IAM: {0}")]
    Http(HttpError),

    #[error("request cancelled")]
    Cancelled,
}

impl From<HttpError> for AuthError {
    fn from(err: HttpError) -> Self {
        match err {
            HttpError::Cancelled => AuthError::Cancelled,
            other => AuthError::Http(other),
        }
    }
}

enum Source {
    Fixed(Secret),
    Password {
        iam: HttpClient,
        login: PasswordLogin,
    },
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// Hands out the current token; see the module docs.
pub struct TokenSource {
    source: Source,
    cache: Mutex<Option<Cached>>,
    fetches: AtomicU64,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.source {
            Source::Fixed(_) => "auth_token",
            Source::Password { .. } => "iam password",
        };
        f.debug_struct("TokenSource")
            .field("kind", &kind)
            .field("fetches", &self.fetches())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    token: Option<TokenTimes>,
}

#[derive(Deserialize)]
struct TokenTimes {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    expires_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    issued_at: Option<String>,
}

impl TokenSource {
    /// `auth_token`: used as is, never renewed.
    pub fn fixed(token: Secret) -> Self {
        secrets::register(token.expose());
        Self::with(Source::Fixed(token))
    }

    /// Password login against IAM at `iam`'s base URL.
    pub fn password(iam: HttpClient, login: PasswordLogin) -> Self {
        secrets::register(login.password.expose());
        Self::with(Source::Password { iam, login })
    }

    fn with(source: Source) -> Self {
        TokenSource {
            source,
            cache: Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    /// Whether a rejected token can be replaced by a new one.
    pub fn renewable(&self) -> bool {
        matches!(self.source, Source::Password { .. })
    }

    /// How many token requests this source has sent.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The token to send now: the cached one while it is fresh, else a new one.
    pub async fn token(&self, cancel: &CancellationToken) -> Result<Secret, AuthError> {
        let (iam, login) = match &self.source {
            Source::Fixed(token) => return Ok(token.clone()),
            Source::Password { iam, login } => (iam, login),
        };
        // Waiting here is waiting for someone else's fetch: its result is what we want.
        let mut slot = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(AuthError::Cancelled),
            slot = self.cache.lock() => slot,
        };
        if let Some(cached) = slot.as_ref() {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        let fresh = self.fetch(iam, login, cancel).await?;
        let token = fresh.token.clone();
        *slot = Some(fresh);
        Ok(token)
    }

    /// Forgets `rejected` if it is still the cached token, so the next call fetches a new one.
    /// Many calls rejected with the same token lead to one fetch.
    pub async fn reject(&self, rejected: &Secret) {
        let mut slot = self.cache.lock().await;
        if slot.as_ref().is_some_and(|c| c.token == *rejected) {
            *slot = None;
        }
    }

    async fn fetch(
        &self,
        iam: &HttpClient,
        login: &PasswordLogin,
        cancel: &CancellationToken,
    ) -> Result<Cached, AuthError> {
        let body = serde_json::json!({"auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {
                    "name": login.user_name,
                    "password": login.password.expose(),
                    "domain": {"name": login.domain_name},
                }},
            },
            "scope": {"project": {"id": login.project_id}},
        }});
        tracing::debug!("requesting an IAM token");
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let fetched_at = Instant::now();
        // Asking for a token twice is harmless, so transient failures are retried.
        let response = iam
            .send(
                iam.post(TOKEN_PATH).json(&body),
                RetryPolicy::Idempotent,
                cancel,
            )
            .await?;
        let status = response.status;
        if !status.is_success() {
            let message = response.error_message().unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("no details")
                    .to_string()
            });
            let message = redact(
                &message,
                &[
                    login.password.expose(),
                    &login.user_name,
                    &login.domain_name,
                ],
            );
            return Err(match status {
                StatusCode::BAD_REQUEST
                | StatusCode::UNAUTHORIZED
                | StatusCode::FORBIDDEN
                | StatusCode::NOT_FOUND => AuthError::Rejected {
                    status: status.as_u16(),
                    message,
                },
                _ => AuthError::Server {
                    status: status.as_u16(),
                    message,
                },
            });
        }
        let token = response
            .header("x-subject-token")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::NoToken {
                status: status.as_u16(),
            })?;
        secrets::register(token);
        if reqwest::header::HeaderValue::from_str(token).is_err() {
            return Err(AuthError::BadToken);
        }
        let life = token_lifetime(&response.body, SystemTime::now());
        let renew_after = renew_after(life);
        tracing::info!(
            lifetime_s = life.as_secs(),
            renew_after_s = renew_after.as_secs(),
            "IAM token obtained"
        );
        Ok(Cached {
            token: Secret::new(token),
            refresh_at: fetched_at + renew_after,
        })
    }
}

/// How long the token of an IAM answer body lives (an unreadable body counts as no times).
pub(crate) fn token_lifetime(body: &[u8], now: SystemTime) -> Duration {
    let times = serde_json::from_slice::<TokenBody>(body)
        .ok()
        .and_then(|b| b.token)
        .unwrap_or(TokenTimes {
            expires_at: None,
            issued_at: None,
        });
    lifetime(
        parse_time(times.expires_at.as_deref()),
        parse_time(times.issued_at.as_deref()),
        now,
    )
}

/// How long a token lives. Measured on IAM's own clock (`expires_at - issued_at`) when both are
/// given, so a skewed local clock does not matter; else against the local clock. A lifetime
/// that comes out as zero or negative (clock skew, a malformed answer) is not believed: trusting
/// it would fetch a new token for every call, so the documented 24 h are assumed instead, and
/// the 401 path still renews a token IAM really did expire.
fn lifetime(expires: Option<SystemTime>, issued: Option<SystemTime>, now: SystemTime) -> Duration {
    let measured = match (expires, issued) {
        (Some(e), Some(i)) => e.duration_since(i).ok(),
        (Some(e), None) => e.duration_since(now).ok(),
        (None, _) => None,
    };
    measured
        .filter(|life| !life.is_zero())
        .unwrap_or(ASSUMED_LIFETIME)
}

/// When to fetch a new token, counted from the fetch of a token living `life`.
fn renew_after(life: Duration) -> Duration {
    life - (life / 5).min(MAX_MARGIN)
}

/// IAM writes `2024-05-01T10:00:00.000000Z`; a numeric UTC offset (`+08:00`) is read too.
fn parse_time(text: Option<&str>) -> Option<SystemTime> {
    let text = text?.trim();
    let (base, offset) = split_offset(text);
    let utc = humantime::parse_rfc3339_weak(base).ok()?;
    // Local time = UTC + offset, so UTC = local time - offset.
    if offset >= 0 {
        utc.checked_sub(Duration::from_secs(offset.unsigned_abs()))
    } else {
        utc.checked_add(Duration::from_secs(offset.unsigned_abs()))
    }
}

/// `(timestamp without zone, offset in seconds)`: `Z` and no zone are UTC.
fn split_offset(text: &str) -> (&str, i64) {
    if let Some(base) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return (base, 0);
    }
    let bytes = text.as_bytes();
    if bytes.len() > 6 && bytes[bytes.len() - 3] == b':' {
        let sign = match bytes[bytes.len() - 6] {
            b'+' => 1,
            b'-' => -1,
            _ => return (text, 0),
        };
        let zone = &text[text.len() - 5..];
        let hours = zone[..2].parse::<i64>();
        let minutes = zone[3..].parse::<i64>();
        if let (Ok(h), Ok(m)) = (hours, minutes) {
            return (&text[..text.len() - 6], sign * (h * 3600 + m * 60));
        }
    }
    (text, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{Reply, TestServer};
    use crate::http::HttpSettings;
    use std::sync::Arc;

    async fn source(replies: Vec<Reply>) -> (TestServer, Arc<TokenSource>) {
        let server = TestServer::script(replies).await;
        let iam = HttpClient::new(HttpSettings {
            base_url: format!("{}/iam", server.base),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..HttpSettings::default()
        })
        .unwrap();
        let login = PasswordLogin {
            domain_name: "dom".into(),
            user_name: "alice".into(),
            password: Secret::new("pa55-Word!"),
            project_id: "proj".into(),
        };
        (server, Arc::new(TokenSource::password(iam, login)))
    }

    fn token_reply(token: &str, issued: &str, expires: &str) -> Reply {
        Reply::json(
            201,
            &format!(r#"{{"token":{{"issued_at":"{issued}","expires_at":"{expires}"}}}}"#),
        )
        .header("X-Subject-Token", token)
    }

    #[tokio::test]
    async fn sends_the_documented_body_and_caches_the_token() {
        let (server, source) = source(vec![token_reply(
            "tok-1",
            "2024-05-01T10:00:00.000000Z",
            "2024-05-02T10:00:00.000000Z",
        )])
        .await;
        let cancel = CancellationToken::new();
        assert_eq!(source.token(&cancel).await.unwrap().expose(), "tok-1");
        assert_eq!(source.token(&cancel).await.unwrap().expose(), "tok-1");
        assert_eq!(server.count(), 1);
        let request = &server.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/iam/v3/auth/tokens");
        assert_eq!(
            request.json(),
            serde_json::json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "alice", "password": "pa55-Word!", "domain": {"name": "dom"}}}},
                "scope": {"project": {"id": "proj"}}
            }})
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let (server, source) = source(vec![token_reply(
            "tok-1",
            "2024-05-01T10:00:00Z",
            "2024-05-02T10:00:00Z",
        )
        .delay(Duration::from_millis(50))])
        .await;
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let source = Arc::clone(&source);
            tasks.push(tokio::spawn(async move {
                source.token(&CancellationToken::new()).await.unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().expose(), "tok-1");
        }
        assert_eq!(server.count(), 1);
        assert_eq!(source.fetches(), 1);
    }

    #[tokio::test]
    async fn a_rejected_token_is_replaced_once() {
        let (server, source) = source(vec![
            token_reply("tok-1", "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z"),
            token_reply("tok-2", "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z"),
        ])
        .await;
        let cancel = CancellationToken::new();
        let first = source.token(&cancel).await.unwrap();
        source.reject(&first).await;
        source.reject(&first).await;
        let second = source.token(&cancel).await.unwrap();
        assert_eq!(second.expose(), "tok-2");
        // A late rejection of the old token does not throw away the new one.
        source.reject(&first).await;
        assert_eq!(source.token(&cancel).await.unwrap().expose(), "tok-2");
        assert_eq!(server.count(), 2);
    }

    #[tokio::test]
    async fn a_short_lived_token_is_renewed_before_it_expires() {
        let (server, source) = source(vec![
            token_reply("tok-1", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.100Z"),
            token_reply("tok-2", "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z"),
        ])
        .await;
        let cancel = CancellationToken::new();
        assert_eq!(source.token(&cancel).await.unwrap().expose(), "tok-1");
        tokio::time::sleep(Duration::from_millis(90)).await;
        assert_eq!(source.token(&cancel).await.unwrap().expose(), "tok-2");
        assert_eq!(server.count(), 2);
    }

    #[tokio::test]
    async fn refused_credentials_do_not_leak() {
        let (_server, source) = source(vec![Reply::json(
            401,
            r#"{"error":{"code":401,"message":"bad password pa55-Word! for alice","title":"Unauthorized"}}"#,
        )])
        .await;
        let err = source.token(&CancellationToken::new()).await.unwrap_err();
        let text = format!("{err} {err:?} {source:?}");
        assert!(
            matches!(err, AuthError::Rejected { status: 401, .. }),
            "{text}"
        );
        assert!(
            !text.contains("pa55-Word!") && !text.contains("alice"),
            "{text}"
        );
        assert!(text.contains("check domain_name, user_name, password and project_id"));
    }

    #[tokio::test]
    async fn a_token_answer_without_the_header_is_an_error() {
        let (_server, source) = source(vec![Reply::json(201, r#"{"token":{}}"#)]).await;
        let err = source.token(&CancellationToken::new()).await.unwrap_err();
        assert!(matches!(err, AuthError::NoToken { status: 201 }), "{err:?}");
    }

    #[test]
    fn lifetimes() {
        let t = |s: &str| parse_time(Some(s));
        let issued = t("2024-05-01T10:00:00.000000Z");
        let expires = t("2024-05-02T10:00:00.000000Z");
        assert!(issued.is_some() && expires.is_some());
        assert_eq!(
            lifetime(expires, issued, SystemTime::now()),
            Duration::from_secs(86_400)
        );
        assert_eq!(t("2024-05-01T10:00:00+00:00"), t("2024-05-01T10:00:00Z"));
        assert_eq!(lifetime(None, None, SystemTime::now()), ASSUMED_LIFETIME);
        assert!(format!("{:?}", Secret::new("x")).contains("redacted"));
        assert_eq!(
            redact("a pw123 b", &["pw123"]),
            format!("a {} b", secrets::MARKER)
        );
        assert_eq!(redact("a pw1 b", &["pw1"]), "a pw1 b");
    }

    #[test]
    fn impossible_or_missing_lifetimes_mean_the_documented_24_hours() {
        let t = |s: &str| parse_time(Some(s));
        let day = Duration::from_secs(86_400);
        let now = SystemTime::now();
        let issued = t("2024-05-01T10:00:00Z");
        // Expiry equal to, or before, the issue time.
        assert_eq!(lifetime(issued, issued, now), day);
        assert_eq!(lifetime(t("2024-05-01T09:00:00Z"), issued, now), day);
        // An expiry in the local past with no issue time (a skewed local clock).
        assert_eq!(lifetime(t("2000-01-01T00:00:00Z"), None, now), day);
        // Unparseable or missing times.
        assert_eq!(lifetime(parse_time(Some("soon")), issued, now), day);
        assert_eq!(lifetime(None, issued, now), day);
        // A real, short lifetime is still believed.
        assert_eq!(
            lifetime(t("2024-05-01T10:10:00Z"), issued, now),
            Duration::from_secs(600)
        );
        // 24 h minus the usual margin; short lives renew at 80 %.
        assert_eq!(renew_after(day), day - MAX_MARGIN);
        assert_eq!(
            renew_after(Duration::from_secs(600)),
            Duration::from_secs(480)
        );
    }

    #[tokio::test]
    async fn a_token_expiring_when_issued_is_cached_not_refetched() {
        for (issued, expires) in [
            ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
            ("2024-05-01T10:00:00Z", "2024-04-30T10:00:00Z"),
            ("2024-05-01T10:00:00Z", "not a time"),
        ] {
            let (server, source) = source(vec![
                token_reply("tok-odd-1", issued, expires),
                token_reply("tok-odd-2", issued, expires),
            ])
            .await;
            let cancel = CancellationToken::new();
            for _ in 0..3 {
                assert_eq!(source.token(&cancel).await.unwrap().expose(), "tok-odd-1");
            }
            assert_eq!(server.count(), 1, "{issued} / {expires}");
            // Renewed about a day later (the bound only fails for a test taking hours).
            let slot = source.cache.lock().await;
            let refresh_at = slot.as_ref().map(|c| c.refresh_at).unwrap();
            assert!(refresh_at > Instant::now() + Duration::from_secs(23 * 3600));
        }
    }

    #[tokio::test]
    async fn password_and_tokens_are_registered() {
        let (_server, source) = source(vec![token_reply(
            "tok-registered-Kq3",
            "2024-05-01T10:00:00Z",
            "2024-05-02T10:00:00Z",
        )])
        .await;
        source.token(&CancellationToken::new()).await.unwrap();
        let text = "pw pa55-Word! token tok-registered-Kq3";
        let marker = secrets::MARKER;
        assert_eq!(secrets::scrub(text), format!("pw {marker} token {marker}"));
        let _fixed = TokenSource::fixed(Secret::new("fixed-token-Zr8"));
        assert_eq!(secrets::scrub("fixed-token-Zr8"), marker);
    }
}
