//! Tests of the retry loop, spacing and cancellation against a scripted local server.
//! Timing assertions are orderings and generous bounds only: CI machines are noisy.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::super::error::TransportKind;
use super::super::testing::{Reply, TestServer};
use super::*;

fn settings(base: &str) -> HttpSettings {
    HttpSettings {
        base_url: base.to_string(),
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(50),
        timeout: Duration::from_secs(10),
        ..HttpSettings::default()
    }
}

fn client(base: &str) -> HttpClient {
    HttpClient::new(settings(base)).unwrap()
}

/// A port nothing listens on: bind, note the port, close.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn joins_base_urls_with_prefixes() {
    for base in [
        "http://127.0.0.1:8080/instaclustr",
        "http://127.0.0.1:8080/instaclustr/",
    ] {
        let http = client(base);
        assert_eq!(
            http.url("/provisioning/v1/extended/"),
            "http://127.0.0.1:8080/instaclustr/provisioning/v1/extended/"
        );
        assert_eq!(
            http.url("provisioning/v1/abc"),
            "http://127.0.0.1:8080/instaclustr/provisioning/v1/abc"
        );
    }
    for base in [
        "https://api.instaclustr.com",
        "https://api.instaclustr.com/",
        " https://api.instaclustr.com// ",
    ] {
        let http = client(base);
        assert_eq!(
            http.url("/provisioning/v1/x"),
            "https://api.instaclustr.com/provisioning/v1/x"
        );
        assert_eq!(http.base_url(), "https://api.instaclustr.com");
    }
    let http = client("http://h:1/p");
    assert_eq!(http.url(""), "http://h:1/p");
    assert_eq!(
        http.url("https://other.example/x"),
        "https://other.example/x"
    );
    let derived = http.with_base_url("https://node1:9443/").unwrap();
    assert_eq!(
        derived.url("/v1/bootstrap"),
        "https://node1:9443/v1/bootstrap"
    );
    assert_eq!(client("").url("http://a/b"), "http://a/b");
}

#[test]
fn rejects_bad_configuration_without_echoing_secrets() {
    for base in [
        "not a url",
        "ftp://host/x",
        "http://u:topsecret@host/x?key=abc",
    ] {
        let err = HttpClient::new(settings(base)).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, HttpError::Config(_)), "{base}: {text}");
        assert!(
            !text.contains("topsecret") && !text.contains("abc"),
            "{text}"
        );
    }
    let err = HttpClient::new(HttpSettings {
        ca_cert_pem: Some("no certificates here\n".into()),
        ..settings("https://h")
    })
    .unwrap_err();
    assert!(err.to_string().contains("no certificates"), "{err}");
}

#[test]
fn accepts_a_ca_bundle_and_insecure_mode() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = generated.cert.pem();
    let bundle = format!("{pem}\n{pem}");
    HttpClient::new(HttpSettings {
        ca_cert_pem: Some(bundle),
        ..settings("https://localhost:9443")
    })
    .unwrap();
    HttpClient::new(HttpSettings {
        insecure: true,
        ..settings("https://localhost:9443")
    })
    .unwrap();
}

