//! Contract tests of the simulated Redis Enterprise nodes, run against the real `clusterform-sim`
//! binary over HTTP (and HTTPS) with a plain reqwest client: nothing from the crate's own client.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

const USER: &str = "admin@example.com";
const PASSWORD: &str = "cluster-Pw-1";

/// A running simulator; killed when dropped so a failing test never leaks a process.
struct Sim {
    child: Child,
    root: String,
    /// `https://127.0.0.1:PORT` when started with `--tls-listen`.
    https: Option<String>,
    http: reqwest::Client,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the simulator with a 50 ms pace; `extra` adds arguments. Reads one listening line, or
/// two when `tls` is set.
fn start(extra: &[&str], tls: bool) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clusterform-sim"))
        .args(["--listen", "127.0.0.1:0", "--pace", "50ms"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn clusterform-sim");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut next_url = |scheme: &str| {
        let line = lines
            .next()
            .expect("a listening line")
            .expect("readable stdout");
        let url = line
            .trim()
            .strip_prefix("clusterform-sim listening on ")
            .unwrap_or_else(|| panic!("unexpected line {line:?}"))
            .to_owned();
        assert!(url.starts_with(&format!("{scheme}://127.0.0.1:")), "{url}");
        url
    };
    let root = next_url("http");
    let https = tls.then(|| next_url("https"));
    Sim {
        child,
        root,
        https,
        http: reqwest::Client::new(),
    }
}

impl Sim {
    /// A request to node `node`; `path` is relative to the node's base URL.
    fn node(&self, method: Method, node: &str, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/redis/{node}{path}", self.root))
    }

    fn authed(&self, method: Method, node: &str, path: &str) -> RequestBuilder {
        self.node(method, node, path)
            .basic_auth(USER, Some(PASSWORD))
    }

    fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/_admin/redis{path}", self.root))
    }

