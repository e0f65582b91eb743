//! The simulator's shared fault injection (`POST /_admin/faults`, see `clusterform::sim::admin`),
//! driven with a plain reqwest client against the real `clusterform-sim` binary: every fault kind,
//! on every vendor, JSON and CloudBasic XML answers alike, and what the request log records.

mod support;

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use support::{Sim, IC_KEY, IC_USER};

/// One request that every run of a test answers the same way (same status, same bytes).
struct Probe {
    vendor: &'static str,
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: &'static str,
}

/// A deterministic, handled (not faulted) answer from each vendor: mostly the vendor's own
/// refusal of an unauthenticated call, CloudBasic's in XML.
fn probes() -> Vec<Probe> {
    vec![
        Probe {
            vendor: "instaclustr",
            method: Method::GET,
            path: "/provisioning/v1",
            content_type: None,
            body: "",
        },
        Probe {
            vendor: "css",
            method: Method::GET,
            path: "/v1.0/0123456789abcdef0123456789abcdef/clusters",
            content_type: None,
            body: "",
        },
        Probe {
            vendor: "iam",
            method: Method::POST,
            path: "/v3/auth/tokens",
            content_type: Some("application/json"),
            body: r#"{"auth": {}}"#,
        },
        Probe {
            vendor: "redis",
            method: Method::GET,
            path: "/no*such*node/v1/cluster",
            content_type: None,
            body: "",
        },
        Probe {
            vendor: "cloudbasic",
            method: Method::POST,
            path: "/api/ActivateInstance",
            content_type: Some("application/xml"),
            body: "<ActivateInstance><Email>ops@example.com</Email></ActivateInstance>",
        },
    ]
}

/// What the client received.
#[derive(Debug)]
struct Got {
    status: u16,
    content_type: Option<String>,
    content_length: Option<usize>,
    body: Vec<u8>,
}

struct Harness {
    sim: Sim,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Harness {
    fn start() -> Harness {
        let sim = Sim::start();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = {
            let _guard = rt.enter();
            reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap()
        };
        Harness { sim, rt, http }
    }

    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    fn request(&self, vendor: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self
            .http
            .request(method, format!("{}{path}", self.sim.vendor_url(vendor)));
        if vendor == "instaclustr" {
            req.basic_auth(IC_USER, Some(IC_KEY))
        } else {
            req
        }
    }

    fn probe_request(&self, probe: &Probe) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(
                probe.method.clone(),
                format!("{}{}", self.sim.vendor_url(probe.vendor), probe.path),
            )
            .body(probe.body);
        if let Some(ct) = probe.content_type {
            req = req.header("content-type", ct);
        }
        req
    }

    fn send(&self, req: reqwest::RequestBuilder) -> Result<Got, reqwest::Error> {
        self.block_on(receive(req))
    }

    /// `POST /_admin/faults` → (status, body), without panicking on a 400.
    fn post_fault(&self, fault: &Value) -> (u16, Value) {
        let url = format!("{}/_admin/faults", self.sim.url());
        self.block_on(async {
            let resp = self.http.post(&url).json(fault).send().await.unwrap();
            (resp.status().as_u16(), resp.json().await.unwrap())
        })
    }

    /// The request log entries of one vendor, oldest first.
    fn log(&self, vendor: &str) -> Vec<Value> {
        self.sim.vendor_requests(vendor)
    }

    fn faults(&self) -> Vec<Value> {
        self.sim
            .admin_get("/_admin/faults")
            .as_array()
            .unwrap()
            .clone()
    }
}

async fn receive(req: reqwest::RequestBuilder) -> Result<Got, reqwest::Error> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let content_type = header("content-type");
    let content_length = header("content-length").map(|v| v.parse().unwrap());
    let body = resp.bytes().await?.to_vec();
    Ok(Got {
        status,
        content_type,
        content_length,
        body,
    })
}

fn json_of(got: &Got) -> Value {
    serde_json::from_slice(&got.body).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&got.body).into_owned()
        )
    })
}

