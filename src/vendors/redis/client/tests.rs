//! Unit tests of the node client against a scripted HTTP server.

use super::*;
use crate::http::testing::{Reply, TestServer};
use crate::http::HttpSettings;
use base64::Engine as _;
use std::time::Duration;

const PASSWORD: &str = "s3cret-Passw0rd";

fn creds() -> Credentials {
    Credentials {
        username: "admin@example.com".into(),
        password: PASSWORD.into(),
    }
}

fn fast() -> HttpSettings {
    HttpSettings {
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        ..HttpSettings::default()
    }
}

async fn setup(replies: Vec<Reply>) -> (TestServer, NodeClient) {
    setup_with(fast(), replies).await
}

async fn setup_with(settings: HttpSettings, replies: Vec<Reply>) -> (TestServer, NodeClient) {
    let server = TestServer::script(replies).await;
    let http = HttpClient::new(settings).unwrap();
    let client = RedisClient::new(http, None);
    let node = client
        .node(&format!("{}/redis/node1/", server.base), Some(creds()))
        .unwrap();
    (server, node)
}

fn expected_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin@example.com:{PASSWORD}"))
    )
}

fn sample_request() -> BootstrapRequest {
    BootstrapRequest {
        action: "join_cluster".into(),
        cluster: ClusterIdentity {
            name: None,
            nodes: vec!["10.0.0.1".into()],
        },
        node: Some(NodeSpec {
            paths: Some(NodePaths {
                persistent_path: Some("/data/persist".into()),
                ..NodePaths::default()
            }),
            bigstore_driver: None,
            identity: Some(NodeIdentity {
                addr: Some("10.0.0.2".into()),
                external_addr: vec!["203.0.113.2".into()],
                rack_id: Some("rack-b".into()),
            }),
        }),
        credentials: creds(),
        license: Some("----- LICENSE START -----".into()),
    }
}