    async fn bootstrap(&self, node: &str, action: &str, body: Value) -> (StatusCode, Value) {
        let resp = self
            .node(Method::POST, node, &format!("/v1/bootstrap/{action}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Polls `GET /v1/bootstrap` (with credentials once asked for) until the state is final;
    /// returns every state seen and the last document.
    async fn wait_final(&self, node: &str) -> (Vec<String>, Value) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen: Vec<String> = Vec::new();
        loop {
            let mut resp = self
                .node(Method::GET, node, "/v1/bootstrap")
                .send()
                .await
                .unwrap();
            if resp.status() == StatusCode::UNAUTHORIZED {
                resp = self
                    .authed(Method::GET, node, "/v1/bootstrap")
                    .send()
                    .await
                    .unwrap();
            }
            assert_eq!(resp.status(), StatusCode::OK);
            let doc: Value = resp.json().await.unwrap();
            let state = doc["bootstrap_status"]["state"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            if seen.last() != Some(&state) {
                seen.push(state.clone());
            }
            if state == "completed" || state == "error" {
                return (seen, doc);
            }
            assert!(
                Instant::now() < deadline,
                "bootstrap of {node} never finished: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn admin_nodes(&self) -> Vec<Value> {
        let v: Value = self
            .admin(Method::GET, "/nodes")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().cloned().unwrap_or_default()
    }
}

fn create_body(cluster: &str) -> Value {
    json!({
        "action": "create_cluster",
        "cluster": {"name": cluster},
        "node": {"identity": {"addr": "10.5.0.1"}},
        "credentials": {"username": USER, "password": PASSWORD}
    })
}

fn join_body(nodes: &[&str], password: &str) -> Value {
    json!({
        "action": "join_cluster",
        "cluster": {"nodes": nodes},
        "credentials": {"username": USER, "password": password}
    })
}

/// Creates `c.example.com` on n1 and joins n2 through n1's address.
async fn two_node_cluster(sim: &Sim) {
    assert_eq!(
        sim.bootstrap("n1", "create_cluster", create_body("c.example.com"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        sim.wait_final("n1").await.1["bootstrap_status"]["state"],
        "completed"
    );
    assert_eq!(
        sim.bootstrap("n2", "join_cluster", join_body(&["10.5.0.1"], PASSWORD))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        sim.wait_final("n2").await.1["bootstrap_status"]["state"],
        "completed"
    );
}

#[tokio::test]
async fn bootstrap_runs_through_its_states_and_then_needs_auth() {
    let sim = start(&[], false);
    let idle: Value = sim
        .node(Method::GET, "n1", "/v1/bootstrap")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(idle["bootstrap_status"]["state"], "idle");
    assert!(idle["local_node_info"]["uid"].is_null(), "{idle}");
    // The vendor's shape: objects, in the node's (unsorted) order; the first private IPv4 in
    // sorted order is the node's default address (10.0.0.1 for the first node).
    let addrs = idle["local_node_info"]["available_addrs"]
        .as_array()
        .unwrap_or_else(|| panic!("{idle}"));
    assert!(addrs.len() >= 3, "{idle}");
    for a in addrs {
        assert!(a["address"].is_string(), "{a}");
        assert!(matches!(a["format"].as_str(), Some("ipv4" | "ipv6")), "{a}");
        assert!(a["if_name"].is_string(), "{a}");
        assert!(a["private"].is_boolean(), "{a}");
    }
    assert!(addrs.iter().any(|a| a["private"] == false), "{idle}");
    assert!(addrs.iter().any(|a| a["format"] == "ipv6"), "{idle}");
    let listed: Vec<&str> = addrs.iter().filter_map(|a| a["address"].as_str()).collect();
    let mut private_v4: Vec<&str> = addrs
        .iter()
        .filter(|a| a["private"] == true && a["format"] == "ipv4")
        .filter_map(|a| a["address"].as_str())
        .collect();
    private_v4.sort();
    assert!(private_v4.len() >= 2, "{idle}");
    assert_eq!(private_v4[0], "10.0.0.1", "{idle}");
    assert_ne!(listed[0], "10.0.0.1", "the list is not sorted: {idle}");

    let (status, _) = sim
        .bootstrap("n1", "create_cluster", create_body("c.example.com"))
        .await;
    assert_eq!(status, StatusCode::OK);
    // While it runs, a second POST is refused with 409 and changes nothing.
    let (status, body) = sim
        .bootstrap("n1", "create_cluster", create_body("other.example.com"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error_code"], "bootstrap_in_progress");

    let (seen, doc) = sim.wait_final("n1").await;
    assert_eq!(
        seen.first().map(String::as_str),
        Some("initiated"),
        "{seen:?}"
    );
    assert!(seen.contains(&"creating_cluster".to_owned()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("completed"));
    let status = &doc["bootstrap_status"];
    assert!(
        status["start_time"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{doc}"
    );
    assert!(status["end_time"].is_string(), "{doc}");
    // Real servers send the uid as a string here.
    assert_eq!(doc["local_node_info"]["uid"], "1");
    assert_eq!(doc["local_node_info"]["software_version"], "7.4.2-54");

    // A member answers only with the cluster's credentials.
    let anon = sim
        .node(Method::GET, "n1", "/v1/bootstrap")
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    assert!(anon.headers().contains_key("www-authenticate"));
    let wrong = sim
        .node(Method::GET, "n1", "/v1/bootstrap")
        .basic_auth(USER, Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // Once completed, another bootstrap is refused too.
    let (status, body) = sim
        .bootstrap("n1", "create_cluster", create_body("c.example.com"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error_code"], "node_already_bootstrapped");

    let cluster: Value = sim
        .authed(Method::GET, "n1", "/v1/cluster")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cluster["name"], "c.example.com");
    assert!(cluster["created_time"].is_string());
}

#[tokio::test]
async fn join_nodes_and_remove_action() {
    let sim = start(&[], false);
    two_node_cluster(&sim).await;
    // A join address may also be the member's node name.
    assert_eq!(
        sim.bootstrap("n3", "join_cluster", join_body(&["n1"], PASSWORD))
            .await
            .0,
        StatusCode::OK
    );
    let (seen, doc) = sim.wait_final("n3").await;
    assert!(seen.contains(&"joining_cluster".to_owned()), "{seen:?}");
    assert_eq!(doc["local_node_info"]["uid"], "3");

    let nodes: Value = sim
        .authed(Method::GET, "n2", "/v1/nodes")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uids: Vec<u64> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        uids,
        vec![1, 2, 3],
        "the node object's uid is a number: {nodes}"
    );
    assert_eq!(nodes[0]["addr"], "10.5.0.1");
    assert_eq!(nodes[1]["status"], "active");
    let missing = sim
        .authed(Method::GET, "n1", "/v1/nodes/9")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let anon = sim
        .node(Method::GET, "n1", "/v1/nodes/2")
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);

    // Remove node 2 through its own API: 409 while running, status 404 once done.
    let start = sim
        .authed(Method::POST, "n2", "/v1/nodes/2/actions/remove")
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::OK);
    let again = sim
        .authed(Method::POST, "n1", "/v1/nodes/2/actions/remove")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let running: Value = sim
        .authed(Method::GET, "n1", "/v1/nodes/2/actions/remove")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(running["status"], "running");
    let node2: Value = sim
        .authed(Method::GET, "n1", "/v1/nodes/2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(node2["status"], "decommissioning");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = sim
            .authed(Method::GET, "n1", "/v1/nodes/2/actions/remove")
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert!(Instant::now() < deadline, "remove action never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gone = sim
        .authed(Method::GET, "n1", "/v1/nodes/2")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // The removed node is a fresh node again: idle, no uid, no cluster.
    let fresh: Value = sim
        .node(Method::GET, "n2", "/v1/bootstrap")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["bootstrap_status"]["state"], "idle");
    assert!(fresh["local_node_info"]["uid"].is_null());
    let not_member = sim
        .authed(Method::GET, "n2", "/v1/cluster")
        .send()
        .await
        .unwrap();
    assert_eq!(not_member.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = not_member.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a member"),
        "{body}"
    );
    // It can join again and gets a new uid.
    assert_eq!(
        sim.bootstrap("n2", "join_cluster", join_body(&["10.5.0.1"], PASSWORD))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(sim.wait_final("n2").await.1["local_node_info"]["uid"], "4");
}

#[tokio::test]
async fn bad_configurations_end_in_error_states() {
    let sim = start(&[], false);
    two_node_cluster(&sim).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "j1",
            "join_cluster",
            join_body(&["10.9.9.9"], PASSWORD),
            "connect_error",
        ),
        (
            "j2",
            "join_cluster",
            join_body(&["10.5.0.1"], "wrong-password"),
            "access_denied",
        ),
        (
            "j3",
            "create_cluster",
            {
                let mut b = create_body("other.example.com");
                b["license"] = json!("not a license");
                b
            },
            "invalid_license",
        ),
        (
            "j4",
            "create_cluster",
            {
                let mut b = create_body("third.example.com");
                b["node"]["paths"] = json!({"persistent_path": "relative/dir"});
                b
            },
            "path_error",
        ),
        (
            "j5",
            "create_cluster",
            create_body("C.example.com"),
            "config_error",
        ),
    ];
    for (node, action, body, code) in cases {
        let (status, _) = sim.bootstrap(node, action, body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{node}: accepted first, judged later"
        );
        let (_, doc) = sim.wait_final(node).await;
        let st = &doc["bootstrap_status"];
        assert_eq!(st["state"], "error", "{node}: {doc}");
        assert_eq!(st["error_code"], code, "{node}: {doc}");
        assert!(
            st["error_details"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{doc}"
        );
    }

    // A forced error wins once, with the given message; from error a new bootstrap is allowed.
    let forced = sim
        .admin(Method::POST, "/nodes/j6/next_bootstrap_error")
        .json(&json!({"error_code": "insufficient_node_memory", "message": "needs 2 GB"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), StatusCode::OK);
    let bad_code = sim
        .admin(Method::POST, "/nodes/j6/next_bootstrap_error")
        .json(&json!({"error_code": "made_up"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_code.status(), StatusCode::BAD_REQUEST);
    sim.bootstrap("j6", "join_cluster", join_body(&["10.5.0.1"], PASSWORD))
        .await;
    let (_, doc) = sim.wait_final("j6").await;
    assert_eq!(
        doc["bootstrap_status"]["error_code"],
        "insufficient_node_memory"
    );
    assert_eq!(
        doc["bootstrap_status"]["error_details"]["message"],
        "needs 2 GB"
    );
    assert_eq!(
        sim.bootstrap("j6", "join_cluster", join_body(&["10.5.0.1"], PASSWORD))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        sim.wait_final("j6").await.1["bootstrap_status"]["state"],
        "completed"
    );
}

#[tokio::test]
async fn malformed_requests_are_refused_at_once() {
    let sim = start(&[], false);
    let creds = json!({"username": USER, "password": PASSWORD});
    let cases: Vec<(&str, Value)> = vec![
        (
            "create_cluster",
            json!({"cluster": {"name": "c.example.com"}}),
        ),
        (
            "create_cluster",
            json!({"cluster": {}, "credentials": creds}),
        ),
        (
            "create_cluster",
            json!({"cluster": {"name": "bad_name.example.com"}, "credentials": creds}),
        ),
        ("join_cluster", json!({"cluster": {}, "credentials": creds})),
        (
            "join_cluster",
            json!({"action": "create_cluster", "cluster": {"nodes": ["x"]}, "credentials": creds}),
        ),
        (
            "join_cluster",
            json!({"cluster": {"nodes": "10.0.0.1"}, "credentials": creds}),
        ),
        (
            "recover_cluster",
            json!({"cluster": {"name": "c"}, "credentials": creds}),
        ),
        ("explode", json!({})),
    ];
    for (action, body) in cases {
        let (status, answer) = sim.bootstrap("m1", action, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{action} {body}: {answer}");
        assert!(
            answer["message"].is_string() && answer["error_code"].is_string(),
            "{answer}"
        );
    }
    let not_json = sim
        .node(Method::POST, "m1", "/v1/bootstrap/create_cluster")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    // Nothing started.
    let doc: Value = sim
        .node(Method::GET, "m1", "/v1/bootstrap")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["bootstrap_status"]["state"], "idle");
    let bad_name = sim
        .node(Method::GET, "bad%20name", "/v1/bootstrap")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_name.status(), StatusCode::NOT_FOUND);
    let unknown = sim
        .node(Method::GET, "m1", "/v1/unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn validate_answers_200_or_406() {
    let sim = start(&[], false);
    two_node_cluster(&sim).await;
    let ok = sim
        .node(Method::POST, "v1", "/v1/bootstrap/validate/join_cluster")
        .json(&join_body(&["10.5.0.1"], PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let bad = sim
        .node(Method::POST, "v1", "/v1/bootstrap/validate/join_cluster")
        .json(&join_body(&["10.5.0.1"], "wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::NOT_ACCEPTABLE);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error_code"], "access_denied");
    // Validation changes nothing.
    let doc: Value = sim
        .node(Method::GET, "v1", "/v1/bootstrap")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["bootstrap_status"]["state"], "idle");
}

#[tokio::test]
async fn admin_lists_and_removes_behind_the_back() {
    let sim = start(&[], false);
    two_node_cluster(&sim).await;
    let nodes = sim.admin_nodes().await;
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert_eq!(nodes[1]["name"], "n2");
    assert_eq!(nodes[1]["cluster"], "c.example.com");
    assert_eq!(nodes[1]["uid"], 2);
    let clusters: Value = sim
        .admin(Method::GET, "/clusters")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clusters[0]["name"], "c.example.com");
    assert_eq!(clusters[0]["nodes"].as_array().map(Vec::len), Some(2));

    let removed = sim
        .admin(Method::POST, "/nodes/n2/remove")
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    let again = sim
        .admin(Method::POST, "/nodes/n2/remove")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let gone = sim
        .authed(Method::GET, "n1", "/v1/nodes/2")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    // The last node of a cluster cannot be removed through the API.
    let last = sim
        .authed(Method::POST, "n1", "/v1/nodes/1/actions/remove")
        .send()
        .await
        .unwrap();
    assert_eq!(last.status(), StatusCode::BAD_REQUEST);
    // Without --tls-listen there is no HTTPS to report.
    let tls = sim.admin(Method::GET, "/tls").send().await.unwrap();
    assert_eq!(tls.status(), StatusCode::NOT_FOUND);
    // Requests are logged per node path under the redis vendor.
    let log: Value = reqwest::get(format!(
        "{}/_admin/requests?vendor=redis&path_contains=/n2/",
        sim.root
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(log["total"].as_u64().unwrap_or(0) >= 2, "{log}");
}

#[tokio::test]
async fn https_serves_the_same_state_with_the_written_certificate() {
    let dir = std::env::temp_dir().join(format!("clusterform-sim-redis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_file = dir.join("ca.pem");
    let cert_path = cert_file.display().to_string();
    let sim = start(
        &["--tls-listen", "127.0.0.1:0", "--tls-cert-out", &cert_path],
        true,
    );
    let https = sim.https.clone().expect("https url");
    let pem = std::fs::read_to_string(&cert_file).expect("certificate file");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let tls: Value = sim
        .admin(Method::GET, "/tls")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tls["url"], https.as_str());
    assert_eq!(tls["ca_cert_pem"], pem.as_str());

    // Bootstrap over plain HTTP, read over HTTPS: one state behind both listeners.
    two_node_cluster(&sim).await;
    let trusted = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    for host in [https.clone(), https.replace("127.0.0.1", "localhost")] {
        let nodes: Value = trusted
            .get(format!("{host}/redis/n1/v1/nodes"))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"))
            .json()
            .await
            .unwrap();
        assert_eq!(nodes.as_array().map(Vec::len), Some(2), "{host}: {nodes}");
    }
    let insecure = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let status = insecure
        .get(format!("{https}/redis/n3/v1/bootstrap"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);

    // A client that trusts another CA is refused at the handshake, and the server carries on.
    let other_ca = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .cert
        .pem();
    let other = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(other_ca.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let err = other
        .get(format!("{https}/redis/n1/v1/bootstrap"))
        .send()
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").to_lowercase().contains("certificate"),
        "{err:?}"
    );
    let status = insecure
        .get(format!("{https}/redis/n3/v1/bootstrap"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Basic auth sent to a node that belongs to no cluster yet is ignored, whatever it holds: the
/// unauthenticated endpoints (`GET /v1/bootstrap`, the bootstrap POST, validate) answer as
/// without it, and a joining node too. Clients may therefore send credentials from the first
/// request on.
#[tokio::test]
async fn basic_auth_is_ignored_before_membership() {
    let sim = start(&[], false);
    for creds in [(USER, PASSWORD), ("someone", "anything")] {
        let resp = sim
            .node(Method::GET, "fresh", "/v1/bootstrap")
            .basic_auth(creds.0, Some(creds.1))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{creds:?}");
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["bootstrap_status"]["state"], "idle");
        let resp = sim
            .node(
                Method::POST,
                "fresh",
                "/v1/bootstrap/validate/create_cluster",
            )
            .basic_auth(creds.0, Some(creds.1))
            .json(&create_body("c.example.com"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{creds:?}");
    }
    let resp = sim
        .node(Method::POST, "n1", "/v1/bootstrap/create_cluster")
        .basic_auth(USER, Some(PASSWORD))
        .json(&create_body("c.example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // While it runs (not a member yet) any credentials still pass.
    let resp = sim
        .node(Method::GET, "n1", "/v1/bootstrap")
        .basic_auth("someone", Some("anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        sim.wait_final("n1").await.1["bootstrap_status"]["state"],
        "completed"
    );
    let resp = sim
        .node(Method::POST, "n2", "/v1/bootstrap/join_cluster")
        .basic_auth(USER, Some(PASSWORD))
        .json(&join_body(&["10.5.0.1"], PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = sim
        .authed(Method::GET, "n2", "/v1/bootstrap")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        sim.wait_final("n2").await.1["bootstrap_status"]["state"],
        "completed"
    );
}
