//! Contract tests of the simulated CloudBasic API, run against the real `clusterform-sim` binary
//! over HTTP. Requests are signed by hand with the crate's SigV4 signer
//! (`clusterform::vendors::cloudbasic::signing`), which the simulator checks with its own,
//! separately written verifier; both are pinned to AWS's test-suite vectors by unit tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use clusterform::vendors::cloudbasic::signing::{self, Credentials, Scope};
use reqwest::StatusCode;
use serde_json::{json, Value};

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

fn start() -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clusterform-sim"))
        .args(["--listen", "127.0.0.1:0"])
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
    Sim {
        child,
        root,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fmt {
    Json,
    Xml,
}

impl Fmt {
    fn content_type(self) -> &'static str {
        match self {
            Fmt::Json => "application/json",
            Fmt::Xml => "application/xml",
        }
    }
}

/// How to spoil a signed request.
#[derive(Clone, Copy, PartialEq)]
enum Spoil {
    None,
    WrongSecret,
    TamperedBody,
    NoAuthorization,
    Service(&'static str),
    /// Signed an hour ago.
    Old,
    /// Sent and signed the empty-body hash in X-Amz-Content-Sha256, as the vendor's samples do.
    EmptyBodyHash,
}

struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Sim {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    async fn admin_get(&self, path: &str) -> Value {
        self.http
            .get(self.url(&format!("/_admin/cloudbasic{path}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn admin_post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(&format!("/_admin/cloudbasic{path}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn raw(&self, action: &str, content_type: Option<&str>, body: &str) -> Answer {
        let mut req = self
            .http
            .post(self.url(&format!("/cloudbasic/api/{action}")));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        answer(req.body(body.to_owned()).send().await.unwrap()).await
    }

    /// `POST /api/ActivateInstance` of a new instance → (publicKey, privateKey).
    async fn activate(&self) -> (String, String) {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = json!({"email": "ops@example.com", "instanceId": format!("i-{n:017x}"),
            "password": "Console-pw-1", "agreeToEula": true})
        .to_string();
        let a = self
            .raw("ActivateInstance", Some("application/json"), &body)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        let v = a.json();
        (
            v["publicKey"].as_str().unwrap().to_owned(),
            v["privateKey"].as_str().unwrap().to_owned(),
        )
    }

    async fn call(
        &self,
        action: &str,
        fmt: Fmt,
        body: &str,
        keys: &(String, String),
        spoil: Spoil,
    ) -> Answer {
        let path = format!("/cloudbasic/api/{action}");
        let url = self.url(&path);
        let host = self.root.trim_start_matches("http://").to_owned();
        let secret = if spoil == Spoil::WrongSecret {
            "not-the-secret"
        } else {
            keys.1.as_str()
        };
        let service = match spoil {
            Spoil::Service(s) => s,
            _ => "cloudbasic",
        };
        let time = if spoil == Spoil::Old {
            SystemTime::now() - Duration::from_secs(3600)
        } else {
            SystemTime::now()
        };
        let signed_body: &[u8] = if spoil == Spoil::EmptyBodyHash {
            b""
        } else {
            body.as_bytes()
        };
        let signed = signing::sign(
            &signing::Request {
                method: "POST",
                path: &path,
                query: None,
                headers: &[("host", &host), ("content-type", fmt.content_type())],
                body: signed_body,
                content_sha256_header: true,
            },
            &Credentials::new(keys.0.clone(), secret),
            &Scope {
                region: "us-east-1".into(),
                service: service.into(),
            },
            time,
        )
        .expect("signs");
        let sent_body = if spoil == Spoil::TamperedBody {
            body.replace("81", "82")
        } else {
            body.to_owned()
        };
        let mut req = self
            .http
            .post(url)
            .header("content-type", fmt.content_type())
            .header("x-amz-date", &signed.amz_date)
            .header("x-amz-content-sha256", &signed.content_sha256);
        if spoil != Spoil::NoAuthorization {
            req = req.header("authorization", &signed.authorization);
        }
        answer(req.body(sent_body).send().await.unwrap()).await
    }

    async fn clusters(&self) -> Vec<Value> {
        self.admin_get("/clusters")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Answer {
        status,
        content_type,
        text: resp.text().await.unwrap(),
    }
}

fn create_json(local: &str, remote: &str, port: Value, remote_keys: &(String, String)) -> String {
    json!({
        "remoteServer": remote,
        "localServer": local,
        "port": port,
        "publicKey": remote_keys.0,
        "privateKey": remote_keys.1,
    })
    .to_string()
}

fn create_xml(
    root: &str,
    local: &str,
    remote: &str,
    port: &str,
    remote_keys: &(String, String),
) -> String {
    format!(
        "<{root}><RemoteServer>{remote}</RemoteServer><LocalServer>{local}</LocalServer><Port>{port}</Port>\
         <PublicKey>{}</PublicKey><PrivateKey>{}</PrivateKey></{root}>",
        remote_keys.0, remote_keys.1
    )
}

#[tokio::test]
async fn activate_instance_mints_key_pairs_without_authorization() {
    let sim = start();
    let (a, a_secret) = sim.activate().await;
    let (b, _) = sim.activate().await;
    assert_ne!(a, b);
    assert_eq!(a.len(), 20);
    assert_eq!(a_secret.len(), 40);

    let xml = sim
        .raw(
            "ActivateInstance",
            Some("application/xml"),
            "<ActivateInstanceRequest><Email>x@y</Email><InstanceId>i-0x</InstanceId>\
             <Password>pw</Password><IsProduction>true</IsProduction><Company>Example</Company>\
             <ActivationKey>BYOL-1</ActivationKey><AgreeToEula>true</AgreeToEula></ActivateInstanceRequest>",
        )
        .await;
    assert_eq!(xml.status, StatusCode::OK, "{}", xml.text);
    assert_eq!(xml.content_type, "application/xml");
    assert!(
        xml.text
            .starts_with("<ActivateInstanceResponse><PublicKey>")
            && xml.text.contains("<PrivateKey>"),
        "{}",
        xml.text
    );

    // The admin view: every activation, without password or activation key.
    let instances = sim.admin_get("/instances").await;
    let list = instances.as_array().unwrap();
    assert_eq!(list.len(), 3, "{instances:#}");
    let x = list.iter().find(|i| i["instanceId"] == "i-0x").unwrap();
    assert_eq!(
        (
            &x["email"],
            &x["isProduction"],
            &x["company"],
            &x["activationKey"],
            &x["format"]
        ),
        (
            &json!("x@y"),
            &json!(true),
            &json!("Example"),
            &json!(true),
            &json!("xml")
        ),
        "{x}"
    );
    assert!(!instances.to_string().contains("BYOL-1"));
    assert!(list.iter().any(|i| i["publicKey"] == json!(a)));

    let minted = sim.admin_post("/keys", json!({})).await;
    assert_eq!(minted["publicKey"].as_str().unwrap().len(), 20);
}

/// The documented required fields, every problem at once; an instance is activated once; a
/// minted key signs that instance's calls.
#[tokio::test]
async fn activate_instance_checks_its_fields_and_activates_once() {
    let sim = start();
    let empty = sim.raw("ActivateInstance", None, "").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.text);
    let errors = empty.json()["errors"].clone();
    for field in ["InstanceId", "Email", "Password", "AgreeToEula"] {
        assert!(
            errors
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_str().unwrap().starts_with(&format!("{{{field}}}:"))),
            "{field}: {errors}"
        );
    }

    let refused = sim
        .raw(
            "ActivateInstance",
            Some("application/json"),
            r#"{"email":"ops@example.com","instanceId":"i-0a","password":"pw","agreeToEula":false}"#,
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["errors"].as_array().unwrap().len(),
        1,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("{AgreeToEula}:"), "{}", refused.text);

    let body =
        r#"{"email":"ops@example.com","instanceId":"i-0a","password":"pw","agreeToEula":true}"#;
    let first = sim
        .raw("ActivateInstance", Some("application/json"), body)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let again = sim
        .raw("ActivateInstance", Some("application/json"), body)
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again
            .text
            .contains("{InstanceId}:Instance i-0a is already activated"),
        "{}",
        again.text
    );

    // The minted pair signs for the new instance.
    let keys = (
        first.json()["publicKey"].as_str().unwrap().to_owned(),
        first.json()["privateKey"].as_str().unwrap().to_owned(),
    );
    let remote = sim.activate().await;
    let created = sim
        .call(
            "CreateCluster",
            Fmt::Json,
            &create_json("10.0.0.1", "10.0.0.2", json!(81), &remote),
            &keys,
            Spoil::None,
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert_eq!(sim.clusters().await[0]["accessKey"], json!(keys.0));
}

#[tokio::test]
async fn json_lifecycle_create_alter_delete() {
    let sim = start();
    let local = sim.activate().await;
    let remote = sim.activate().await;
    let other_remote = sim.activate().await;

    let a = sim
        .call(
            "CreateCluster",
            Fmt::Json,
            &create_json("10.0.0.1", "10.0.0.2", json!(81), &remote),
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.content_type, "application/json");
    assert!(a.json()["requestId"].is_u64(), "{}", a.text);
    let clusters = sim.clusters().await;
    assert_eq!(clusters.len(), 1);
    let c = &clusters[0];
    assert_eq!(
        (
            &c["localServer"],
            &c["remoteServer"],
            &c["port"],
            &c["format"],
            &c["accessKey"]
        ),
        (
            &json!("10.0.0.1"),
            &json!("10.0.0.2"),
            &json!(81),
            &json!("json"),
            &json!(local.0)
        )
    );

    // A second cluster on the same instance is refused, on LocalServer.
    let again = sim
        .call(
            "CreateCluster",
            Fmt::Json,
            &create_json("10.0.0.9", "10.0.0.8", json!(81), &remote),
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.json()["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("{LocalServer}:"),
        "{}",
        again.text
    );

    let alter = json!({"remoteServer": "db-c.internal", "port": "444", "publicKey": other_remote.0, "privateKey": other_remote.1}).to_string();
    let a = sim
        .call("AlterCluster", Fmt::Json, &alter, &local, Spoil::None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let c = &sim.clusters().await[0];
    assert_eq!(
        (&c["remoteServer"], &c["port"], &c["publicKey"]),
        (&json!("db-c.internal"), &json!(444), &json!(other_remote.0))
    );
    assert_eq!(c["alterations"], 1);

    // Standing the remote server alone needs its keys.
    let a = sim
        .call(
            "DeleteCluster",
            Fmt::Json,
            &json!({"standaloneServer": "db-c.internal"}).to_string(),
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text.contains("{PublicKey}:"), "{}", a.text);
    let a = sim
        .call(
            "DeleteCluster",
            Fmt::Json,
            &json!({"standaloneServer": "10.9.9.9"}).to_string(),
            &local,
            Spoil::None,
        )
        .await;
    assert!(a.text.contains("{StandaloneServer}:"), "{}", a.text);

    let a = sim
        .call(
            "DeleteCluster",
            Fmt::Json,
            &json!({"standaloneServer": "10.0.0.1"}).to_string(),
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert!(sim.clusters().await.is_empty());
    let a = sim
        .call("AlterCluster", Fmt::Json, &alter, &local, Spoil::None)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text.contains("not part of a cluster"), "{}", a.text);

    let calls = sim.admin_get("/calls").await;
    let calls = calls.as_array().unwrap();
    let actions: Vec<&str> = calls
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "CreateCluster",
            "CreateCluster",
            "AlterCluster",
            "DeleteCluster",
            "DeleteCluster",
            "DeleteCluster",
            "AlterCluster"
        ]
    );
    assert!(calls
        .iter()
        .all(|c| c["payloadHash"] == "real" && c["format"] == "json"));
    assert_eq!(
        calls[0]["signedHeaders"],
        "content-type;host;x-amz-content-sha256;x-amz-date"
    );
    assert_eq!(calls[5]["fields"], json!({"standaloneServer": "10.0.0.1"}));
}

#[tokio::test]
async fn xml_round_trip_answers_in_xml() {
    let sim = start();
    let local = sim.activate().await;
    let remote = sim.activate().await;

    let bad = sim
        .call(
            "CreateCluster",
            Fmt::Xml,
            &create_xml(
                "CreateClusterRequest",
                "10.0.0.1",
                "10.0.0.2",
                "70000",
                &remote,
            ),
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.content_type, "application/xml");
    assert!(
        bad.text.starts_with("<Error><RequestId>")
            && bad
                .text
                .contains("<Message>{Port}:Invalid value for Port</Message>"),
        "{}",
        bad.text
    );

    // Any root element is accepted (the spec's `<ActionRequest>`, the samples' `<CreateClusterRequest>`).
    let ok = sim
        .call(
            "CreateCluster",
            Fmt::Xml,
            &create_xml(
                "ActionRequest",
                "db-a.example.com",
                "db-b.example.com",
                "4432",
                &remote,
            ),
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.content_type, "application/xml");
    assert!(
        ok.text.starts_with("<CreateClusterResponse><RequestId>"),
        "{}",
        ok.text
    );
    let c = &sim.clusters().await[0];
    assert_eq!((&c["port"], &c["format"]), (&json!(4432), &json!("xml")));

    let del = sim
        .call(
            "DeleteCluster",
            Fmt::Xml,
            "<DeleteClusterRequest><StandaloneServer>db-a.example.com</StandaloneServer></DeleteClusterRequest>",
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(del.status, StatusCode::OK, "{}", del.text);
    assert!(sim.clusters().await.is_empty());

    let malformed = sim
        .call(
            "AlterCluster",
            Fmt::Xml,
            "<AlterClusterRequest><Port>",
            &local,
            Spoil::None,
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(
        malformed.text.contains("malformed XML"),
        "{}",
        malformed.text
    );
}

#[tokio::test]
async fn bad_signatures_are_refused_with_403_in_the_request_format() {
    let sim = start();
    let local = sim.activate().await;
    let remote = sim.activate().await;
    let stranger = ("AKNOTACTIVATED000000".to_owned(), "whatever".to_owned());
    for fmt in [Fmt::Json, Fmt::Xml] {
        let body = match fmt {
            Fmt::Json => create_json("10.0.0.1", "10.0.0.2", json!(81), &remote),
            Fmt::Xml => create_xml(
                "CreateClusterRequest",
                "10.0.0.1",
                "10.0.0.2",
                "81",
                &remote,
            ),
        };
        for (spoil, keys, words) in [
            (
                Spoil::WrongSecret,
                &local,
                "signature we calculated does not match",
            ),
            (
                Spoil::TamperedBody,
                &local,
                "X-Amz-Content-Sha256 header does not match",
            ),
            (
                Spoil::NoAuthorization,
                &local,
                "Missing Authentication Token",
            ),
            (Spoil::None, &stranger, "unknown access key"),
            (Spoil::Service("ec2"), &local, "valid service"),
            (Spoil::Old, &local, "Signature expired"),
        ] {
            let a = sim.call("CreateCluster", fmt, &body, keys, spoil).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{fmt:?}: {}", a.text);
            assert_eq!(a.content_type, fmt.content_type(), "{fmt:?}");
            match fmt {
                Fmt::Json => {
                    let v = a.json();
                    assert!(v["requestId"].is_u64(), "{}", a.text);
                    assert!(
                        v["errors"][0].as_str().unwrap().contains(words),
                        "{words}: {}",
                        a.text
                    );
                }
                Fmt::Xml => {
                    assert!(a.text.starts_with("<Error><RequestId>"), "{}", a.text);
                    assert!(a.text.contains(words), "{words}: {}", a.text);
                }
            }
        }
    }
    assert!(
        sim.clusters().await.is_empty(),
        "a refused request created a cluster"
    );
    // Refused requests never reach the actions' log.
    assert_eq!(sim.admin_get("/calls").await, json!([]));

    // The vendor's samples sign the empty-body hash; the signature still verifies, and the
    // simulator tells which hash was sent.
    let body = create_json("10.0.0.1", "10.0.0.2", json!("81"), &remote);
    let a = sim
        .call(
            "CreateCluster",
            Fmt::Json,
            &body,
            &local,
            Spoil::EmptyBodyHash,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(
        sim.admin_get("/calls").await[0]["payloadHash"],
        "empty-body-hash"
    );

    // The service name of one of the vendor's index pages is accepted too.
    let a = sim
        .call(
            "DeleteCluster",
            Fmt::Json,
            r#"{"standaloneServer":"10.0.0.1"}"#,
            &local,
            Spoil::Service("cbr"),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

#[tokio::test]
async fn validation_errors_use_the_documented_shape() {
    let sim = start();
    let local = sim.activate().await;
    let remote = sim.activate().await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            create_json("10.0.0.1", "10.0.0.2", json!(70000), &remote),
            vec!["{Port}:"],
        ),
        (
            create_json("10.0.0.1", "10.0.0.2", json!("eighty"), &remote),
            vec!["{Port}:"],
        ),
        (
            create_json("10.0.0.1", "not a host", json!(81), &remote),
            vec!["{RemoteServer}:"],
        ),
        (
            create_json("10.0.0.1", "10.0.0.1", json!(81), &remote),
            vec!["{RemoteServer}:"],
        ),
        (
            create_json(
                "10.0.0.1",
                "10.0.0.2",
                json!(81),
                &(String::new(), String::new()),
            ),
            vec!["{PublicKey}:", "{PrivateKey}:"],
        ),
        (
            create_json(
                "10.0.0.1",
                "10.0.0.2",
                json!(81),
                &("NOPE".to_owned(), "x".to_owned()),
            ),
            vec!["{PublicKey}:"],
        ),
        (
            create_json(
                "10.0.0.1",
                "10.0.0.2",
                json!(81),
                &(remote.0.clone(), "wrong".to_owned()),
            ),
            vec!["{PrivateKey}:"],
        ),
        (
            json!({"remoteServer": "10.0.0.2"}).to_string(),
            vec!["{LocalServer}:", "{Port}:", "{PublicKey}:", "{PrivateKey}:"],
        ),
    ];
    for (body, prefixes) in cases {
        let a = sim
            .call("CreateCluster", Fmt::Json, &body, &local, Spoil::None)
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.text);
        let v = a.json();
        assert!(
            v["requestId"].as_u64().is_some_and(|id| id > 0),
            "{}",
            a.text
        );
        let errors: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(errors.len(), prefixes.len(), "{body}: {errors:?}");
        for (e, p) in errors.iter().zip(&prefixes) {
            assert!(e.starts_with(p), "{body}: {errors:?}");
        }
    }
    assert!(sim.clusters().await.is_empty());

    let unknown = sim
        .call("DescribeCluster", Fmt::Json, "{}", &local, Spoil::None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    let get = sim
        .http
        .get(sim.url("/cloudbasic/api/CreateCluster"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn admin_back_doors() {
    let sim = start();
    let local = sim.activate().await;
    let remote = sim.activate().await;

    sim.admin_post(
        "/next_error",
        json!({"action": "CreateCluster", "field": "RemoteServer"}),
    )
    .await;
    let body = create_xml(
        "CreateClusterRequest",
        "10.0.0.1",
        "10.0.0.2",
        "81",
        &remote,
    );
    let forced = sim
        .call("CreateCluster", Fmt::Xml, &body, &local, Spoil::None)
        .await;
    assert_eq!(forced.status, StatusCode::BAD_REQUEST);
    assert!(
        forced
            .text
            .contains("<Message>{RemoteServer}:Invalid value for RemoteServer</Message>"),
        "{}",
        forced.text
    );
    let ok = sim
        .call("CreateCluster", Fmt::Xml, &body, &local, Spoil::None)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);

    let gone = sim.admin_post("/clusters/10.0.0.1/delete", json!({})).await;
    assert_eq!(gone["deleted"], "10.0.0.1");
    assert!(sim.clusters().await.is_empty());
    let missing = sim
        .http
        .post(sim.url("/_admin/cloudbasic/clusters/10.0.0.1/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let cleared = sim
        .http
        .delete(sim.url("/_admin/cloudbasic/calls"))
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    assert_eq!(sim.admin_get("/calls").await, json!([]));

    // The demo instances exist from the start.
    let demo = (
        "CBDEMOLOCAL000000001".to_owned(),
        "demo-local-private-key-0000000000000001".to_owned(),
    );
    let demo_remote = (
        "CBDEMOREMOTE00000002".to_owned(),
        "demo-remote-private-key-000000000000002".to_owned(),
    );
    let a = sim
        .call(
            "CreateCluster",
            Fmt::Json,
            &create_json("10.1.0.1", "10.1.0.2", json!(81), &demo_remote),
            &demo,
            Spoil::None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}