/// The credentials travel in the body and, as on every request, in Basic auth (a node that is
/// not a member yet ignores it; one that is would otherwise answer 401).
#[tokio::test]
async fn bootstrap_posts_the_documented_object_with_auth() {
    let (server, node) = setup(vec![Reply::json(200, "{}")]).await;
    let outcome = node
        .start_bootstrap(&sample_request(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, StartOutcome::Accepted);
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/redis/node1/v1/bootstrap/join_cluster");
    assert_eq!(
        request.header("authorization"),
        Some(expected_auth().as_str())
    );
    assert_eq!(
        request.json(),
        serde_json::json!({
            "action": "join_cluster",
            "cluster": {"nodes": ["10.0.0.1"]},
            "node": {
                "paths": {"persistent_path": "/data/persist"},
                "identity": {"addr": "10.0.0.2", "external_addr": ["203.0.113.2"], "rack_id": "rack-b"}
            },
            "credentials": {"username": "admin@example.com", "password": PASSWORD},
            "license": "----- LICENSE START -----"
        })
    );
    let shown = format!("{:?}", sample_request());
    assert!(
        !shown.contains(PASSWORD) && !shown.contains("LICENSE"),
        "{shown}"
    );
}

#[tokio::test]
async fn bootstrap_409_is_already_running_and_5xx_is_not_reposted() {
    let (server, node) = setup(vec![
        Reply::json(
            409,
            r#"{"error_code":"bootstrap_in_progress","message":"busy"}"#,
        ),
        Reply::json(500, r#"{"message":"boom"}"#),
    ])
    .await;
    let cancel = CancellationToken::new();
    assert_eq!(
        node.start_bootstrap(&sample_request(), &cancel)
            .await
            .unwrap(),
        StartOutcome::AlreadyRunning
    );
    let err = node
        .start_bootstrap(&sample_request(), &cancel)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(server.count(), 2);
}

/// Basic auth from the very first request: never a 401 that the credentials would have avoided.
#[tokio::test]
async fn every_request_carries_basic_auth_from_the_first() {
    let (server, node) = setup(vec![
        Reply::json(200, r#"{"bootstrap_status":{"state":"creating_cluster"}}"#),
        Reply::json(
            200,
            r#"{"bootstrap_status":{"state":"completed","start_time":"2024-01-01T00:00:00Z","end_time":"2024-01-01T00:01:00Z"},
                "local_node_info":{"uid":"3","software_version":"7.4.2-54","available_addresses":["10.0.0.3"]}}"#,
        ),
        Reply::json(200, r#"{"bootstrap_status":{"state":"completed"},"local_node_info":{"uid":3}}"#),
        Reply::json(200, r#"{"name":"c.example.com"}"#),
        Reply::json(200, r#"[{"uid":3}]"#),
    ])
    .await;
    let cancel = CancellationToken::new();
    let first = node.bootstrap_status(&cancel).await.unwrap();
    assert_eq!(first.state(), Some("creating_cluster"));
    let done = node.bootstrap_status(&cancel).await.unwrap();
    assert_eq!(done.state(), Some("completed"));
    assert_eq!(done.uid(), Some("3"));
    let info = done.local_node_info.as_ref().unwrap();
    assert_eq!(info.addresses().collect::<Vec<_>>(), vec!["10.0.0.3"]);
    // A number is as good as a string.
    assert_eq!(
        node.bootstrap_status(&cancel).await.unwrap().uid(),
        Some("3")
    );
    node.cluster(&cancel).await.unwrap();
    node.nodes(&cancel).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    let auth = expected_auth();
    for r in &requests {
        assert_eq!(r.header("authorization"), Some(auth.as_str()), "{r:?}");
    }
}

/// A client without credentials (nothing configured) sends none.
#[tokio::test]
async fn no_credentials_no_auth_header() {
    let server = TestServer::script(vec![Reply::json(
        200,
        r#"{"bootstrap_status":{"state":"idle"}}"#,
    )])
    .await;
    let http = HttpClient::new(HttpSettings::default()).unwrap();
    let node = RedisClient::new(http, None)
        .node(&server.base, None)
        .unwrap();
    node.bootstrap_status(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(server.requests()[0].header("authorization"), None);
}

/// Which failures mean "the node did not act, ask again" and which "it may have acted".
#[tokio::test]
async fn failures_are_told_apart() {
    let (_server, node) = setup_with(HttpSettings { max_attempts: 1, ..fast() }, vec![
        Reply::json(
            503,
            r#"{"error_code":"service_unavailable","message":"services starting"}"#,
        ),
        Reply::json(
            503,
            r#"{"error_code":"not_member","message":"this node is not a member of the cluster"}"#,
        ),
        Reply::json(500, r#"{"message":"boom"}"#),
        Reply::json(501, r#"{"message":"no"}"#),
        Reply::json(429, r#"{"message":"slow down"}"#),
        Reply::json(400, r#"{"message":"bad"}"#),
    ])
    .await;
    let cancel = CancellationToken::new();
    let mut errors = Vec::new();
    for _ in 0..6 {
        errors.push(
            node.start_bootstrap(&sample_request(), &cancel)
                .await
                .unwrap_err(),
        );
    }
    let kinds: Vec<(bool, bool)> = errors
        .iter()
        .map(|e| (e.node_not_ready(), e.outcome_unknown()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (true, false),  // 503 while starting: not acted
            (false, false), // 503 not a member: a definite answer
            (false, true),  // 500: may have acted
            (false, false), // 501: will never work
            (true, false),  // 429 (after the HTTP layer's own retries)
            (false, false), // 400: refused
        ],
        "{errors:?}"
    );
    assert!(
        matches!(errors[1], ApiError::NotMember(_)),
        "{:?}",
        errors[1]
    );

    // A refused connection never reached the node; a timeout may have.
    let refused = RedisClient::new(
        HttpClient::new(HttpSettings {
            max_attempts: 1,
            ..HttpSettings::default()
        })
        .unwrap(),
        None,
    )
    .node(&format!("http://{}", closed_port().await), None)
    .unwrap();
    let err = refused
        .start_bootstrap(&sample_request(), &cancel)
        .await
        .unwrap_err();
    assert!(err.node_not_ready() && !err.outcome_unknown(), "{err:?}");

    let slow = TestServer::script(vec![Reply::json(200, "{}").delay(Duration::from_secs(2))]).await;
    let http = HttpClient::new(HttpSettings {
        timeout: Duration::from_millis(200),
        ..HttpSettings::default()
    })
    .unwrap();
    let node = RedisClient::new(http, None).node(&slow.base, None).unwrap();
    let err = node
        .start_bootstrap(&sample_request(), &cancel)
        .await
        .unwrap_err();
    assert!(err.outcome_unknown() && !err.node_not_ready(), "{err:?}");
    assert_eq!(
        slow.count(),
        1,
        "a POST that timed out is not sent again by the HTTP layer"
    );
}

/// An address nothing listens on.
pub(crate) async fn closed_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

#[tokio::test]
async fn error_state_carries_code_and_message() {
    let (_server, node) = setup(vec![
        Reply::json(
            200,
            r#"{"bootstrap_status":{"state":"error","error_code":"invalid_license","error_details":{"message":"license expired"}}}"#,
        ),
        Reply::json(200, r#"{"bootstrap_status":{"state":"error","error_code":"config_error","error_details":"plain words"}}"#),
    ])
    .await;
    let cancel = CancellationToken::new();
    let status = node
        .bootstrap_status(&cancel)
        .await
        .unwrap()
        .bootstrap_status
        .unwrap();
    assert_eq!(status.error_code.as_deref(), Some("invalid_license"));
    assert_eq!(status.error_message().as_deref(), Some("license expired"));
    let status = node
        .bootstrap_status(&cancel)
        .await
        .unwrap()
        .bootstrap_status
        .unwrap();
    assert_eq!(status.error_message().as_deref(), Some("plain words"));
}

#[tokio::test]
async fn node_lookup_maps_404_and_not_member() {
    let (server, node) = setup(vec![
        Reply::json(
            200,
            r#"{"uid":2,"addr":"10.0.0.2","status":"active","software_version":"7.4.2-54"}"#,
        ),
        Reply::json(
            404,
            r#"{"error_code":"node_not_found","message":"no node 9"}"#,
        ),
        Reply::json(
            503,
            r#"{"error_code":"not_member","message":"this node is not a member of the cluster"}"#,
        ),
    ])
    .await;
    let cancel = CancellationToken::new();
    let found = node.node("2", &cancel).await.unwrap().unwrap();
    assert_eq!(found.uid.as_deref(), Some("2"));
    assert_eq!(found.status.as_deref(), Some("active"));
    assert!(node.node("9", &cancel).await.unwrap().is_none());
    let err = node.node("2", &cancel).await.unwrap_err();
    assert!(matches!(err, ApiError::NotMember(_)), "{err:?}");
    let requests = server.requests();
    assert_eq!(requests[0].path, "/redis/node1/v1/nodes/2");
    let auth = expected_auth();
    assert_eq!(requests[0].header("authorization"), Some(auth.as_str()));
    // Nothing is sent for a uid that names no node.
    assert!(node.node("..", &cancel).await.unwrap().is_none());
    assert_eq!(server.count(), requests.len());
}

#[tokio::test]
async fn remove_action_statuses() {
    let (server, node) = setup(vec![
        Reply::json(200, r#"{"action_uid":"a1"}"#),
        Reply::json(409, r#"{"message":"already running"}"#),
        Reply::json(404, r#"{"message":"no node"}"#),
        Reply::json(200, r#"{"status":"running","progress":40}"#),
        Reply::json(200, r#"{"status":"failed","error":"shards left"}"#),
        Reply::json(404, "{}"),
    ])
    .await;
    let cancel = CancellationToken::new();
    assert_eq!(
        node.remove_node("2", &cancel).await.unwrap(),
        RemoveOutcome::Started
    );
    assert_eq!(
        node.remove_node("2", &cancel).await.unwrap(),
        RemoveOutcome::AlreadyRunning
    );
    assert_eq!(
        node.remove_node("2", &cancel).await.unwrap(),
        RemoveOutcome::NodeGone
    );
    let running = node.remove_status("2", &cancel).await.unwrap().unwrap();
    assert_eq!(running.progress.as_deref(), Some("40"));
    assert!(!running.failed());
    assert!(node
        .remove_status("2", &cancel)
        .await
        .unwrap()
        .unwrap()
        .failed());
    assert!(node.remove_status("2", &cancel).await.unwrap().is_none());
    let requests = server.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/redis/node1/v1/nodes/2/actions/remove");
    assert_eq!(requests[3].method, "GET");
}

#[tokio::test]
async fn errors_never_show_the_password() {
    let (_server, node) = setup(vec![
        Reply::json(
            400,
            &format!(r#"{{"error_code":"bad_request","message":"bad password {PASSWORD}"}}"#),
        ),
        Reply::json(401, "{}"),
        Reply::json(401, "{}"),
    ])
    .await;
    let cancel = CancellationToken::new();
    let err = node
        .start_bootstrap(&sample_request(), &cancel)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Rejected { status: 400, code: Some(c), .. } if c == "bad_request"),
        "{err:?}"
    );
    let text = format!("{err} {err:?} {node:?}");
    assert!(!text.contains(PASSWORD), "{text}");
    let err = node.bootstrap_status(&cancel).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { status: 401 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("check username and password"));
}

#[tokio::test]
async fn cancelled_before_sending() {
    let (server, node) = setup(vec![Reply::status(200)]).await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    assert!(node
        .bootstrap_status(&cancel)
        .await
        .unwrap_err()
        .is_cancelled());
    assert_eq!(server.count(), 0);
}