fn cluster_body(name: &str) -> Value {
    json!({
        "clusterName": name,
        "bundles": [{"bundle": "APACHE_CASSANDRA", "version": "apache-cassandra-4.0.10", "options": {"authnAuthz": true}}],
        "provider": {"name": "AWS_VPC", "accountName": "acct"},
        "slaTier": "NON_PRODUCTION",
        "nodeSize": "CAS-DEV-t4g.small-5",
        "dataCentre": "US_WEST_2",
        "clusterNetwork": "10.224.0.0/12",
        "privateNetworkCluster": false,
        "pciCompliantCluster": false,
        "rackAllocation": {"numberOfRacks": 3, "nodesPerRack": 1}
    })
}

const CREATE: &str = "/provisioning/v1/extended";

fn cluster_named(h: &Harness, name: &str) -> Option<Value> {
    h.sim
        .instaclustr_clusters()
        .into_iter()
        .find(|c| c["clusterName"] == name)
}

/// The last log entry of `vendor`.
fn last_logged(h: &Harness, vendor: &str) -> Value {
    h.log(vendor).pop().expect("a logged request")
}

#[test]
fn act_faults_let_the_simulator_act_then_lose_the_answer() {
    let h = Harness::start();
    h.sim.inject_fault(json!({
        "vendor": "instaclustr", "method": "POST", "path_contains": "extended",
        "status": 503, "act": true, "retry_after": 2
    }));
    let got = h
        .send(
            h.request("instaclustr", Method::POST, CREATE)
                .json(&cluster_body("acted")),
        )
        .unwrap();
    assert_eq!(got.status, 503);
    assert!(json_of(&got)["errors"].is_array(), "vendor error shape");
    let cluster = cluster_named(&h, "acted").expect("the simulator created the cluster");
    println!("created behind a lost answer: {cluster}");
    let entry = last_logged(&h, "instaclustr");
    assert_eq!(
        (
            &entry["method"],
            &entry["path"],
            &entry["status"],
            &entry["fault"]
        ),
        (&json!("POST"), &json!(CREATE), &json!(503), &json!("act"))
    );

    // CloudBasic's unauthenticated ActivateInstance really runs behind a 500: it used up a
    // request id, so the next answer's id is two past the one before.
    let activate = &probes()[4];
    let request_id = |got: &Got| {
        let text = String::from_utf8(got.body.clone()).unwrap();
        let id = text
            .split("<RequestId>")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_else(|| panic!("no RequestId in {text}"));
        id.parse::<u64>().unwrap()
    };
    let before = request_id(&h.send(h.probe_request(activate)).unwrap());
    h.sim.inject_fault(
        json!({"vendor": "cloudbasic", "status": 500, "act": true, "body": {"lost": true}}),
    );
    let got = h.send(h.probe_request(activate)).unwrap();
    assert_eq!((got.status, json_of(&got)), (500, json!({"lost": true})));
    let after = request_id(&h.send(h.probe_request(activate)).unwrap());
    assert_eq!(after, before + 2, "the faulted call was handled");
    let kinds: Vec<Value> = h
        .log("cloudbasic")
        .iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(kinds, [Value::Null, json!("act"), Value::Null]);

    // A plain status fault, by contrast, never reaches the handler.
    h.sim
        .inject_fault(json!({"vendor": "instaclustr", "method": "POST", "status": 503}));
    let got = h
        .send(
            h.request("instaclustr", Method::POST, CREATE)
                .json(&cluster_body("not-acted")),
        )
        .unwrap();
    assert_eq!(got.status, 503);
    assert!(cluster_named(&h, "not-acted").is_none());
    assert_eq!(last_logged(&h, "instaclustr")["fault"], "status");
}