#[tokio::test]
async fn retries_429_after_retry_after_even_for_creates() {
    let server = TestServer::script(vec![
        Reply::json(429, r#"{"message":"slow down"}"#).header("Retry-After", "1"),
        Reply::json(202, r#"{"id":"abc"}"#),
    ])
    .await;
    let http = client(&server.base);
    let cancel = CancellationToken::new();
    let response = http
        .send(
            http.post("/create").json(&serde_json::json!({"a": 1})),
            RetryPolicy::NotIdempotent,
            &cancel,
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::ACCEPTED);
    assert_eq!(response.text(), r#"{"id":"abc"}"#);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The retry carried the same body, and waited for Retry-After rather than the 5 ms backoff.
    assert_eq!(requests[1].json(), serde_json::json!({"a": 1}));
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(900), "gap {gap:?}");
}

#[tokio::test]
async fn retries_503_for_idempotent_calls() {
    let server = TestServer::script(vec![
        Reply::status(503),
        Reply::status(503),
        Reply::json(200, "{}"),
    ])
    .await;
    let http = client(&server.base);
    let response = http
        .execute(
            http.get("/x"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn never_retries_5xx_for_creates() {
    for status in [500, 502, 503, 504] {
        let server = TestServer::script(vec![
            Reply::json(status, r#"{"message":"boom"}"#),
            Reply::json(202, "{}"),
        ])
        .await;
        let http = client(&server.base);
        let response = http
            .send(
                http.post("/create").body("{}"),
                RetryPolicy::NotIdempotent,
                &CancellationToken::new(),
            )
            .await
            .unwrap();
        assert_eq!(response.status.as_u16(), status);
        assert_eq!(response.error_message().as_deref(), Some("boom"));
        assert_eq!(server.count(), 1, "status {status}");
    }
}

#[tokio::test]
async fn does_not_retry_client_errors() {
    let server = TestServer::script(vec![Reply::status(400), Reply::status(200)]).await;
    let http = client(&server.base);
    let response = http
        .send(
            http.get("/x"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn gives_back_the_last_response_when_attempts_run_out() {
    let server = TestServer::script(vec![Reply::json(503, r#"{"message":"down"}"#)]).await;
    let http = HttpClient::new(HttpSettings {
        max_attempts: 3,
        ..settings(&server.base)
    })
    .unwrap();
    let response = http
        .send(
            http.get("/x"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.error_message().as_deref(), Some("down"));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn connect_errors_are_retried_and_reported_redacted() {
    let port = closed_port().await;
    let http = HttpClient::new(HttpSettings {
        max_attempts: 3,
        ..settings(&format!("http://alice:pa55word@127.0.0.1:{port}/prefix"))
    })
    .unwrap();
    let err = http
        .send(
            http.post("/create?token=t0ken"),
            RetryPolicy::NotIdempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    match &err {
        HttpError::Transport {
            kind,
            attempts,
            method,
            url,
            ..
        } => {
            assert_eq!(*kind, TransportKind::Connect);
            assert_eq!(*attempts, 3);
            assert_eq!(method, "POST");
            assert_eq!(url, &format!("http://127.0.0.1:{port}/prefix/create"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("pa55word") && !text.contains("t0ken") && !text.contains("alice"),
        "{text}"
    );
}

#[tokio::test]
async fn timeouts_are_retried_only_when_idempotent() {
    let server = TestServer::script(vec![Reply::status(200).delay(Duration::from_secs(5))]).await;
    let http = HttpClient::new(HttpSettings {
        max_attempts: 2,
        timeout: Duration::from_millis(200),
        ..settings(&server.base)
    })
    .unwrap();
    let cancel = CancellationToken::new();

    let err = http
        .send(http.post("/create"), RetryPolicy::NotIdempotent, &cancel)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HttpError::Transport {
                kind: TransportKind::Timeout,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = http
        .send(http.get("/x"), RetryPolicy::Idempotent, &cancel)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            HttpError::Transport {
                kind: TransportKind::Timeout,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn cancellation_during_backoff_returns_promptly() {
    let server = TestServer::script(vec![Reply::status(503)]).await;
    let http = HttpClient::new(HttpSettings {
        retry_base: Duration::from_secs(120),
        retry_cap: Duration::from_secs(120),
        ..settings(&server.base)
    })
    .unwrap();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = http
        .send(http.get("/x"), RetryPolicy::Idempotent, &cancel)
        .await
        .unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn cancellation_abandons_idempotent_requests_in_flight() {
    let server = TestServer::script(vec![Reply::status(200).delay(Duration::from_secs(120))]).await;
    let http = HttpClient::new(HttpSettings {
        timeout: Duration::from_secs(300),
        ..settings(&server.base)
    })
    .unwrap();
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = http
        .execute(http.get("/slow"), RetryPolicy::Idempotent, &cancel)
        .await
        .unwrap_err();
    assert!(err.is_cancelled());
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test]
async fn an_already_cancelled_token_sends_nothing() {
    let server = TestServer::script(vec![Reply::status(200)]).await;
    let http = client(&server.base);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = http
        .send(http.get("/x"), RetryPolicy::Idempotent, &cancel)
        .await
        .unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn concurrent_requests_are_spaced() {
    let server = TestServer::script(vec![Reply::status(200)]).await;
    let interval = Duration::from_millis(400);
    let http = HttpClient::new(HttpSettings {
        request_interval: interval,
        ..settings(&server.base)
    })
    .unwrap();
    // A derived client shares the gate: the limit is per process, not per base URL.
    let other = http.with_base_url(&server.base).unwrap();
    let cancel = CancellationToken::new();
    let (a, b, c) = tokio::join!(
        http.send(http.get("/a"), RetryPolicy::Idempotent, &cancel),
        http.send(http.get("/b"), RetryPolicy::Idempotent, &cancel),
        other.send(other.get("/c"), RetryPolicy::Idempotent, &cancel),
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    let mut times: Vec<_> = server.requests().iter().map(|r| r.at).collect();
    times.sort();
    assert_eq!(times.len(), 3);
    // Starts are >= interval apart; arrival can jitter by connection setup, hence the slack.
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= interval / 2, "gap {gap:?}");
    }
    assert!(times[2] - times[0] >= interval + interval / 2);
}

#[tokio::test]
async fn a_429_holds_back_other_tasks_too() {
    let server = TestServer::start(|_, index| {
        if index == 0 {
            Reply::status(429).header("Retry-After", "1")
        } else {
            Reply::status(200)
        }
    })
    .await;
    let http = client(&server.base);
    let cancel = CancellationToken::new();
    let first = http.send(http.get("/first"), RetryPolicy::Idempotent, &cancel);
    let second = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        http.send(http.get("/second"), RetryPolicy::Idempotent, &cancel)
            .await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.unwrap().status, StatusCode::OK);
    assert_eq!(second.unwrap().status, StatusCode::OK);
    let requests = server.requests();
    assert_eq!(requests[0].path, "/first");
    let second_at = requests.iter().find(|r| r.path == "/second").unwrap().at;
    assert!(second_at - requests[0].at >= Duration::from_millis(800));
}

/// Another client stands for another provider process: its own spacer and file handles, the
/// same per-user gate directory.
#[tokio::test]
async fn a_429_holds_back_other_processes_too() {
    let server = TestServer::start(|request, _| {
        if request.path == "/first" && request.header("x-try") == Some("1") {
            Reply::status(429).header("Retry-After", "1")
        } else {
            Reply::status(200)
        }
    })
    .await;
    let spaced = || {
        HttpClient::new(HttpSettings {
            request_interval: Duration::from_millis(20),
            ..settings(&server.base)
        })
        .unwrap()
    };
    let (one, two) = (spaced(), spaced());
    let cancel = CancellationToken::new();
    let tries = std::sync::atomic::AtomicU32::new(0);
    let first = one.send_with(
        one.get("/first"),
        |request: &mut Request| {
            let n = tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            request.headers_mut().insert("x-try", HeaderValue::from(n));
            Ok::<_, HttpError>(())
        },
        RetryPolicy::Idempotent,
        &cancel,
    );
    let second = async {
        // Starts once the 429 is in: it must wait for the Retry-After the other client was told.
        while server.count() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        two.send(two.get("/second"), RetryPolicy::Idempotent, &cancel)
            .await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.unwrap().status, StatusCode::OK);
    assert_eq!(second.unwrap().status, StatusCode::OK);
    let requests = server.requests();
    let second_at = requests.iter().find(|r| r.path == "/second").unwrap().at;
    assert!(second_at - requests[0].at >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_429_costs_no_attempt() {
    let server = TestServer::script(vec![
        Reply::status(429).header("Retry-After", "0"),
        Reply::status(429).header("Retry-After", "0"),
        Reply::status(429),
        Reply::status(503),
        Reply::status(429).header("Retry-After", "0"),
        Reply::json(202, r#"{"id":"abc"}"#),
    ])
    .await;
    let http = HttpClient::new(HttpSettings {
        max_attempts: 2,
        ..settings(&server.base)
    })
    .unwrap();
    let response = http
        .send(
            http.get("/x"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    // Two attempts (the 503, then the 202), the 429s before each free.
    assert_eq!(response.status, StatusCode::ACCEPTED);
    assert_eq!(server.count(), 6);
}

#[tokio::test]
async fn endless_429s_end_after_a_bounded_number_of_waits() {
    let server = TestServer::script(vec![
        Reply::json(429, r#"{"message":"slow down"}"#).header("Retry-After", "0")
    ])
    .await;
    let http = client(&server.base);
    let response = http
        .send(
            http.post("/create").body("{}"),
            RetryPolicy::NotIdempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.error_message().as_deref(), Some("slow down"));
    assert_eq!(server.count(), 1 + MAX_THROTTLES as usize);
}

#[tokio::test]
async fn one_attempt_means_one_send_even_for_a_429() {
    let server = TestServer::script(vec![
        Reply::status(429).header("Retry-After", "0"),
        Reply::status(200),
    ])
    .await;
    let http = HttpClient::new(HttpSettings {
        max_attempts: 1,
        ..settings(&server.base)
    })
    .unwrap();
    let response = http
        .send(
            http.get("/x"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn background_clients_share_everything_but_their_priority() {
    let server = TestServer::script(vec![Reply::status(200)]).await;
    let http = HttpClient::new(HttpSettings {
        request_interval: Duration::from_millis(10),
        ..settings(&server.base)
    })
    .unwrap();
    let polls = http.background();
    let derived = polls.with_base_url(&format!("{}/v2", server.base)).unwrap();
    assert!(format!("{polls:?}").contains("background: true"));
    assert!(format!("{derived:?}").contains("background: true"));
    assert!(format!("{http:?}").contains("background: false"));
    assert!(Arc::ptr_eq(&http.inner.spacer, &derived.inner.spacer));
    let cancel = CancellationToken::new();
    derived
        .send(derived.get("/x"), RetryPolicy::Idempotent, &cancel)
        .await
        .unwrap();
    assert_eq!(server.requests()[0].path, "/v2/x");
}

#[tokio::test]
async fn sends_user_agent_and_hides_bodies_in_debug() {
    let server = TestServer::script(vec![Reply::json(200, r#"{"password":"hunter2"}"#)]).await;
    let http = HttpClient::new(HttpSettings {
        user_agent: "clusterform-test/1".into(),
        ..settings(&server.base)
    })
    .unwrap();
    let response = http
        .send(
            http.get("/x"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].header("user-agent"),
        Some("clusterform-test/1")
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(!format!("{response:?}").contains("hunter2"));
}

/// A one-certificate HTTPS server on 127.0.0.1 answering 200 to everything; returns the base
/// URL and the CA (self-signed leaf) PEM.
async fn tls_server() -> (String, String, tokio::task::JoinHandle<()>) {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let pem = generated.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![generated.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate aborts the handshake: nothing to serve.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (base, pem, task)
}

#[tokio::test]
async fn https_with_a_custom_ca_insecure_mode_and_untrusted_certificates() {
    let (base, pem, task) = tls_server().await;
    let cancel = CancellationToken::new();

    let trusted = HttpClient::new(HttpSettings {
        ca_cert_pem: Some(pem),
        ..settings(&base)
    })
    .unwrap();
    let response = trusted
        .send(
            trusted.get("/v1/bootstrap"),
            RetryPolicy::Idempotent,
            &cancel,
        )
        .await
        .unwrap();
    assert_eq!(response.text(), "ok");

    let insecure = HttpClient::new(HttpSettings {
        insecure: true,
        ..settings(&base)
    })
    .unwrap();
    let response = insecure
        .send(
            insecure.get("/v1/bootstrap"),
            RetryPolicy::Idempotent,
            &cancel,
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);

    // An untrusted certificate is a configuration problem: reported at once, not retried.
    let strict = HttpClient::new(HttpSettings {
        max_attempts: 4,
        ..settings(&base)
    })
    .unwrap();
    let err = strict
        .send(
            strict.get("/v1/bootstrap"),
            RetryPolicy::Idempotent,
            &cancel,
        )
        .await
        .unwrap_err();
    match &err {
        HttpError::Transport { attempts, kind, .. } => {
            assert_eq!(*attempts, 1, "{err}");
            assert_eq!(*kind, TransportKind::Certificate);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    task.abort();
}

#[tokio::test]
async fn send_with_prepares_a_fresh_copy_for_every_attempt() {
    let server = TestServer::script(vec![
        Reply::status(503),
        Reply::status(503),
        Reply::json(200, "{}"),
    ])
    .await;
    let http = client(&server.base);
    let mut prepared = 0u32;
    let response = http
        .send_with(
            http.post("/signed")
                .header("x-stamp", "original")
                .body("{}"),
            |request: &mut Request| {
                prepared += 1;
                // A fresh copy each time: the previous attempt's stamp is not there any more.
                assert_eq!(
                    request.headers().get("x-stamp").map(|v| v.as_bytes()),
                    Some(&b"original"[..])
                );
                request.headers_mut().insert(
                    "x-stamp",
                    reqwest::header::HeaderValue::from_str(&format!("attempt-{prepared}"))
                        .map_err(|_| HttpError::Config("bad header".into()))?,
                );
                Ok::<_, HttpError>(())
            },
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(prepared, 3);
    let stamps: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.header("x-stamp").unwrap_or_default().to_string())
        .collect();
    assert_eq!(stamps, ["attempt-1", "attempt-2", "attempt-3"]);
    assert!(server.requests().iter().all(|r| r.body == b"{}"));
}

#[derive(Debug, thiserror::Error)]
enum PrepareError {
    #[error("cannot sign")]
    Sign,
    #[error(transparent)]
    Http(#[from] HttpError),
}

#[tokio::test]
async fn a_failing_preparation_sends_nothing_and_keeps_its_error_type() {
    let server = TestServer::script(vec![Reply::status(200)]).await;
    let http = client(&server.base);
    let err = http
        .send_with(
            http.get("/x"),
            |_: &mut Request| Err(PrepareError::Sign),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PrepareError::Sign), "{err:?}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn credential_headers_are_registered_before_sending() {
    // The server quotes the credentials it was sent, decoded and as they came.
    let server = TestServer::start(|request, _| {
        let authorization = request.header("authorization").unwrap_or_default();
        let token = request.header("x-auth-token").unwrap_or_default();
        Reply::json(
            400,
            &serde_json::json!({"message": format!(
                "rejected {authorization} user:http-reg-Pw77 token {token}"
            )})
            .to_string(),
        )
    })
    .await;
    let http = client(&server.base);
    let response = http
        .send(
            http.get("/x")
                .basic_auth("user", Some("http-reg-Pw77"))
                .header("X-Auth-Token", "http-reg-token-5"),
            RetryPolicy::Idempotent,
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    let message = response.error_message().unwrap_or_default();
    assert!(message.starts_with("rejected Basic "), "{message}");
    for leaked in ["http-reg-Pw77", "http-reg-token-5", "dXNlcjpodHRw"] {
        assert!(!message.contains(leaked), "{leaked} in {message}");
    }
}
