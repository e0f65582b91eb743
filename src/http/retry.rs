//! When to retry, and how long to wait first.

use std::error::Error as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;

use super::error::TransportKind;

/// How safe it is to send a request again when the first try may or may not have reached the
/// server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Repeating is harmless (GET, PUT, DELETE): retry on 429, 5xx (except 501/505), timeouts,
    /// and any transport error.
    Idempotent,
    /// Repeating could do the thing twice (a create POST): retry only when the server surely did
    /// not act: 429 (rejected by the rate limiter) and failures to connect. Never on 5xx (a
    /// 503 included: a proxy may answer it after the API acted) or timeouts, which could
    /// double-create; the vendor client finds out what such an answer did. Such a request is
    /// also never abandoned mid-flight on cancellation, so an id the server hands out is not
    /// lost (the timeout still bounds it).
    NotIdempotent,
}

/// Whether a response status warrants another attempt under `policy`.
pub(crate) fn status_is_retryable(status: StatusCode, policy: RetryPolicy) -> bool {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return true;
    }
    match policy {
        RetryPolicy::NotIdempotent => false,
        // 501 and 505 say "this will never work"; everything else 5xx may be transient.
        RetryPolicy::Idempotent => {
            status.is_server_error()
                && status != StatusCode::NOT_IMPLEMENTED
                && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED
        }
    }
}

/// Classifies a transport error.
pub(crate) fn transport_kind(err: &reqwest::Error) -> TransportKind {
    if is_tls_verification_error(err) {
        TransportKind::Certificate
    } else if err.is_connect() {
        TransportKind::Connect
    } else if err.is_timeout() {
        TransportKind::Timeout
    } else {
        TransportKind::Other
    }
}

/// Whether a transport error warrants another attempt under `policy`.
pub(crate) fn error_is_retryable(err: &reqwest::Error, policy: RetryPolicy) -> bool {
    if err.is_builder() || err.is_redirect() || err.is_decode() || err.is_status() {
        return false;
    }
    match transport_kind(err) {
        // A certificate problem will not fix itself; retrying only delays the real message.
        TransportKind::Certificate => false,
        // The TCP/TLS connection was never established, so the server never saw the request.
        TransportKind::Connect => true,
        TransportKind::Timeout | TransportKind::Other => policy == RetryPolicy::Idempotent,
    }
}

/// Walks the source chain looking for a rustls certificate error. hyper-rustls wraps it in
/// `io::Error`s (nested: Other around InvalidData around the rustls error), and `io::Error`'s
/// `source()` skips the wrapped error itself, so each io layer is opened with `get_ref`.
fn is_tls_verification_error(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = err.source();
    while let Some(cause) = source {
        let mut layer: &(dyn std::error::Error + 'static) = cause;
        // Bounded: io errors do not nest deeply, but a loop over foreign data should not be open-ended.
        for _ in 0..8 {
            if let Some(tls) = layer.downcast_ref::<rustls::Error>() {
                return is_certificate_error(tls);
            }
            match layer
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => layer = inner,
                None => break,
            }
        }
        source = cause.source();
    }
    false
}

fn is_certificate_error(err: &rustls::Error) -> bool {
    matches!(
        err,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
}

/// Exponential backoff for retry number `retry` (1 = first retry): `base * 2^(retry-1)`, capped
/// at `cap`, then jittered by ±20% so many clients hitting one limit spread out.
pub(crate) fn backoff(base: Duration, cap: Duration, retry: u32) -> Duration {
    let exponent = retry.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exponent).min(cap);
    let factor = 0.8 + 0.4 * fastrand::f64();
    raw.mul_f64(factor)
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP-date (IMF-fixdate). A date in the
/// past means "now" (zero). Unknown shapes yield `None` so the caller falls back to backoff.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Some servers send fractional seconds although the RFC does not allow it.
    if let Ok(seconds) = value.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Duration::try_from_secs_f64(seconds).ok();
        }
        return None;
    }
    let when = parse_http_date(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (the only HTTP-date form servers are
/// required to send).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let (_weekday, rest) = value.split_once(", ")?;
    let mut parts = rest.split(' ');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: u64 = clock.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() || clock.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if days < 0 {
        return None;
    }
    let secs = (days as u64) * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rules_per_policy() {
        use RetryPolicy::*;
        for policy in [Idempotent, NotIdempotent] {
            assert!(status_is_retryable(StatusCode::TOO_MANY_REQUESTS, policy));
            assert!(!status_is_retryable(StatusCode::BAD_REQUEST, policy));
            assert!(!status_is_retryable(StatusCode::CONFLICT, policy));
            assert!(!status_is_retryable(StatusCode::OK, policy));
            assert!(!status_is_retryable(StatusCode::NOT_IMPLEMENTED, policy));
        }
        for code in [500u16, 502, 503, 504] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(status_is_retryable(status, Idempotent), "{code}");
            assert!(!status_is_retryable(status, NotIdempotent), "{code}");
        }
    }

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(30);
        for _ in 0..200 {
            let first = backoff(base, cap, 1);
            assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200));
            let third = backoff(base, cap, 3);
            assert!(third >= Duration::from_millis(3200) && third <= Duration::from_millis(4800));
            let late = backoff(base, cap, 40);
            assert!(late >= Duration::from_secs(24) && late <= Duration::from_secs(36));
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", now),
            None
        );
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1994, 11, 6), 9075);
    }
}
