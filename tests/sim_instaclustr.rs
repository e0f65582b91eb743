//! Contract tests of the simulated Instaclustr API, run against the real `clusterform-sim` binary
//! over HTTP with a plain reqwest client (nothing from the crate's own vendor client).

use std::collections::BTreeMap;
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

    /// A create that may fail: the status and the JSON body.
    async fn try_create(&self, body: &Value) -> (StatusCode, Value) {
        let resp = self
            .ic(Method::POST, "/provisioning/v1/extended/")
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates a cluster, waits until it is RUNNING and returns its id and document.
    async fn running(&self, body: &Value) -> (String, Value) {
        let id = self.create(body).await;
        self.wait_for(&id, "RUNNING").await;
        let (_, doc) = self.get(&id).await;
        (id, doc)
    }

    /// Posts a resize of the cluster described by `doc`.
    async fn resize(&self, doc: &Value, body: &Value) -> (StatusCode, Value) {
        let path = format!(
            "/provisioning/v1/{}/{}/resize",
            doc["id"].as_str().unwrap(),
            doc["cdcId"].as_str().unwrap()
        );
        let resp = self
            .ic(Method::POST, &path)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn set_pace_ms(&self, ms: u64) {
        let resp = self
            .admin(Method::POST, "/config")
            .json(&json!({ "pace_ms": ms }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
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

/// `cluster_body` with other bundles.
fn bundle_body(name: &str, bundles: Value) -> Value {
    let mut body = cluster_body(name);
    body["bundles"] = bundles;
    body
}

/// How many nodes of each (purpose, size) the cluster document lists.
fn node_groups(doc: &Value) -> BTreeMap<(String, String), usize> {
    let mut groups = BTreeMap::new();
    for n in doc["dataCentres"][0]["nodes"].as_array().unwrap() {
        let key = (
            n["purpose"].as_str().unwrap().to_owned(),
            n["size"].as_str().unwrap().to_owned(),
        );
        *groups.entry(key).or_insert(0) += 1;
    }
    groups
}

/// One expected node group: `(purpose, size, count)`.
type Expected<'a> = (&'a str, &'a str, usize);

/// The expected `node_groups`.
fn groups(expected: &[Expected]) -> BTreeMap<(String, String), usize> {
    expected
        .iter()
        .map(|&(p, s, n)| ((p.to_owned(), s.to_owned()), n))
        .collect()
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
        json!([{"id": id, "name": "lifecycle_1", "nodeCount": 3, "runningNodeCount": 3,
                "derivedStatus": "RUNNING", "slaTier": "NON_PRODUCTION", "pciCompliance": "DISABLED"}])
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

#[tokio::test]
async fn cluster_names_accept_hyphens() {
    let sim = start(&[]);
    let longest = "x".repeat(32);
    for ok in ["tf-resizable-test", "a", "A1-b_2-", longest.as_str()] {
        sim.create(&cluster_body(ok)).await;
    }
    let too_long = "y".repeat(33);
    for bad in [
        "-leading-hyphen",
        "_leading_underscore",
        "has space",
        "dot.ted",
        too_long.as_str(),
    ] {
        let (status, err) = sim.try_create(&cluster_body(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_names(&err), ["clusterName"], "{bad}: {err}");
        let message = err["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("hyphens"), "{message}");
    }
}

#[tokio::test]
async fn bare_versions_are_echoed_in_the_api_spelling() {
    let sim = start(&[]);
    let search_options = json!({"masterNodeSize": "SRH-DEV-t4g.small-5"});
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "APACHE_CASSANDRA",
            "3.11.8",
            json!({}),
            "apache-cassandra-3.11.8.ic1",
        ),
        (
            "APACHE_CASSANDRA",
            "4.0.1",
            json!({}),
            "apache-cassandra-4.0.1.ic1",
        ),
        (
            "APACHE_CASSANDRA",
            "apache-cassandra-3.11.8.ic2",
            json!({}),
            "apache-cassandra-3.11.8.ic2",
        ),
        ("KAFKA", "3.1.2", json!({}), "apache-kafka:3.1.2.ic1"),
        (
            "OPENSEARCH",
            "1.3.7",
            search_options.clone(),
            "opensearch:1.3.7.ic1",
        ),
        (
            "ELASTICSEARCH",
            "1.13.3",
            search_options,
            "opendistro-for-elasticsearch:1.13.3.ic1",
        ),
        ("REDIS", "6.0.9", json!({}), "redis:6.0.9"),
        ("REDIS", "redis:6.0.9", json!({}), "redis:6.0.9"),
        ("CADENCE", "0.22.4", json!({}), "cadence:0.22.4"),
        ("POSTGRESQL", "14.5", json!({}), "postgresql:14.5"),
    ];
    for (i, (bundle, version, options, want)) in cases.into_iter().enumerate() {
        let body = bundle_body(
            &format!("version_{i}"),
            json!([{"bundle": bundle, "version": version, "options": options}]),
        );
        let id = sim.create(&body).await;
        let (_, c) = sim.get(&id).await;
        assert_eq!(c["bundleVersion"], want, "{bundle} {version}");
        assert_eq!(c["bundles"][0]["version"], want, "{bundle} {version}");
    }

    // Add-on bundles are spelled the same way, in `bundles` and in `addonBundles`.
    let body = bundle_body(
        "addon_versions",
        json!([
            {"bundle": "KAFKA", "version": "2.7.1"},
            {"bundle": "KAFKA_SCHEMA_REGISTRY", "version": "5.0.0"},
            {"bundle": "KAFKA_REST_PROXY", "version": "kafka-rest-proxy:5.0.0"}
        ]),
    );
    let id = sim.create(&body).await;
    let (_, c) = sim.get(&id).await;
    assert_eq!(c["bundleVersion"], "apache-kafka:2.7.1.ic1");
    let versions: Vec<&str> = c["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        [
            "apache-kafka:2.7.1.ic1",
            "kafka-schema-registry:5.0.0",
            "kafka-rest-proxy:5.0.0"
        ]
    );
    assert_eq!(
        c["addonBundles"][0]["version"],
        "kafka-schema-registry:5.0.0"
    );
    assert_eq!(c["addonBundles"][1]["version"], "kafka-rest-proxy:5.0.0");
}

#[tokio::test]
async fn bundle_options_use_api_keys_and_are_echoed() {
    let sim = start(&[]);
    // A snake_case key (an HCL name the client forgot to map) is refused, on any bundle.
    let rejected: Vec<(Value, &str)> = vec![
        (
            json!([{"bundle": "APACHE_CASSANDRA", "version": "4.0.1", "options": {"auth_n_authz": true}}]),
            "bundles[0].options.auth_n_authz",
        ),
        (
            json!([
                {"bundle": "KAFKA", "version": "2.7.1"},
                {"bundle": "KAFKA_CONNECT", "version": "2.7.1", "options": {"aws_secret_key": "s"}}
            ]),
            "bundles[1].options.aws_secret_key",
        ),
        (
            json!([{"bundle": "APACHE_CASSANDRA", "version": "4.0.1", "options": {"authnAuthz": [true]}}]),
            "bundles[0].options.authnAuthz",
        ),
    ];
    for (bundles, name) in rejected {
        let (status, err) = sim.try_create(&bundle_body("options_bad", bundles)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(error_names(&err), [name], "{err}");
    }
    let (_, err) = sim
        .try_create(&bundle_body(
            "options_bad",
            json!([{"bundle": "APACHE_CASSANDRA", "version": "4.0.1", "options": {"client_encryption": true}}]),
        ))
        .await;
    let message = err["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("camelCase"), "{message}");

    // Booleans sent as strings come back as booleans; numbers, strings and dotted keys as sent.
    let body = bundle_body(
        "options_ok",
        json!([
            {"bundle": "KAFKA", "version": "2.7.1", "options": {
                "authnAuthz": "true", "clientEncryption": "FALSE", "numberPartitions": 3,
                "autoCreateTopics": true, "deleteTopics": false}},
            {"bundle": "KAFKA_CONNECT", "version": "2.7.1", "options": {
                "aws.access.key.id": "AKIA", "aws.secret.access.key": "secret",
                "s3.bucket.name": "bucket", "targetKafkaClusterId": "abc"}}
        ]),
    );
    let id = sim.create(&body).await;
    let (_, c) = sim.get(&id).await;
    let primary = json!({"authnAuthz": true, "clientEncryption": false, "numberPartitions": 3,
                         "autoCreateTopics": true, "deleteTopics": false});
    let connect = json!({"aws.access.key.id": "AKIA", "aws.secret.access.key": "secret",
                         "s3.bucket.name": "bucket", "targetKafkaClusterId": "abc"});
    assert_eq!(c["bundleOptions"], primary);
    assert_eq!(c["bundles"][0]["options"], primary);
    assert_eq!(c["bundles"][1]["options"], connect);
    assert_eq!(
        c["addonBundles"],
        json!([{"bundle": "KAFKA_CONNECT", "version": "kafka-connect:2.7.1", "options": connect}])
    );

    // One bundle: no add-ons; no options: an empty object.
    let id = sim
        .create(&bundle_body(
            "options_none",
            json!([{"bundle": "REDIS", "version": "6.0.9"}]),
        ))
        .await;
    let (_, c) = sim.get(&id).await;
    assert_eq!(c["bundleOptions"], json!({}));
    assert_eq!(c["addonBundles"], json!([]));
}

#[tokio::test]
async fn data_centre_custom_name_and_cdc_fields() {
    let sim = start(&[]);
    // Defaults: `<provider>_<dataCentre>`, public, the default rack allocation.
    let id = sim.create(&cluster_body("cdc_default")).await;
    let (_, c) = sim.get(&id).await;
    let cdc = &c["dataCentres"][0];
    assert_eq!(cdc["cdcName"], "AWS_VPC_US_WEST_2");
    assert_eq!(c["dataCentreCustomName"], "AWS_VPC_US_WEST_2");
    assert_eq!(cdc["privateIPOnly"], false);
    assert_eq!(
        cdc["rackAllocation"],
        json!({"numberOfRacks": 3, "nodesPerRack": 1})
    );

    // A custom name; booleans and counts as strings (one public client sends them so).
    let mut body = cluster_body("cdc_custom");
    body["dataCentreCustomName"] = json!("my-dc_1");
    body["privateNetworkCluster"] = json!("true");
    body["pciCompliantCluster"] = json!("true");
    body["rackAllocation"] = json!({"numberOfRacks": "2", "nodesPerRack": "3"});
    let id = sim.create(&body).await;
    let (_, c) = sim.get(&id).await;
    let cdc = &c["dataCentres"][0];
    assert_eq!(cdc["cdcName"], "my-dc_1");
    assert_eq!(c["dataCentreCustomName"], "my-dc_1");
    assert_eq!(cdc["privateIPOnly"], true);
    assert_eq!(c["privateNetworkCluster"], true);
    assert_eq!(c["pciCompliantCluster"], true);
    assert_eq!(c["pciCompliance"], "ENABLED");
    assert_eq!(
        cdc["rackAllocation"],
        json!({"numberOfRacks": 2, "nodesPerRack": 3})
    );
    assert_eq!(cdc["nodeCount"], 6);

    // An empty name counts as absent.
    let mut body = cluster_body("cdc_empty");
    body["dataCentreCustomName"] = json!("");
    let id = sim.create(&body).await;
    let (_, c) = sim.get(&id).await;
    assert_eq!(c["dataCentres"][0]["cdcName"], "AWS_VPC_US_WEST_2");

    for bad in [
        json!("z".repeat(33)),
        json!("has space"),
        json!("dc.1"),
        json!(5),
    ] {
        let mut body = cluster_body("cdc_bad");
        body["dataCentreCustomName"] = bad.clone();
        let (status, err) = sim.try_create(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_names(&err), ["dataCentreCustomName"], "{bad}: {err}");
    }
}

#[tokio::test]
async fn provider_resource_group_is_echoed() {
    let sim = start(&[]);
    let mut body = cluster_body("with_rg");
    body["provider"] = json!({"name": "AZURE_AZ", "resourceGroup": "rg-data"});
    let id = sim.create(&body).await;
    let (_, c) = sim.get(&id).await;
    assert_eq!(c["provider"]["resourceGroup"], "rg-data");
    assert_eq!(c["clusterProvider"][0]["resourceGroup"], "rg-data");

    let id = sim.create(&cluster_body("without_rg")).await;
    let (_, c) = sim.get(&id).await;
    assert_eq!(c["provider"]["resourceGroup"], Value::Null);

    body["provider"] = json!({"name": "AZURE_AZ", "resourceGroup": 7});
    let (status, err) = sim.try_create(&body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_names(&err), ["provider.resourceGroup"]);
}

#[tokio::test]
async fn list_items_carry_sla_tier_and_pci_compliance() {
    let sim = start(&[]);
    let mut body = cluster_body("listed_prod");
    body["slaTier"] = json!("PRODUCTION");
    body["pciCompliantCluster"] = json!(true);
    sim.create(&body).await;
    sim.create(&cluster_body("listed_dev")).await;
    let list: Value = sim
        .ic(Method::GET, "/provisioning/v1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got: Vec<(&str, &str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["slaTier"].as_str().unwrap(),
                c["pciCompliance"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("listed_prod", "PRODUCTION", "ENABLED"),
            ("listed_dev", "NON_PRODUCTION", "DISABLED")
        ]
    );
}

#[tokio::test]
async fn node_purposes_follow_the_bundle_and_options() {
    let sim = start(&[]);
    let n = "CAS-DEV-t4g.small-5";
    let cases: Vec<(Value, Vec<Expected>)> = vec![
        (
            json!([{"bundle": "APACHE_CASSANDRA", "version": "4.0.1"}]),
            vec![("CASSANDRA", n, 3)],
        ),
        (
            json!([{"bundle": "REDIS", "version": "6.0.9"}]),
            vec![("REDIS", n, 3)],
        ),
        (
            json!([{"bundle": "CADENCE", "version": "0.22.4"}]),
            vec![("CADENCE", n, 3)],
        ),
        (
            json!([{"bundle": "POSTGRESQL", "version": "14.5"}]),
            vec![("POSTGRESQL", n, 3)],
        ),
        (
            json!([{"bundle": "KAFKA", "version": "3.1.2", "options": {"zookeeperNodeSize": "zk"}}]),
            vec![("KAFKA_BROKER", n, 3)],
        ),
        (
            json!([{"bundle": "KAFKA", "version": "3.1.2",
                    "options": {"dedicatedZookeeper": "true", "zookeeperNodeSize": "zk"}}]),
            vec![
                ("KAFKA_BROKER", n, 3),
                ("KAFKA_DEDICATED_ZOOKEEPER", "zk", 3),
            ],
        ),
        (
            json!([{"bundle": "KAFKA", "version": "3.1.2",
                    "options": {"dedicatedZookeeper": true, "zookeeperNodeSize": "zk",
                                "zookeeperNodeCount": "5"}}]),
            vec![
                ("KAFKA_BROKER", n, 3),
                ("KAFKA_DEDICATED_ZOOKEEPER", "zk", 5),
            ],
        ),
        (
            json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                    "options": {"dedicatedMasterNodes": true, "masterNodeSize": "m",
                                "dataNodeSize": n, "openSearchDashboardsNodeSize": "d"}}]),
            vec![
                ("OPENSEARCH_DASHBOARDS", "d", 1),
                ("OPENSEARCH_DATA_AND_INGEST", n, 3),
                ("OPENSEARCH_MASTER", "m", 3),
            ],
        ),
        (
            json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                    "options": {"dedicatedMasterNodes": false, "masterNodeSize": "m"}}]),
            vec![("OPENSEARCH_MASTER", n, 3)],
        ),
        (
            json!([{"bundle": "ELASTICSEARCH", "version": "1.13.3",
                    "options": {"masterNodeSize": "m", "kibanaNodeSize": "k"}}]),
            vec![
                ("ELASTICSEARCH_KIBANA", "k", 1),
                ("ELASTICSEARCH_MASTER", n, 3),
            ],
        ),
    ];
    for (i, (bundles, want)) in cases.into_iter().enumerate() {
        let id = sim
            .create(&bundle_body(&format!("purposes_{i}"), bundles.clone()))
            .await;
        let (_, c) = sim.get(&id).await;
        assert_eq!(node_groups(&c), groups(&want), "{bundles}");
        let total: usize = want.iter().map(|g| g.2).sum();
        assert_eq!(c["dataCentres"][0]["nodeCount"], total, "{bundles}");
        assert_eq!(c["nodeSize"], n);
    }

    // Dedicated masters are dealt round the racks.
    let body = bundle_body(
        "masters_spread",
        json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                "options": {"dedicatedMasterNodes": true, "masterNodeSize": "m"}}]),
    );
    let id = sim.create(&body).await;
    let (_, c) = sim.get(&id).await;
    let master_racks: Vec<&str> = c["dataCentres"][0]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["purpose"] == "OPENSEARCH_MASTER")
        .map(|n| n["rack"].as_str().unwrap())
        .collect();
    assert_eq!(master_racks, ["us-west-2a", "us-west-2b", "us-west-2c"]);

    let rejected: Vec<(Value, &str)> = vec![
        (
            json!([{"bundle": "OPENSEARCH", "version": "1.3.7"}]),
            "bundles[0].options.masterNodeSize",
        ),
        (
            json!([{"bundle": "ELASTICSEARCH", "version": "1.13.3", "options": {"dedicatedMasterNodes": true}}]),
            "bundles[0].options.masterNodeSize",
        ),
        (
            json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                    "options": {"dedicatedMasterNodes": true, "masterNodeSize": "m", "dataNodeSize": "other"}}]),
            "bundles[0].options.dataNodeSize",
        ),
        (
            json!([{"bundle": "KAFKA", "version": "3.1.2", "options": {"dedicatedZookeeper": true}}]),
            "bundles[0].options.zookeeperNodeSize",
        ),
        (
            json!([{"bundle": "KAFKA", "version": "3.1.2",
                    "options": {"dedicatedZookeeper": true, "zookeeperNodeSize": "zk", "zookeeperNodeCount": 0}}]),
            "bundles[0].options.zookeeperNodeCount",
        ),
        (
            json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                    "options": {"dedicatedMasterNodes": "sometimes", "masterNodeSize": "m"}}]),
            "bundles[0].options.dedicatedMasterNodes",
        ),
    ];
    for (bundles, name) in rejected {
        let (status, err) = sim.try_create(&bundle_body("purposes_bad", bundles)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(error_names(&err), [name], "{err}");
    }

    // `nodeSize` stays required whatever the bundle.
    let mut body = bundle_body(
        "purposes_bad",
        json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                "options": {"dedicatedMasterNodes": true, "masterNodeSize": "m"}}]),
    );
    body.as_object_mut().unwrap().remove("nodeSize");
    let (status, err) = sim.try_create(&body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_names(&err), ["nodeSize"]);
}