#[test]
fn drops_close_the_connection_without_a_single_byte() {
    let h = Harness::start();
    let addr = h.sim.url().trim_start_matches("http://").to_owned();

    // On the wire: the request is read, then the socket closes with nothing written.
    h.sim
        .inject_fault(json!({"vendor": "instaclustr", "drop": true}));
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /instaclustr/provisioning/v1 HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut received = Vec::new();
    let outcome = stream.read_to_end(&mut received);
    println!(
        "raw socket after a drop: {outcome:?}, {} bytes",
        received.len()
    );
    match outcome {
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert!(
        received.is_empty(),
        "no response bytes expected, got {:?}",
        String::from_utf8_lossy(&received)
    );
    assert_eq!(
        last_logged(&h, "instaclustr"),
        json!({
            "vendor": "instaclustr", "method": "GET", "path": "/provisioning/v1",
            "status": 0, "fault": "drop",
            "at_ms": last_logged(&h, "instaclustr")["at_ms"]
        })
    );

    // Every vendor's clients see a transport error, never a status.
    for probe in probes() {
        h.sim
            .inject_fault(json!({"vendor": probe.vendor, "drop": true}));
        let err = h
            .send(h.probe_request(&probe))
            .expect_err("a dropped connection is an error");
        println!("{}: {err:?}", probe.vendor);
        assert!(err.status().is_none(), "{}: {err}", probe.vendor);
        assert!(!err.is_timeout(), "{}: {err}", probe.vendor);
        let entry = last_logged(&h, probe.vendor);
        assert_eq!(
            (&entry["status"], &entry["fault"]),
            (&json!(0), &json!("drop"))
        );
        // The simulator serves the next request normally.
        assert!(h.send(h.probe_request(&probe)).is_ok(), "{}", probe.vendor);
    }

    // Act, then drop: the cluster exists, the client never heard.
    h.sim.inject_fault(
        json!({"vendor": "instaclustr", "method": "POST", "drop": true, "act": true}),
    );
    let err = h
        .send(
            h.request("instaclustr", Method::POST, CREATE)
                .json(&cluster_body("dropped")),
        )
        .expect_err("dropped");
    assert!(err.status().is_none(), "{err}");
    assert!(
        cluster_named(&h, "dropped").is_some(),
        "the simulator acted"
    );
    let entry = last_logged(&h, "instaclustr");
    assert_eq!(
        (&entry["status"], &entry["fault"]),
        (&json!(0), &json!("act_drop"))
    );
}

#[test]
fn delays_hold_back_only_the_faulted_answer() {
    let h = Harness::start();
    h.sim.inject_fault(json!({
        "vendor": "instaclustr", "method": "POST", "path_contains": "extended", "delay_ms": 1500
    }));
    h.sim.inject_fault(json!({
        "vendor": "css", "delay_ms": 1500, "status": 504
    }));
    let admin_faults = format!("{}/_admin/faults", h.sim.url());
    let (slow, slow_fault, fast, admin) = h.block_on(async {
        let started = Instant::now();
        let timed = |req: reqwest::RequestBuilder| async move {
            let got = receive(req).await.unwrap();
            (got, started.elapsed())
        };
        let slow = timed(
            h.request("instaclustr", Method::POST, CREATE)
                .json(&cluster_body("late")),
        );
        let slow_fault = timed(h.probe_request(&probes()[1]));
        let fast = async {
            // Give the delayed requests a head start so they hold their sleeps first.
            tokio::time::sleep(Duration::from_millis(200)).await;
            timed(h.request("instaclustr", Method::GET, "/provisioning/v1")).await
        };
        let admin = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            timed(h.http.get(&admin_faults)).await
        };
        tokio::join!(slow, slow_fault, fast, admin)
    });
    println!(
        "delayed create {:?}, delayed fault {:?}, undelayed GET {:?}, admin {:?}",
        slow.1, slow_fault.1, fast.1, admin.1
    );
    assert_eq!(slow.0.status, 202, "the normal answer, late");
    assert_eq!(slow_fault.0.status, 504, "the fault's answer, late");
    assert_eq!(fast.0.status, 200);
    assert_eq!(admin.0.status, 200);
    assert!(slow.1 >= Duration::from_millis(1500));
    assert!(slow_fault.1 >= Duration::from_millis(1500));
    assert!(fast.1 < slow.1, "the other request was not held up");
    assert!(admin.1 < slow.1, "the admin API was not held up");
    // The simulator acted at once; only the answer was late.
    assert!(cluster_named(&h, "late").is_some());
    let kinds: Vec<Value> = h
        .log("instaclustr")
        .iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(
        kinds,
        [Value::Null, json!("delay")],
        "the undelayed GET finished first"
    );
    assert_eq!(last_logged(&h, "css")["fault"], "status");
}

