//! Contract tests of the simulated Instaclustr API, run against the real `clusterform-sim` binary
//! over HTTP with a plain reqwest client (nothing from the crate's own vendor client).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

const USER: &str = "demo";
const KEY: &str = "demo-key";

/// A running simulator; killed when dropped so a failing test never leaks a process.
struct Sim {
    child: Child,
    root: String,
    http: reqwest::Client,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clusterform-sim"))
        .args(["--listen", "127.0.0.1:0", "--pace", "50ms"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn clusterform-sim");
    let stdout = child.stdout.take().expect("child stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let root = line
        .trim()
        .strip_prefix("clusterform-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(root.starts_with("http://127.0.0.1:"), "{root}");
    Sim {
        child,
        root,
        http: reqwest::Client::new(),
    }
}

impl Sim {
    /// An authenticated Instaclustr request; `path` is relative to the vendor base URL.
    fn ic(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/instaclustr{path}", self.root))
            .basic_auth(USER, Some(KEY))
    }

    fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/_admin{path}", self.root))
    }

    async fn create(&self, body: &Value) -> String {
        let resp = self
            .ic(Method::POST, "/provisioning/v1/extended/")
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let v: Value = resp.json().await.unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 1, "create answers exactly {{\"id\"}}: {v}");
        v["id"].as_str().unwrap().to_owned()
    }

    async fn get(&self, id: &str) -> (StatusCode, Value) {
        let resp = self
            .ic(Method::GET, &format!("/provisioning/v1/{id}"))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Polls until the cluster reaches `want`; returns every distinct status seen, in order.
    async fn wait_for(&self, id: &str, want: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen: Vec<String> = Vec::new();
        loop {
            let (status, body) = self.get(id).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
            let s = body["clusterStatus"].as_str().unwrap().to_owned();
            if seen.last() != Some(&s) {
                seen.push(s.clone());
            }
            if s == want {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "never reached {want}; saw {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn requests(&self) -> Value {
        self.admin(Method::GET, "/requests")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn cluster_body(name: &str) -> Value {
    json!({
        "clusterName": name,
        "bundles": [{"bundle": "APACHE_CASSANDRA", "version": "apache-cassandra-4.0.10", "options": {"authnAuthz": true}}],
        "provider": {"name": "AWS_VPC", "accountName": "acct", "tags": {"team": "data"}},
        "slaTier": "NON_PRODUCTION",
        "nodeSize": "CAS-DEV-t4g.small-5",
        "dataCentre": "US_WEST_2",
        "clusterNetwork": "10.224.0.0/12",
        "privateNetworkCluster": false,
        "pciCompliantCluster": false,
        "rackAllocation": {"numberOfRacks": 3, "nodesPerRack": 1}
    })
}

fn error_names(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array in {body}"))
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn auth_is_required() {
    let sim = start(&[]);
    let url = format!("{}/instaclustr/provisioning/v1", sim.root);

    let resp = sim.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("www-authenticate").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_names(&body), ["authorization"]);

    let resp = sim
        .http
        .get(&url)
        .basic_auth(USER, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = sim
        .http
        .get(&url)
        .basic_auth("someone", Some(KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = sim.http.get(&url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // With credentials: an empty account lists 404.
    let resp = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn custom_credentials_from_the_command_line() {
    let sim = start(&["--instaclustr-user", "alice", "--instaclustr-key=s3cret"]);
    let url = format!("{}/instaclustr/provisioning/v1", sim.root);
    let resp = sim
        .http
        .get(&url)
        .basic_auth(USER, Some(KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = sim
        .http
        .get(&url)
        .basic_auth("alice", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_walks_the_lifecycle_to_running() {
    let sim = start(&[]);
    // A slower pace than the poll interval so every step is observed.
    sim.admin(Method::POST, "/config")
        .json(&json!({"pace_ms": 400}))
        .send()
        .await
        .unwrap();

    let id = sim.create(&cluster_body("lifecycle_1")).await;
    let seen = sim.wait_for(&id, "RUNNING").await;
    assert_eq!(seen, ["GENESIS", "PROVISIONING", "PROVISIONED", "RUNNING"]);

    let list: Value = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list,
        json!([{"id": id, "name": "lifecycle_1", "nodeCount": 3, "runningNodeCount": 3, "derivedStatus": "RUNNING"}])
    );
}

#[tokio::test]
async fn get_has_the_documented_shape_and_echoes_config() {
    let sim = start(&[]);
    let mut body = cluster_body("shape_test");
    body["rackAllocation"] = json!({"numberOfRacks": "2", "nodesPerRack": "2"});
    body["clusterNetwork"] = json!("192.168.0.0/18");
    body["pciCompliantCluster"] = json!("true");
    let id = sim.create(&body).await;
    sim.wait_for(&id, "RUNNING").await;

    let (status, c) = sim.get(&id).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(c["id"], id);
    assert_eq!(c["clusterName"], "shape_test");
    assert_eq!(c["clusterStatus"], "RUNNING");
    assert_eq!(c["bundleType"], "APACHE_CASSANDRA");
    assert_eq!(c["bundleVersion"], "apache-cassandra-4.0.10");
    assert_eq!(c["slaTier"], "NON_PRODUCTION");
    assert_eq!(c["pciCompliance"], "ENABLED");
    assert!(c["clusterCertificateDownload"].is_string());
    assert!(c["instaclustrUserPassword"].as_str().unwrap().len() >= 16);
    // Echoed configuration.
    assert_eq!(
        c["bundles"],
        json!([{"bundle": "APACHE_CASSANDRA", "version": "apache-cassandra-4.0.10", "options": {"authnAuthz": true}}])
    );
    assert_eq!(c["provider"]["name"], "AWS_VPC");
    assert_eq!(c["provider"]["accountName"], "acct");
    assert_eq!(c["provider"]["tags"], json!({"team": "data"}));
    assert_eq!(c["provider"]["customVirtualNetworkId"], Value::Null);
    assert_eq!(c["clusterNetwork"], "192.168.0.0/18");
    assert_eq!(c["privateNetworkCluster"], false);
    assert_eq!(
        c["rackAllocation"],
        json!({"numberOfRacks": 2, "nodesPerRack": 2})
    );
    assert_eq!(c["nodeSize"], "CAS-DEV-t4g.small-5");

    let cdcs = c["dataCentres"].as_array().unwrap();
    assert_eq!(cdcs.len(), 1);
    let cdc = &cdcs[0];
    assert_eq!(cdc["id"], c["cdcId"]);
    assert_eq!(cdc["name"], "US_WEST_2");
    assert_eq!(cdc["provider"], "AWS_VPC");
    assert_eq!(cdc["cdcNetwork"], "192.168.0.0/18");
    assert_eq!(cdc["nodeCount"], 4);
    assert_eq!(cdc["cdcStatus"], "RUNNING");
    let nodes = cdc["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4);
    let racks: Vec<&str> = nodes.iter().map(|n| n["rack"].as_str().unwrap()).collect();
    assert_eq!(
        racks,
        ["us-west-2a", "us-west-2a", "us-west-2b", "us-west-2b"]
    );
    for n in nodes {
        assert!(n["id"].is_string());
        assert_eq!(n["size"], "CAS-DEV-t4g.small-5");
        assert_eq!(n["nodeStatus"], "RUNNING");
        let private = n["privateAddress"][0].as_str().unwrap();
        assert!(private.starts_with("192.168."), "{private}");
        assert_eq!(n["publicAddress"].as_array().unwrap().len(), 1);
    }

    // Defaults filled in, private network without public addresses.
    let id2 = sim
        .create(&json!({
            "clusterName": "minimal",
            "bundles": [{"bundle": "REDIS", "version": "7.0"}],
            "provider": {"name": "GCP"},
            "nodeSize": "small",
            "dataCentre": "us-east1",
            "privateNetworkCluster": "TRUE"
        }))
        .await;
    let (_, c2) = sim.get(&id2).await;
    assert_eq!(c2["slaTier"], "NON_PRODUCTION");
    assert_eq!(c2["clusterNetwork"], "10.224.0.0/12");
    assert_eq!(
        c2["rackAllocation"],
        json!({"numberOfRacks": 3, "nodesPerRack": 1})
    );
    assert_eq!(c2["pciCompliance"], "DISABLED");
    assert_eq!(c2["bundles"][0]["options"], json!({}));
    let nodes = c2["dataCentres"][0]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0]["privateAddress"], json!(["10.224.0.10"]));
    assert_eq!(nodes[0]["publicAddress"], json!([]));

    let (status, body) = sim.get("00000000-0000-0000-0000-000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errors"].is_array());
}

#[tokio::test]
async fn invalid_create_bodies_are_rejected_with_field_names() {
    let sim = start(&[]);
    let cases: Vec<(&str, Value)> = vec![
        ("clusterName", json!("has space")),
        ("clusterName", json!("a_name_that_is_longer_than_32_chars")),
        ("clusterName", Value::Null),
        ("bundles", json!([])),
        ("bundles", Value::Null),
        ("provider", Value::Null),
        ("slaTier", json!("GOLD")),
        ("clusterNetwork", json!("8.8.0.0/16")),
        ("clusterNetwork", json!("10.0.0.0/8")),
        ("clusterNetwork", json!("10.0.0.0/24")),
        ("clusterNetwork", json!("not-a-cidr")),
        ("nodeSize", Value::Null),
        ("dataCentre", json!("")),
        ("privateNetworkCluster", json!("yes")),
        ("rackAllocation", json!("3x1")),
    ];
    for (field, value) in cases {
        let mut body = cluster_body("valid_name");
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        } else {
            body[field] = value.clone();
        }
        let resp = sim
            .ic(Method::POST, "/provisioning/v1/extended/")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{field} = {value}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            error_names(&err).iter().any(|n| n == field),
            "{field} = {value}: {err}"
        );
    }

    let nested: Vec<(&str, Value)> = vec![
        ("provider.name", json!({"name": "DIGITAL_OCEAN"})),
        ("bundles[0].version", json!([{"bundle": "KAFKA"}])),
        (
            "rackAllocation.numberOfRacks",
            json!({"numberOfRacks": 6, "nodesPerRack": 1}),
        ),
        (
            "rackAllocation.nodesPerRack",
            json!({"numberOfRacks": 1, "nodesPerRack": "11"}),
        ),
        (
            "rackAllocation.numberOfRacks",
            json!({"numberOfRacks": 0, "nodesPerRack": 1}),
        ),
    ];
    for (path, value) in nested {
        let mut body = cluster_body("valid_name");
        let top = path.split(['.', '[']).next().unwrap();
        body[top] = value;
        let resp = sim
            .ic(Method::POST, "/provisioning/v1/extended")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{path}");
        let err: Value = resp.json().await.unwrap();
        assert!(error_names(&err).iter().any(|n| n == path), "{path}: {err}");
    }

    // Several errors are reported together.
    let resp = sim
        .ic(Method::POST, "/provisioning/v1/extended/")
        .json(&json!({"clusterName": "x y", "slaTier": "GOLD"}))
        .send()
        .await
        .unwrap();
    let err: Value = resp.json().await.unwrap();
    let names = error_names(&err);
    for f in [
        "clusterName",
        "bundles",
        "provider",
        "slaTier",
        "nodeSize",
        "dataCentre",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing in {err}");
    }

    // Malformed JSON is a 400, not a crash.
    let resp = sim
        .ic(Method::POST, "/provisioning/v1/extended/")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(error_names(&err), ["body"]);

    // Strings for booleans and counts are accepted; without the trailing slash too.
    let mut body = cluster_body("strings_ok");
    body["privateNetworkCluster"] = json!("false");
    body["pciCompliantCluster"] = json!("false");
    body["rackAllocation"] = json!({"numberOfRacks": "3", "nodesPerRack": "1"});
    let resp = sim
        .ic(Method::POST, "/provisioning/v1/extended")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);

    // Duplicate name of a live cluster → 409.
    let resp = sim
        .ic(Method::POST, "/provisioning/v1/extended/")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(error_names(&err), ["clusterName"]);
}

#[tokio::test]
async fn resize_changes_node_size() {
    let sim = start(&[]);
    let id = sim.create(&cluster_body("resize_me")).await;
    let (_, c) = sim.get(&id).await;
    let cdc = c["cdcId"].as_str().unwrap().to_owned();
    let resize_body = json!({"newNodeSize": "CAS-PRD-r6g.large-800", "concurrentResizes": 1, "notifySupportContacts": "false"});
    let resize_path = format!("/provisioning/v1/{id}/{cdc}/resize");

    // Not RUNNING yet → 400.
    let resp = sim
        .ic(Method::POST, &resize_path)
        .json(&resize_body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(error_names(&err), ["clusterStatus"]);

    sim.wait_for(&id, "RUNNING").await;

    let resp = sim
        .ic(
            Method::POST,
            &format!("/provisioning/v1/{id}/{}/resize", uuid_like()),
        )
        .json(&resize_body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = sim
        .ic(
            Method::POST,
            &format!("/provisioning/v1/{}/{cdc}/resize", uuid_like()),
        )
        .json(&resize_body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = sim
        .ic(Method::POST, &resize_path)
        .json(&json!({"concurrentResizes": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // Slow the pace so the intermediate state is observable.
    sim.admin(Method::POST, "/config")
        .json(&json!({"pace_ms": 500}))
        .send()
        .await
        .unwrap();
    let resp = sim
        .ic(Method::POST, &resize_path)
        .json(&resize_body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let (_, during) = sim.get(&id).await;
    assert_eq!(during["clusterStatus"], "RESIZING");
    assert_eq!(
        during["dataCentres"][0]["resizeTargetNodeSize"],
        "CAS-PRD-r6g.large-800"
    );
    assert_eq!(during["nodeSize"], "CAS-DEV-t4g.small-5");

    let seen = sim.wait_for(&id, "RUNNING").await;
    assert_eq!(seen, ["RESIZING", "RUNNING"]);
    let (_, after) = sim.get(&id).await;
    assert_eq!(after["nodeSize"], "CAS-PRD-r6g.large-800");
    for n in after["dataCentres"][0]["nodes"].as_array().unwrap() {
        assert_eq!(n["size"], "CAS-PRD-r6g.large-800");
    }
    assert!(after["dataCentres"][0]
        .get("resizeTargetNodeSize")
        .is_none());
}

fn uuid_like() -> &'static str {
    "11111111-2222-3333-4444-555555555555"
}

#[tokio::test]
async fn delete_goes_deleting_deleted_then_404() {
    let sim = start(&[]);
    let resp = sim
        .ic(Method::DELETE, &format!("/provisioning/v1/{}", uuid_like()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let id = sim.create(&cluster_body("delete_me")).await;
    sim.wait_for(&id, "RUNNING").await;
    sim.admin(Method::POST, "/config")
        .json(&json!({"pace_ms": 400}))
        .send()
        .await
        .unwrap();

    let resp = sim
        .ic(Method::DELETE, &format!("/provisioning/v1/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    // Repeating the delete is harmless.
    let resp = sim
        .ic(Method::DELETE, &format!("/provisioning/v1/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);

    let admin: Value = sim
        .admin(Method::GET, "/instaclustr/clusters")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin[0]["clusterStatus"], "DELETING");

    // The name is still taken while DELETING.
    let resp = sim
        .ic(Method::POST, "/provisioning/v1/extended/")
        .json(&cluster_body("delete_me"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    let seen = sim.wait_for(&id, "DELETED").await;
    assert_eq!(seen, ["DELETING", "DELETED"]);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = sim.get(&id).await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert!(Instant::now() < deadline, "cluster never disappeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let resp = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let admin: Value = sim
        .admin(Method::GET, "/instaclustr/clusters")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin, json!([]));

    // Once gone, the name is free again.
    sim.create(&cluster_body("delete_me")).await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sim = start(&["--rate-limit", "1s"]);
    let first = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::NOT_FOUND);
    let second = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = second.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "{retry}");
    let err: Value = second.json().await.unwrap();
    assert_eq!(error_names(&err), ["rateLimit"]);

    // The admin API is never limited.
    for _ in 0..3 {
        let resp = sim.admin(Method::GET, "/requests").send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }

    // Honouring Retry-After succeeds.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let third = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::NOT_FOUND);

    // The limit can be switched off at run time.
    let cfg: Value = sim
        .admin(Method::POST, "/config")
        .json(&json!({"rate_limit_ms": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cfg, json!({"pace_ms": 50, "rate_limit_ms": 0}));
    for _ in 0..3 {
        let resp = sim
            .ic(Method::GET, "/provisioning/v1")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }

    let log = sim.requests().await;
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [404, 429, 404, 404, 404, 404]);
}

#[tokio::test]
async fn injected_faults_replace_the_next_matching_requests() {
    let sim = start(&[]);
    let resp = sim
        .admin(Method::POST, "/faults")
        .json(&json!({"vendor": "instaclustr", "method": "GET", "path_contains": "/provisioning/v1", "status": 503, "retry_after": 2, "times": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // A POST does not match the GET-only fault.
    let id = sim.create(&cluster_body("faulty")).await;
    for _ in 0..2 {
        let resp = sim
            .ic(Method::GET, &format!("/provisioning/v1/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()["retry-after"], "2");
        let body: Value = resp.json().await.unwrap();
        assert!(body["errors"].is_array(), "{body}");
    }
    let (status, _) = sim.get(&id).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // A custom body, a 409 on delete (the "dependencies exist" case), applied even before auth.
    sim.admin(Method::POST, "/faults")
        .json(&json!({"vendor": "instaclustr", "method": "delete", "status": 409, "body": {"message": "dependencies exist"}}))
        .send()
        .await
        .unwrap();
    let resp = sim
        .http
        .delete(format!("{}/instaclustr/provisioning/v1/{id}", sim.root))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"message": "dependencies exist"})
    );
    let resp = sim
        .ic(Method::DELETE, &format!("/provisioning/v1/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);

    // Queued faults can be listed and cleared.
    sim.admin(Method::POST, "/faults")
        .json(
            &json!({"vendor": "instaclustr", "path_contains": "resize", "status": 500, "times": 5}),
        )
        .send()
        .await
        .unwrap();
    let faults: Value = sim
        .admin(Method::GET, "/faults")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults.as_array().unwrap().len(), 1);
    let cleared: Value = sim
        .admin(Method::DELETE, "/faults")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared, json!({"cleared": 1}));

    // Bad fault requests.
    for bad in [
        json!({"vendor": "nobody", "status": 500}),
        json!({"vendor": "instaclustr", "status": 42}),
        json!({"vendor": "instaclustr", "status": 500, "times": 0}),
        json!({"vendor": "instaclustr"}),
    ] {
        let resp = sim
            .admin(Method::POST, "/faults")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn admin_delete_removes_a_cluster_behind_terraforms_back() {
    let sim = start(&[]);
    let id = sim.create(&cluster_body("vanishing")).await;
    let list: Value = sim
        .admin(Method::GET, "/instaclustr/clusters")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["clusterName"], "vanishing");
    assert_eq!(list[0]["nodeSize"], "CAS-DEV-t4g.small-5");

    let resp = sim
        .admin(Method::POST, &format!("/instaclustr/clusters/{id}/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, _) = sim.get(&id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = sim
        .admin(Method::POST, &format!("/instaclustr/clusters/{id}/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn next_create_outcome_failed_and_deferred() {
    let sim = start(&[]);
    for outcome in ["FAILED", "DEFERRED"] {
        let resp = sim
            .admin(Method::POST, "/instaclustr/next_create_outcome")
            .json(&json!({"status": outcome}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let id = sim
            .create(&cluster_body(&format!("outcome_{outcome}")))
            .await;
        let seen = sim.wait_for(&id, outcome).await;
        assert_eq!(seen.last().unwrap(), outcome);
        assert!(!seen.iter().any(|s| s == "RUNNING"), "{seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (_, c) = sim.get(&id).await;
        assert_eq!(c["clusterStatus"], outcome, "stays {outcome}");
    }
    // Only the next create is affected.
    let id = sim.create(&cluster_body("normal_again")).await;
    sim.wait_for(&id, "RUNNING").await;

    let resp = sim
        .admin(Method::POST, "/instaclustr/next_create_outcome")
        .json(&json!({"status": "EXPLODED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn request_log_counts_vendor_requests_only() {
    let sim = start(&[]);
    sim.http
        .get(format!("{}/instaclustr/provisioning/v1", sim.root))
        .send()
        .await
        .unwrap(); // 401
    sim.ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap(); // 404
    let id = sim.create(&cluster_body("counted")).await; // 202
    sim.get(&id).await; // 202
    sim.admin(Method::GET, "/instaclustr/clusters")
        .send()
        .await
        .unwrap(); // not counted

    let log = sim.requests().await;
    assert_eq!(log["total"], 4);
    let got: Vec<(String, String, u64)> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["vendor"], "instaclustr");
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let get_path = format!("/provisioning/v1/{id}");
    assert_eq!(
        got,
        [
            ("GET".to_owned(), "/provisioning/v1".to_owned(), 401),
            ("GET".to_owned(), "/provisioning/v1".to_owned(), 404),
            (
                "POST".to_owned(),
                "/provisioning/v1/extended/".to_owned(),
                202
            ),
            ("GET".to_owned(), get_path, 202),
        ]
    );

    let filtered: Value = sim
        .admin(Method::GET, "/requests?method=post&path_contains=extended")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["total"], 1);

    let resp = sim.admin(Method::DELETE, "/requests").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sim.requests().await["total"], 0);
    sim.get(&id).await;
    assert_eq!(sim.requests().await["total"], 1);
}

#[test]
fn cli_help_version_and_bad_arguments() {
    let bin = env!("CARGO_BIN_EXE_clusterform-sim");
    let out = Command::new(bin).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("clusterform-sim {}", env!("CARGO_PKG_VERSION"))
    );

    let out = Command::new(bin).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--pace",
        "--rate-limit",
        "--instaclustr-user",
        "--instaclustr-key",
    ] {
        assert!(help.contains(flag), "{flag} missing from help");
    }

    for bad in [vec!["--bogus"], vec!["--pace", "fast"], vec!["--listen"]] {
        let out = Command::new(bin).args(&bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty());
    }
}

#[cfg(unix)]
#[test]
fn sigterm_exits_cleanly() {
    let mut sim = start(&[]);
    let pid = sim.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = sim.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "simulator did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