#[tokio::test]
async fn resize_by_node_purpose() {
    let sim = start(&[]);
    let n = "SRH-DEV-t4g.small-5";
    let mut body = bundle_body(
        "search_resize",
        json!([{"bundle": "OPENSEARCH", "version": "1.3.7",
                "options": {"dedicatedMasterNodes": true, "masterNodeSize": "m1",
                            "dataNodeSize": n, "openSearchDashboardsNodeSize": "d1"}}]),
    );
    body["nodeSize"] = json!(n);
    let (_, c) = sim.running(&body).await;

    // A purpose the cluster lacks, or one that is not a string.
    let (status, err) = sim
        .resize(
            &c,
            &json!({"newNodeSize": "x", "nodePurpose": "KAFKA_BROKER"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_names(&err), ["nodePurpose"]);
    let message = err["errors"][0]["message"].as_str().unwrap();
    for p in [
        "OPENSEARCH_DATA_AND_INGEST",
        "OPENSEARCH_MASTER",
        "OPENSEARCH_DASHBOARDS",
    ] {
        assert!(message.contains(p), "{message}");
    }
    let (status, err) = sim
        .resize(&c, &json!({"newNodeSize": "x", "nodePurpose": 5}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_names(&err), ["nodePurpose"]);

    // Masters only: the masters and masterNodeSize change, nothing else.
    sim.set_pace_ms(500).await;
    let (status, _) = sim
        .resize(
            &c,
            &json!({"newNodeSize": "m2", "concurrentResizes": 1,
                    "notifySupportContacts": "false", "nodePurpose": "OPENSEARCH_MASTER"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, during) = sim.get(c["id"].as_str().unwrap()).await;
    assert_eq!(during["clusterStatus"], "RESIZING");
    assert_eq!(during["dataCentres"][0]["resizeTargetNodeSize"], "m2");
    let (status, err) = sim
        .resize(
            &c,
            &json!({"newNodeSize": "m3", "nodePurpose": "OPENSEARCH_MASTER"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "only from RUNNING");
    assert_eq!(error_names(&err), ["clusterStatus"]);
    sim.set_pace_ms(50).await;
    let id = c["id"].as_str().unwrap();
    sim.wait_for(id, "RUNNING").await;
    let (_, c) = sim.get(id).await;
    assert_eq!(
        node_groups(&c),
        groups(&[
            ("OPENSEARCH_DASHBOARDS", "d1", 1),
            ("OPENSEARCH_DATA_AND_INGEST", n, 3),
            ("OPENSEARCH_MASTER", "m2", 3),
        ])
    );
    assert_eq!(c["bundleOptions"]["masterNodeSize"], "m2");
    assert_eq!(c["bundleOptions"]["dataNodeSize"], n);
    assert_eq!(c["nodeSize"], n);
    assert!(c["dataCentres"][0].get("resizeTargetNodeSize").is_none());

    // Data nodes carry nodeSize: it follows, with dataNodeSize.
    let c = resized(&sim, &c, "n2", json!("OPENSEARCH_DATA_AND_INGEST")).await;
    assert_eq!(c["nodeSize"], "n2");
    assert_eq!(c["bundleOptions"]["dataNodeSize"], "n2");
    assert_eq!(c["bundleOptions"]["masterNodeSize"], "m2");

    let c = resized(&sim, &c, "d2", json!("OPENSEARCH_DASHBOARDS")).await;
    assert_eq!(c["bundleOptions"]["openSearchDashboardsNodeSize"], "d2");
    assert_eq!(c["nodeSize"], "n2");
    assert_eq!(
        node_groups(&c),
        groups(&[
            ("OPENSEARCH_DASHBOARDS", "d2", 1),
            ("OPENSEARCH_DATA_AND_INGEST", "n2", 3),
            ("OPENSEARCH_MASTER", "m2", 3),
        ])
    );

    // No purpose: every node and every size option present.
    let c = resized(&sim, &c, "all", Value::Null).await;
    assert_eq!(
        node_groups(&c),
        groups(&[
            ("OPENSEARCH_DASHBOARDS", "all", 1),
            ("OPENSEARCH_DATA_AND_INGEST", "all", 3),
            ("OPENSEARCH_MASTER", "all", 3),
        ])
    );
    assert_eq!(c["nodeSize"], "all");
    assert_eq!(
        c["bundleOptions"],
        json!({"dedicatedMasterNodes": true, "masterNodeSize": "all", "dataNodeSize": "all",
               "openSearchDashboardsNodeSize": "all"})
    );
    assert_eq!(c["bundles"][0]["options"], c["bundleOptions"]);
}

/// Resizes `doc`'s cluster (nodePurpose `purpose`, which may be null) and returns the document
/// once it is RUNNING again.
async fn resized(sim: &Sim, doc: &Value, size: &str, purpose: Value) -> Value {
    let (status, body) = sim
        .resize(doc, &json!({"newNodeSize": size, "nodePurpose": purpose}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = doc["id"].as_str().unwrap();
    sim.wait_for(id, "RUNNING").await;
    sim.get(id).await.1
}

#[tokio::test]
async fn resize_by_purpose_for_kafka_and_master_eligible_data_nodes() {
    let sim = start(&[]);
    let n = "KFK-DEV-t4g.small-5";
    let mut body = bundle_body(
        "kafka_resize",
        json!([{"bundle": "KAFKA", "version": "3.1.2",
                "options": {"dedicatedZookeeper": true, "zookeeperNodeSize": "zk1"}}]),
    );
    body["nodeSize"] = json!(n);
    let (_, c) = sim.running(&body).await;
    let c = resized(&sim, &c, "zk2", json!("KAFKA_DEDICATED_ZOOKEEPER")).await;
    assert_eq!(
        node_groups(&c),
        groups(&[
            ("KAFKA_BROKER", n, 3),
            ("KAFKA_DEDICATED_ZOOKEEPER", "zk2", 3)
        ])
    );
    assert_eq!(c["bundleOptions"]["zookeeperNodeSize"], "zk2");
    assert_eq!(c["nodeSize"], n);
    let c = resized(&sim, &c, "b2", json!("KAFKA_BROKER")).await;
    assert_eq!(
        node_groups(&c),
        groups(&[
            ("KAFKA_BROKER", "b2", 3),
            ("KAFKA_DEDICATED_ZOOKEEPER", "zk2", 3)
        ])
    );
    assert_eq!(c["nodeSize"], "b2");
    assert_eq!(c["bundleOptions"]["zookeeperNodeSize"], "zk2");

    // Without dedicated masters the master-eligible data nodes carry nodeSize.
    let body = bundle_body(
        "es_resize",
        json!([{"bundle": "ELASTICSEARCH", "version": "1.13.3",
                "options": {"masterNodeSize": "m1", "kibanaNodeSize": "k1"}}]),
    );
    let (_, c) = sim.running(&body).await;
    let c = resized(&sim, &c, "m2", json!("ELASTICSEARCH_MASTER")).await;
    assert_eq!(
        node_groups(&c),
        groups(&[
            ("ELASTICSEARCH_KIBANA", "k1", 1),
            ("ELASTICSEARCH_MASTER", "m2", 3)
        ])
    );
    assert_eq!(c["nodeSize"], "m2");
    assert_eq!(c["bundleOptions"]["masterNodeSize"], "m2");
    let c = resized(&sim, &c, "k2", json!("ELASTICSEARCH_KIBANA")).await;
    assert_eq!(c["bundleOptions"]["kibanaNodeSize"], "k2");
    assert_eq!(c["nodeSize"], "m2");

    // A Cassandra cluster resized by its only purpose: every node and nodeSize change.
    let (_, c) = sim.running(&cluster_body("cassandra_purpose")).await;
    let c = resized(&sim, &c, "CAS-PRD-r6g.large-800", json!("CASSANDRA")).await;
    assert_eq!(
        node_groups(&c),
        groups(&[("CASSANDRA", "CAS-PRD-r6g.large-800", 3)])
    );
    assert_eq!(c["nodeSize"], "CAS-PRD-r6g.large-800");
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
