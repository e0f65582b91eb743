//! `start_or_adopt` against a scripted node: one script for `GET /v1/bootstrap`, one for the
//! bootstrap POST (each repeats its last reply).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::http::testing::{Recorded, Reply, TestServer};
use crate::http::{HttpClient, HttpSettings};
use crate::vendors::redis::client::{ClusterIdentity, Credentials, RedisClient};
use tokio_util::sync::CancellationToken;

const FAST: Backoff = Backoff {
    first: Duration::from_millis(5),
    max: Duration::from_millis(20),
    factor: 2.0,
};

fn idle() -> Reply {
    state("idle")
}

fn state(s: &str) -> Reply {
    Reply::json(200, &format!(r#"{{"bootstrap_status":{{"state":"{s}"}}}}"#))
}

fn starting() -> Reply {
    Reply::json(
        503,
        r#"{"error_code":"service_unavailable","message":"services are starting"}"#,
    )
}

fn request() -> BootstrapRequest {
    BootstrapRequest {
        action: "create_cluster".into(),
        cluster: ClusterIdentity {
            name: Some("c.example.com".into()),
            nodes: Vec::new(),
        },
        node: None,
        credentials: Credentials {
            username: "admin@example.com".into(),
            password: "pw-123456".into(),
        },
        license: None,
    }
}

async fn node_with(
    settings: HttpSettings,
    gets: Vec<Reply>,
    posts: Vec<Reply>,
) -> (TestServer, NodeClient) {
    let (g, p) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let server = TestServer::start(move |r: &Recorded, _| {
        let (script, count) = if r.method == "POST" {
            (&posts, &p)
        } else {
            (&gets, &g)
        };
        let i = count.fetch_add(1, Ordering::Relaxed);
        script[i.min(script.len() - 1)].clone()
    })
    .await;
    let http = HttpClient::new(settings).unwrap();
    let node = RedisClient::new(http, None)
        .node(&server.base, Some(request().credentials))
        .unwrap();
    (server, node)
}

fn fast_http() -> HttpSettings {
    HttpSettings {
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        ..HttpSettings::default()
    }
}

async fn node(gets: Vec<Reply>, posts: Vec<Reply>) -> (TestServer, NodeClient) {
    node_with(fast_http(), gets, posts).await
}

fn ctx() -> Ctx {
    Ctx::new(&CancellationToken::new(), Duration::from_secs(60))
}

fn sequence(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// 503s while the node's services start: look again, post again, until the node accepts.
#[tokio::test]
async fn a_node_that_is_starting_is_asked_again() {
    let (server, node) = node(
        vec![idle()],
        vec![starting(), starting(), Reply::json(200, "{}")],
    )
    .await;
    let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(started, Started::Posted);
    assert_eq!(
        sequence(&server),
        [
            "GET /v1/bootstrap",
            "POST /v1/bootstrap/create_cluster",
            "GET /v1/bootstrap",
            "POST /v1/bootstrap/create_cluster",
            "GET /v1/bootstrap",
            "POST /v1/bootstrap/create_cluster",
        ]
    );
}

/// A 503 on the POST that came after the node had started (or any answer lost after sending):
/// the next look finds the bootstrap running, and it is adopted instead of posted again.
#[tokio::test]
async fn a_lost_answer_is_resolved_by_the_node_state() {
    for failing_post in [
        starting(),
        Reply::json(500, r#"{"message":"internal"}"#),
        Reply::json(502, "<html>bad gateway</html>"),
    ] {
        let (server, node) = node(
            vec![idle(), state("creating_cluster")],
            vec![failing_post.clone()],
        )
        .await;
        let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(
            matches!(&started, Started::Adopted { before_posting: false, info } if info.state() == Some("creating_cluster")),
            "{failing_post:?}: {started:?}"
        );
        let posts = server
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count();
        assert_eq!(posts, 1, "{failing_post:?}: {:?}", sequence(&server));
    }
}

/// A POST that timed out: the node says whether it started.
#[tokio::test]
async fn a_timed_out_post_is_looked_up() {
    let settings = HttpSettings {
        timeout: Duration::from_millis(300),
        ..fast_http()
    };
    let (server, node) = node_with(
        settings,
        vec![idle(), state("completed")],
        vec![Reply::json(200, "{}").delay(Duration::from_secs(3))],
    )
    .await;
    let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        matches!(
            &started,
            Started::Adopted {
                before_posting: false,
                ..
            }
        ),
        "{started:?}"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        1
    );
}

/// Lost answer, then idle: nothing started, so posting again is safe.
#[tokio::test]
async fn idle_after_a_lost_answer_posts_again() {
    let (server, node) = node(
        vec![idle()],
        vec![Reply::json(500, "{}"), Reply::json(200, "{}")],
    )
    .await;
    let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(started, Started::Posted);
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        2
    );
}

/// A bootstrap found before anything was posted (an earlier run's), running or done.
#[tokio::test]
async fn an_existing_bootstrap_is_adopted_without_posting() {
    for found in ["initiated", "joining_cluster", "completed"] {
        let (server, node) = node(vec![state(found)], vec![Reply::json(200, "{}")]).await;
        let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(
            matches!(&started, Started::Adopted { before_posting: true, info } if info.state() == Some(found)),
            "{found}: {started:?}"
        );
        assert_eq!(sequence(&server), ["GET /v1/bootstrap"], "{found}");
    }
}

/// A 409 (someone else's bootstrap got in between) is adopted too; from `error` a new
/// bootstrap is posted.
#[tokio::test]
async fn conflict_is_adopted_and_error_state_posts() {
    let (_server, node) = node(
        vec![state("error")],
        vec![Reply::json(409, r#"{"message":"bootstrap in progress"}"#)],
    )
    .await;
    let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        matches!(
            &started,
            Started::Adopted {
                before_posting: false,
                ..
            }
        ),
        "{started:?}"
    );
}

/// 429s, 503s and a cut-off body on the GET too (after the HTTP layer's own retries): waited
/// out.
#[tokio::test]
async fn unready_reads_are_waited_out() {
    let settings = HttpSettings {
        max_attempts: 1,
        ..fast_http()
    };
    let (server, node) = node_with(
        settings,
        vec![
            starting(),
            Reply::json(429, r#"{"message":"slow down"}"#),
            Reply::json(200, r#"{"bootstrap_status":{"sta"#),
            idle(),
        ],
        vec![Reply::status(429), Reply::json(200, "{}")],
    )
    .await;
    let started = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(started, Started::Posted);
    assert_eq!(
        sequence(&server),
        [
            "GET /v1/bootstrap",
            "GET /v1/bootstrap",
            "GET /v1/bootstrap",
            "GET /v1/bootstrap",
            "POST /v1/bootstrap/create_cluster",
            "GET /v1/bootstrap",
            "POST /v1/bootstrap/create_cluster",
        ]
    );
}

/// Definite answers end the start at once: a refused bootstrap object, a node that says it is
/// not a member (not the "starting" kind of 503), a node that wants other credentials.
#[tokio::test]
async fn definite_refusals_are_not_repeated() {
    for (get, post) in [
        (idle(), Reply::json(400, r#"{"message":"bad object"}"#)),
        (
            idle(),
            Reply::json(
                503,
                r#"{"error_code":"not_member","message":"this node is not a member of the cluster"}"#,
            ),
        ),
        (Reply::json(401, r#"{"message":"unauthorized"}"#), idle()),
    ] {
        let (server, node) = node(vec![get], vec![post]).await;
        let err = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(matches!(err, StartError::Api(_)), "{err:?}");
        assert!(!err.may_have_started());
        assert!(server.count() <= 2, "{:?}", sequence(&server));
    }
}

/// A node that stays unready gives up after the grace period, naming the last answer.
#[tokio::test]
async fn a_node_that_never_gets_ready_gives_up() {
    let (_server, node) = node(vec![idle()], vec![starting()]).await;
    let err = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::NotReady { .. }), "{err:?}");
    assert!(err.to_string().contains("services are starting"), "{err}");
    assert!(!err.may_have_started());

    // Nothing listens at all: refused connections are "not ready" too.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let http = HttpClient::new(HttpSettings {
        max_attempts: 1,
        ..fast_http()
    })
    .unwrap();
    let node = RedisClient::new(http, None)
        .node(&format!("http://{addr}"), None)
        .unwrap();
    let err = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::NotReady { .. }), "{err:?}");
}

/// A POST with a lost answer, and then the node cannot be asked: it may be bootstrapping.
#[tokio::test]
async fn unknown_outcome_that_cannot_be_looked_up() {
    let (_server, node) = node(
        vec![idle(), Reply::json(500, r#"{"message":"down"}"#)],
        vec![Reply::json(500, r#"{"message":"lost"}"#)],
    )
    .await;
    let err = start_or_adopt(&ctx(), &node, &request(), FAST, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(err.may_have_started(), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("lost") && text.contains("down"), "{text}");
}

/// Cancellation (Terraform stop) ends the rounds.
#[tokio::test]
async fn stop_ends_the_rounds() {
    let (_server, node) = node(vec![idle()], vec![starting()]).await;
    let stop = CancellationToken::new();
    let ctx = Ctx::new(&stop, Duration::from_secs(60));
    let s2 = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        s2.cancel();
    });
    let err = start_or_adopt(&ctx, &node, &request(), FAST, Duration::from_secs(600))
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::Stopped(_)), "{err:?}");
}