#[test]
fn garbles_spoil_the_body_but_keep_status_and_content_type() {
    let h = Harness::start();
    for probe in probes() {
        let normal = h.send(h.probe_request(&probe)).unwrap();
        assert!(!normal.body.is_empty(), "{}: empty answer", probe.vendor);

        h.sim
            .inject_fault(json!({"vendor": probe.vendor, "garble": "truncate"}));
        let cut = h.send(h.probe_request(&probe)).unwrap();
        println!(
            "{}: {} bytes → {} bytes: {}",
            probe.vendor,
            normal.body.len(),
            cut.body.len(),
            String::from_utf8_lossy(&cut.body)
        );
        assert_eq!(cut.status, normal.status, "{}", probe.vendor);
        assert_eq!(cut.content_type, normal.content_type, "{}", probe.vendor);
        assert_eq!(cut.content_length, Some(cut.body.len()), "{}", probe.vendor);
        if probe.vendor == "cloudbasic" {
            // A fresh request id per call (the probe's bare activation is refused): same length.
            assert_eq!(cut.body.len(), normal.body.len() / 2);
            assert_eq!(cut.body[..10], normal.body[..10]);
        } else {
            assert_eq!(
                cut.body,
                normal.body[..normal.body.len() / 2],
                "{}",
                probe.vendor
            );
        }
        assert!(serde_json::from_slice::<Value>(&cut.body).is_err());

        h.sim
            .inject_fault(json!({"vendor": probe.vendor, "garble": "invalid"}));
        let bad = h.send(h.probe_request(&probe)).unwrap();
        assert_eq!(bad.status, normal.status, "{}", probe.vendor);
        assert_eq!(bad.content_type, normal.content_type, "{}", probe.vendor);
        assert_eq!(bad.content_length, Some(bad.body.len()), "{}", probe.vendor);
        assert!(serde_json::from_slice::<Value>(&bad.body).is_err());
        assert!(
            std::str::from_utf8(&bad.body).is_err(),
            "not text, so no XML either"
        );

        let kinds: Vec<Value> = h
            .log(probe.vendor)
            .iter()
            .map(|e| e["fault"].clone())
            .collect();
        assert_eq!(
            kinds,
            [Value::Null, json!("garble"), json!("garble")],
            "{}",
            probe.vendor
        );
        let statuses: Vec<Value> = h
            .log(probe.vendor)
            .iter()
            .map(|e| e["status"].clone())
            .collect();
        assert_eq!(statuses, vec![json!(normal.status); 3], "{}", probe.vendor);
    }
}

#[test]
fn remove_and_patch_make_missing_and_unexpected_fields() {
    let h = Harness::start();
    let created = h
        .send(
            h.request("instaclustr", Method::POST, CREATE)
                .json(&cluster_body("liar")),
        )
        .unwrap();
    let id = json_of(&created)["id"].as_str().unwrap().to_owned();
    let path = format!("/provisioning/v1/{id}");
    let honest = h
        .send(h.request("instaclustr", Method::GET, &path))
        .unwrap();
    let honest_status = honest.status;
    let honest = json_of(&honest);
    assert!(honest["dataCentres"][0]["nodes"][0]
        .as_object()
        .unwrap()
        .contains_key("publicAddress"));

    h.sim.inject_fault(json!({
        "vendor": "instaclustr", "method": "GET", "path_contains": id,
        "remove": ["dataCentres.nodes.publicAddress", "clusterName"],
        "patch": {"unexpected": {"field": 1}, "slaTier": "PRODUCTION"}
    }));
    let got = h
        .send(h.request("instaclustr", Method::GET, &path))
        .unwrap();
    assert_eq!(got.status, honest_status);
    assert_eq!(got.content_length, Some(got.body.len()));
    let lie = json_of(&got);
    assert!(lie.get("clusterName").is_none(), "{lie}");
    assert_eq!(lie["unexpected"], json!({"field": 1}));
    assert_eq!(lie["slaTier"], "PRODUCTION");
    let nodes = lie["dataCentres"][0]["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    for node in nodes {
        assert!(node.get("publicAddress").is_none(), "{node}");
        assert!(node.get("privateAddress").is_some(), "{node}");
    }
    assert_eq!(lie["id"], honest["id"]);
    assert_eq!(last_logged(&h, "instaclustr")["fault"], "lie");

    // A top-level array (the cluster list) applies the path to each element.
    h.sim
        .inject_fault(json!({"vendor": "instaclustr", "remove": ["id"]}));
    let list = json_of(
        &h.send(h.request("instaclustr", Method::GET, "/provisioning/v1"))
            .unwrap(),
    );
    let list = list.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|c| c.get("id").is_none() && c.get("name").is_some()),
        "{list:?}"
    );

    // CloudBasic: one fault covers the JSON `privateKey` and the XML `<PrivateKey>`.
    h.sim
        .inject_fault(json!({"vendor": "cloudbasic", "remove": ["privateKey"], "times": 2}));
    // A whole activation (the probe's bare body is refused): each instance is activated once.
    let xml = h
        .send(
            h.request("cloudbasic", Method::POST, "/api/ActivateInstance")
                .header("content-type", "application/xml")
                .body(
                    "<ActivateInstanceRequest><Email>ops@example.com</Email><InstanceId>i-0faults1</InstanceId>\
                     <Password>pw</Password><AgreeToEula>true</AgreeToEula></ActivateInstanceRequest>",
                ),
        )
        .unwrap();
    let text = String::from_utf8(xml.body.clone()).unwrap();
    println!("XML without its private key: {text}");
    assert_eq!(xml.status, 200);
    assert_eq!(xml.content_length, Some(xml.body.len()));
    assert!(
        text.starts_with("<ActivateInstanceResponse><PublicKey>"),
        "{text}"
    );
    assert!(!text.contains("PrivateKey"), "{text}");
    assert!(
        text.ends_with("</RequestId></ActivateInstanceResponse>"),
        "{text}"
    );
    let json_answer = h
        .send(
            h.request("cloudbasic", Method::POST, "/api/ActivateInstance")
                .json(
                    &json!({"email": "ops@example.com", "instanceId": "i-0faults2",
                    "password": "pw", "agreeToEula": true}),
                ),
        )
        .unwrap();
    let json_answer = json_of(&json_answer);
    assert!(json_answer.get("privateKey").is_none(), "{json_answer}");
    assert!(json_answer.get("publicKey").is_some(), "{json_answer}");

    // The next GET is honest again.
    let again = json_of(
        &h.send(h.request("instaclustr", Method::GET, &path))
            .unwrap(),
    );
    assert!(again.get("clusterName").is_some());
}

#[test]
fn probability_faults_fire_by_chance_and_let_later_faults_match() {
    let h = Harness::start();
    // One cluster, so that listing them answers 200.
    h.send(
        h.request("instaclustr", Method::POST, CREATE)
            .json(&cluster_body("one")),
    )
    .unwrap();
    let (status, queued) = h.post_fault(&json!({
        "vendor": "instaclustr", "method": "GET", "status": 503, "probability": 0.5
    }));
    assert_eq!(status, 200, "{queued}");
    assert_eq!(queued["queued"]["times"], Value::Null);
    const N: usize = 200;
    let statuses: Vec<u16> = (0..N)
        .map(|_| {
            h.send(h.request("instaclustr", Method::GET, "/provisioning/v1"))
                .unwrap()
                .status
        })
        .collect();
    let failed = statuses.iter().filter(|s| **s == 503).count();
    println!("probability 0.5: {failed} of {N} requests failed");
    assert!(failed > 0 && failed < N, "{failed} of {N}");
    assert!(statuses.iter().all(|s| *s == 503 || *s == 200));
    let logged = h
        .log("instaclustr")
        .iter()
        .filter(|e| e["fault"] == "status")
        .count();
    assert_eq!(logged, failed);
    let faults = h.faults();
    assert_eq!(faults.len(), 1, "unlimited: still queued");
    assert_eq!(faults[0]["times"], Value::Null);
    assert_eq!(faults[0]["probability"], 0.5);
    h.sim.clear_faults();

    // A given `times` still bounds a chance fault.
    h.sim.inject_fault(json!({
        "vendor": "instaclustr", "status": 500, "probability": 0.5, "times": 3
    }));
    let failed = (0..N)
        .filter(|_| {
            h.send(h.request("instaclustr", Method::GET, "/provisioning/v1"))
                .unwrap()
                .status
                == 500
        })
        .count();
    assert_eq!(failed, 3);
    assert!(h.faults().is_empty());

    // A fault that does not fire lets the next matching one try.
    h.sim
        .inject_fault(json!({"vendor": "instaclustr", "status": 500, "probability": 1e-12}));
    h.sim
        .inject_fault(json!({"vendor": "instaclustr", "status": 418, "times": 2}));
    let got = h
        .send(h.request("instaclustr", Method::GET, "/provisioning/v1"))
        .unwrap();
    assert_eq!(got.status, 418);
    let faults = h.faults();
    assert_eq!(faults.len(), 2);
    assert_eq!(
        (&faults[0]["times"], &faults[1]["times"]),
        (&Value::Null, &json!(1))
    );
}

#[test]
fn the_log_keeps_its_fields_and_marks_faulted_entries() {
    let h = Harness::start();
    h.sim.clear_requests();
    h.send(h.request("instaclustr", Method::GET, "/provisioning/v1"))
        .unwrap();
    h.sim
        .inject_fault(json!({"vendor": "instaclustr", "status": 502}));
    h.send(h.request("instaclustr", Method::GET, "/provisioning/v1"))
        .unwrap();
    let log = h.log("instaclustr");
    let keys = |e: &Value| {
        let mut k: Vec<String> = e.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&log[0]),
        ["at_ms", "method", "path", "status", "vendor"]
    );
    assert_eq!(
        keys(&log[1]),
        ["at_ms", "fault", "method", "path", "status", "vendor"]
    );
    assert_eq!(
        (&log[1]["status"], &log[1]["fault"]),
        (&json!(502), &json!("status"))
    );
}

#[test]
fn nonsensical_faults_are_refused_with_a_reason() {
    let h = Harness::start();
    for (bad, says) in [
        (
            json!({"vendor": "instaclustr", "status": 503, "drop": true}),
            "not both",
        ),
        (
            json!({"vendor": "instaclustr", "drop": true, "body": {}}),
            "body and retry_after",
        ),
        (
            json!({"vendor": "instaclustr", "garble": "scramble"}),
            "unknown variant",
        ),
        (
            json!({"vendor": "instaclustr", "status": 500, "garble": "invalid"}),
            "cannot be combined",
        ),
        (
            json!({"vendor": "instaclustr", "drop": true, "patch": {"a": 1}}),
            "cannot be combined",
        ),
        (
            json!({"vendor": "instaclustr", "status": 500, "probability": 0}),
            "probability",
        ),
        (
            json!({"vendor": "instaclustr", "status": 500, "probability": 1.01}),
            "probability",
        ),
        (json!({"vendor": "instaclustr", "act": true}), "act needs"),
        (
            json!({"vendor": "instaclustr", "act": true, "delay_ms": 5}),
            "act needs",
        ),
        (
            json!({"vendor": "instaclustr", "remove": ["a..b"]}),
            "dotted",
        ),
        (
            json!({"vendor": "instaclustr", "remove": "a.b"}),
            "invalid admin request body",
        ),
        (
            json!({"vendor": "instaclustr", "delay_ms": -1}),
            "invalid admin request body",
        ),
        (
            json!({"vendor": "instaclustr", "times": 0, "drop": true}),
            "times",
        ),
        (json!({"vendor": "instaclustr"}), "needs a status"),
        (json!({"vendor": "nobody", "drop": true}), "unknown vendor"),
    ] {
        let (status, body) = h.post_fault(&bad);
        assert_eq!(status, 400, "{bad} → {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{bad} → {message}");
    }
    assert!(h.faults().is_empty());
}
