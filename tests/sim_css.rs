//! Contract tests of the simulated Huawei Cloud IAM and CSS APIs, run against the real
//! `clusterform-sim` binary over HTTP with a plain reqwest client (nothing from the crate's own
//! vendor client).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};

const DOMAIN: &str = "demo-domain";
const USER: &str = "demo";
const PASSWORD: &str = "demo-password";
const PROJECT: &str = "demo-project";
/// The simulator's pace in these tests: create takes 3 paces, extend 2, delete 1.
const PACE_MS: u64 = 50;

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
        .args(["--listen", "127.0.0.1:0", "--pace", &format!("{PACE_MS}ms")])
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
        http: reqwest::Client::new(),
    }
}

fn login_body(user: &str, password: &str, project: Option<&str>) -> Value {
    let mut body = json!({"auth": {"identity": {
        "methods": ["password"],
        "password": {"user": {"name": user, "password": password, "domain": {"name": DOMAIN}}}
    }}});
    if let Some(p) = project {
        body["auth"]["scope"] = json!({"project": {"id": p}});
    }
    body
}

struct Answer {
    status: StatusCode,
    body: Value,
}

impl Sim {
    async fn token_for(&self, body: &Value) -> (StatusCode, Option<String>, Value) {
        let resp = self
            .http
            .post(format!("{}/iam/v3/auth/tokens", self.root))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, token, resp.json().await.unwrap_or(Value::Null))
    }

    async fn token(&self) -> String {
        let (status, token, body) = self
            .token_for(&login_body(USER, PASSWORD, Some(PROJECT)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        token.expect("X-Subject-Token")
    }

    fn css(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/css/v1.0/{PROJECT}{path}", self.root))
            .header("X-Auth-Token", token)
    }

    async fn call(&self, req: RequestBuilder) -> Answer {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        Answer { status, body }
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}/_admin{path}", self.root));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let a = self.call(req).await;
        assert!(a.status.is_success(), "{path}: {} {}", a.status, a.body);
        a.body
    }

    async fn create(&self, token: &str, body: &Value) -> String {
        let a = self
            .call(self.css(Method::POST, "/clusters", token).json(body))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.body["cluster"]["name"], body["cluster"]["name"]);
        a.body["cluster"]["id"].as_str().unwrap().to_owned()
    }

    async fn get(&self, token: &str, id: &str) -> Answer {
        self.call(self.css(Method::GET, &format!("/clusters/{id}"), token))
            .await
    }

    /// Polls until the cluster's status is `want`; returns the distinct statuses seen.
    async fn wait_status(&self, token: &str, id: &str, want: &str) -> (Vec<String>, Value) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen: Vec<String> = Vec::new();
        loop {
            let a = self.get(token, id).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            let s = a.body["status"].as_str().unwrap().to_owned();
            if seen.last() != Some(&s) {
                seen.push(s.clone());
            }
            if s == want && a.body["actions"] == json!([]) {
                return (seen, a.body);
            }
            assert!(
                Instant::now() < deadline,
                "never reached {want}; saw {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn cluster_body(name: &str) -> Value {
    json!({"cluster": {
        "name": name,
        "instanceNum": 2,
        "instance": {
            "flavorRef": "ess.spec-4u8g",
            "volume": {"volume_type": "HIGH", "size": 40},
            "nics": {"vpcId": "vpc-1", "netId": "subnet-1", "securityGroupId": "sg-1"},
            "availability_zone": "az1,az2"
        },
        "datastore": {"type": "elasticsearch", "version": "7.10.2"},
        "httpsEnable": false,
        "authorityEnable": false,
        "tags": [{"key": "team", "value": "search"}]
    }})
}

fn secure_body(name: &str) -> Value {
    let mut body = cluster_body(name);
    body["cluster"]["httpsEnable"] = json!(true);
    body["cluster"]["authorityEnable"] = json!(true);
    body["cluster"]["adminPwd"] = json!("Admin#12345");
    body["cluster"]["backupStrategy"] =
        json!({"period": "16:00 GMT+08:00", "prefix": "snap", "keepday": 5});
    body
}

fn assert_css_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert_eq!(a.body["errCode"], code, "{}", a.body);
    assert!(
        a.body["externalMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        a.body
    );
}

// ---------------------------------------------------------------------------------------------
// IAM

#[tokio::test]
async fn iam_issues_tokens_with_expiry() {
    let sim = start();
    let (status, token, body) = sim
        .token_for(&login_body(USER, PASSWORD, Some(PROJECT)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(token.is_some_and(|t| t.len() > 20));
    let t = &body["token"];
    assert_eq!(t["project"]["id"], PROJECT);
    assert_eq!(t["methods"], json!(["password"]));
    let parse = |v: &Value| {
        humantime::parse_rfc3339(v.as_str().unwrap()).unwrap_or_else(|e| panic!("{v}: {e}"))
    };
    let life = parse(&t["expires_at"])
        .duration_since(parse(&t["issued_at"]))
        .unwrap();
    assert_eq!(life, Duration::from_secs(24 * 3600));
    assert!(parse(&t["issued_at"])
        .duration_since(SystemTime::now() - Duration::from_secs(60))
        .is_ok());
    assert!(t["expires_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn iam_rejects_bad_credentials_and_bodies() {
    let sim = start();
    let (status, token, body) = sim
        .token_for(&login_body(USER, "wrong", Some(PROJECT)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(token.is_none());
    assert_eq!(body["error"]["code"], 401);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("password"));
    let (status, _, _) = sim
        .token_for(&login_body(USER, PASSWORD, Some("other-project")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = sim
        .token_for(&json!({"auth": {"identity": {"methods": ["token"]}}}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let resp = sim
        .http
        .post(format!("{}/iam/v3/auth/tokens", sim.root))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn css_checks_the_token() {
    let sim = start();
    let no_token = sim
        .call(
            sim.http
                .get(format!("{}/css/v1.0/{PROJECT}/clusters", sim.root)),
        )
        .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.body["error_code"], "APIGW.0301");
    let bad = sim.call(sim.css(Method::GET, "/clusters", "made-up")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

    // An unscoped token is a valid token, but not for a project's API.
    let (_, unscoped, _) = sim.token_for(&login_body(USER, PASSWORD, None)).await;
    let a = sim
        .call(sim.css(Method::GET, "/clusters", &unscoped.unwrap()))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    // A token of this project used on another project's path.
    let token = sim.token().await;
    let a = sim
        .call(
            sim.http
                .get(format!("{}/css/v1.0/other/clusters", sim.root))
                .header("X-Auth-Token", &token),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let ok = sim.call(sim.css(Method::GET, "/clusters", &token)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body, json!({"clusters": [], "totalSize": 0}));
}

#[tokio::test]
async fn tokens_expire_after_the_admin_ttl_and_can_be_revoked() {
    let sim = start();
    let config = sim
        .admin(
            Method::POST,
            "/iam/config",
            Some(json!({"token_ttl_ms": 300})),
        )
        .await;
    assert_eq!(config["token_ttl_ms"], 300);
    assert!(config.get("password").is_none());
    let token = sim.token().await;
    assert_eq!(
        sim.call(sim.css(Method::GET, "/clusters", &token))
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let expired = sim.call(sim.css(Method::GET, "/clusters", &token)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.body["error_code"], "APIGW.0307");

    sim.admin(
        Method::POST,
        "/iam/config",
        Some(json!({"token_ttl_ms": 60_000})),
    )
    .await;
    let token = sim.token().await;
    let revoked = sim.admin(Method::POST, "/iam/revoke", None).await;
    assert_eq!(revoked["revoked"], 1);
    let a = sim.call(sim.css(Method::GET, "/clusters", &token)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body["error_code"], "APIGW.0307");
    let counts = sim.admin(Method::GET, "/iam/tokens", None).await;
    assert_eq!(counts, json!({"issued": 2, "valid": 0}));
    // A fresh token works again.
    let token = sim.token().await;
    assert_eq!(
        sim.call(sim.css(Method::GET, "/clusters", &token))
            .await
            .status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------------------------
// Clusters

#[tokio::test]
async fn create_goes_from_100_to_200_with_the_documented_detail() {
    let sim = start();
    let token = sim.token().await;
    let id = sim.create(&token, &cluster_body("es-life")).await;
    let first = sim.get(&token, &id).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["status"], "100");
    assert_eq!(first.body["actions"], json!(["CREATING"]));
    assert!(first.body["actionProgress"]["CREATING"].is_string());
    assert!(first.body["instances"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "100"));

    let (seen, d) = sim.wait_status(&token, &id, "200").await;
    assert_eq!(seen, ["100", "200"]);
    assert_eq!(d["id"], id.as_str());
    assert_eq!(d["name"], "es-life");
    assert_eq!(
        d["datastore"],
        json!({"type": "elasticsearch", "version": "7.10.2"})
    );
    assert_eq!(d["vpcId"], "vpc-1");
    assert_eq!(d["subnetId"], "subnet-1");
    assert_eq!(d["securityGroupId"], "sg-1");
    assert_eq!(d["httpsEnable"], false);
    assert_eq!(d["authorityEnable"], false);
    assert_eq!(d["tags"], json!([{"key": "team", "value": "search"}]));
    assert_eq!(d["failedReason"], Value::Null);
    assert_eq!(d["actionProgress"], json!({}));
    assert!(d["created"].as_str().is_some_and(|c| c.len() >= 19));
    let instances = d["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 2);
    for (i, n) in instances.iter().enumerate() {
        assert_eq!(n["status"], "200");
        assert_eq!(n["type"], "ess");
        assert_eq!(n["specCode"], "ess.spec-4u8g");
        assert_eq!(n["volume"], json!({"type": "HIGH", "size": 40}));
        assert_eq!(n["azCode"], if i == 0 { "az1" } else { "az2" });
    }
    let ip = instances[0]["ip"].as_str().unwrap();
    assert_eq!(d["endpoint"], format!("{ip}:9200"));
    assert!(d.get("adminPwd").is_none());
}

/// A change to a create body.
type Edit = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn create_validation_follows_the_documented_rules() {
    let sim = start();
    let token = sim.token().await;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "short name",
            Box::new(|b| b["cluster"]["name"] = json!("abc")),
            "CSS.0001",
        ),
        (
            "digit first",
            Box::new(|b| b["cluster"]["name"] = json!("1abcd")),
            "CSS.0001",
        ),
        (
            "bad char",
            Box::new(|b| b["cluster"]["name"] = json!("abc.d")),
            "CSS.0001",
        ),
        (
            "0 nodes",
            Box::new(|b| b["cluster"]["instanceNum"] = json!(0)),
            "CSS.0001",
        ),
        (
            "33 nodes",
            Box::new(|b| b["cluster"]["instanceNum"] = json!(33)),
            "CSS.0001",
        ),
        (
            "size 45",
            Box::new(|b| b["cluster"]["instance"]["volume"]["size"] = json!(45)),
            "CSS.5033",
        ),
        (
            "size 0",
            Box::new(|b| b["cluster"]["instance"]["volume"]["size"] = json!(0)),
            "CSS.0001",
        ),
        (
            "volume type",
            Box::new(|b| b["cluster"]["instance"]["volume"]["volume_type"] = json!("SSD")),
            "CSS.0001",
        ),
        (
            "https without authority",
            Box::new(|b| b["cluster"]["httpsEnable"] = json!(true)),
            "CSS.0001",
        ),
        (
            "authority without password",
            Box::new(|b| b["cluster"]["authorityEnable"] = json!(true)),
            "CSS.0001",
        ),
        (
            "weak password",
            Box::new(|b| {
                b["cluster"]["authorityEnable"] = json!(true);
                b["cluster"]["adminPwd"] = json!("weakpassword");
            }),
            "CSS.0001",
        ),
        (
            "no version",
            Box::new(|b| b["cluster"]["datastore"] = json!({"type": "elasticsearch"})),
            "CSS.0001",
        ),
        (
            "no nics",
            Box::new(|b| b["cluster"]["instance"]["nics"] = Value::Null),
            "CSS.0001",
        ),
        (
            "keepday 0",
            Box::new(|b| {
                b["cluster"]["backupStrategy"] =
                    json!({"period": "16:00 GMT+08:00", "prefix": "s", "keepday": 0})
            }),
            "CSS.0001",
        ),
    ];
    for (what, change, code) in cases {
        let mut body = cluster_body("es-valid");
        change(&mut body);
        let a = sim
            .call(sim.css(Method::POST, "/clusters", &token).json(&body))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{what}: {}", a.body);
        assert_eq!(a.body["errCode"], code, "{what}: {}", a.body);
    }
    let garbage = sim
        .call(sim.css(Method::POST, "/clusters", &token).body("{"))
        .await;
    assert_css_error(&garbage, 400, "CSS.0001");
    let list = sim.call(sim.css(Method::GET, "/clusters", &token)).await;
    assert_eq!(list.body["totalSize"], 0);

    // String forms of counts and booleans are accepted.
    let mut body = cluster_body("es-strings");
    body["cluster"]["instanceNum"] = json!("1");
    body["cluster"]["httpsEnable"] = json!("false");
    sim.create(&token, &body).await;
}

#[tokio::test]
async fn duplicate_names_are_css_5050() {
    let sim = start();
    let token = sim.token().await;
    let id = sim.create(&token, &cluster_body("es-dup")).await;
    let a = sim
        .call(
            sim.css(Method::POST, "/clusters", &token)
                .json(&cluster_body("es-dup")),
        )
        .await;
    assert_css_error(&a, 400, "CSS.5050");
    assert!(a.body["externalMessage"]
        .as_str()
        .unwrap()
        .contains("es-dup"));
    // The name is free again once the cluster is gone.
    sim.call(sim.css(Method::DELETE, &format!("/clusters/{id}"), &token))
        .await;
    tokio::time::sleep(Duration::from_millis(PACE_MS * 2)).await;
    sim.create(&token, &cluster_body("es-dup")).await;
}

#[tokio::test]
async fn extend_adds_nodes_and_is_busy_while_creating() {
    let sim = start();
    let token = sim.token().await;
    let id = sim.create(&token, &cluster_body("es-grow")).await;
    let grow = |n: Value| {
        sim.css(Method::POST, &format!("/clusters/{id}/extend"), &token)
            .json(&json!({"grow": {"modifySize": n}}))
    };
    let busy = sim.call(grow(json!(1))).await;
    assert_css_error(&busy, 202, "CSS.0011");
    sim.wait_status(&token, &id, "200").await;

    let a = sim.call(grow(json!(2))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let d = sim.get(&token, &id).await.body;
    assert_eq!(d["status"], "100");
    assert_eq!(d["actions"], json!(["GROWING"]));
    let statuses: Vec<&str> = d["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["200", "200", "100", "100"]);
    assert_css_error(&sim.call(grow(json!(1))).await, 202, "CSS.0011");

    let (_, d) = sim.wait_status(&token, &id, "200").await;
    assert_eq!(d["instances"].as_array().unwrap().len(), 4);
    assert_css_error(&sim.call(grow(json!(29))).await, 400, "CSS.0001");
    assert_css_error(&sim.call(grow(json!(0))).await, 400, "CSS.0001");
}

#[tokio::test]
async fn delete_then_403_css_0015_and_unknown_ids_404() {
    let sim = start();
    let token = sim.token().await;
    let id = sim.create(&token, &cluster_body("es-del")).await;
    sim.wait_status(&token, &id, "200").await;
    let a = sim
        .call(sim.css(Method::DELETE, &format!("/clusters/{id}"), &token))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, Value::Null);
    let d = sim.get(&token, &id).await;
    assert_eq!(d.body["actions"], json!(["DELETING"]));
    // A second delete while deleting is accepted without restarting the clock.
    let again = sim
        .call(sim.css(Method::DELETE, &format!("/clusters/{id}"), &token))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(PACE_MS + 20)).await;
    assert_css_error(&sim.get(&token, &id).await, 403, "CSS.0015");
    assert_css_error(
        &sim.call(sim.css(Method::DELETE, &format!("/clusters/{id}"), &token))
            .await,
        403,
        "CSS.0015",
    );
    assert_css_error(&sim.get(&token, "no-such-id").await, 404, "CSS.0015");
}

#[tokio::test]
async fn tags_api() {
    let sim = start();
    let token = sim.token().await;
    let id = sim.create(&token, &cluster_body("es-tags")).await;
    let tags_path = format!("/css-cluster/{id}/tags");
    let list = || async {
        sim.call(sim.css(Method::GET, &tags_path, &token))
            .await
            .body["tags"]
            .clone()
    };
    // Tags can change while the cluster is being created.
    let a = sim
        .call(
            sim.css(Method::POST, &tags_path, &token)
                .json(&json!({"tag": {"key": "env", "value": "dev"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    sim.call(
        sim.css(Method::POST, &tags_path, &token)
            .json(&json!({"tag": {"key": "env", "value": "prod"}})),
    )
    .await;
    assert_eq!(
        list().await,
        json!([{"key": "team", "value": "search"}, {"key": "env", "value": "prod"}])
    );
    let a = sim
        .call(sim.css(Method::DELETE, &format!("{tags_path}/team"), &token))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_css_error(
        &sim.call(sim.css(Method::DELETE, &format!("{tags_path}/team"), &token))
            .await,
        404,
        "CSS.0001",
    );
    let a = sim
        .call(
            sim.css(Method::POST, &format!("{tags_path}/action"), &token)
                .json(&json!({"action": "create", "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    sim.call(
        sim.css(Method::POST, &format!("{tags_path}/action"), &token)
            .json(
                &json!({"action": "delete", "tags": [{"key": "a", "value": "1"}, {"key": "zz"}]}),
            ),
    )
    .await;
    assert_eq!(
        list().await,
        json!([{"key": "env", "value": "prod"}, {"key": "b", "value": "2"}])
    );
    assert_eq!(
        sim.get(&token, &id).await.body["tags"],
        list().await,
        "the detail shows the same tags"
    );
    assert_css_error(
        &sim.call(
            sim.css(Method::POST, &format!("{tags_path}/action"), &token)
                .json(&json!({"action": "rename", "tags": []})),
        )
        .await,
        400,
        "CSS.0001",
    );
}

#[tokio::test]
async fn snapshot_policy_and_password_reset() {
    let sim = start();
    let token = sim.token().await;
    let id = sim.create(&token, &secure_body("es-secure")).await;
    let policy_path = format!("/clusters/{id}/index_snapshot/policy");
    let reset_path = format!("/clusters/{id}/password/reset");
    let policy = sim
        .call(sim.css(Method::GET, &policy_path, &token))
        .await
        .body;
    assert_eq!(policy["enable"], "true");
    assert_eq!(policy["period"], "16:00 GMT+08:00");
    assert_eq!(policy["prefix"], "snap");
    assert_eq!(policy["keepday"], 5);
    let busy = sim
        .call(
            sim.css(Method::POST, &reset_path, &token)
                .json(&json!({"newpassword": "Other#12345"})),
        )
        .await;
    assert_css_error(&busy, 202, "CSS.0011");
    sim.wait_status(&token, &id, "200").await;

    let set = |body: Value| sim.css(Method::POST, &policy_path, &token).json(&body);
    let a = sim
        .call(set(json!({"prefix": "daily", "period": "02:00 GMT+01:00", "keepday": 30, "enable": "true"})))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let p = sim
        .call(sim.css(Method::GET, &policy_path, &token))
        .await
        .body;
    assert_eq!((&p["prefix"], &p["keepday"]), (&json!("daily"), &json!(30)));
    assert_css_error(
        &sim.call(set(
            json!({"prefix": "x", "period": "2am", "keepday": 3, "enable": "true"}),
        ))
        .await,
        400,
        "CSS.0001",
    );
    assert_css_error(
        &sim.call(set(
            json!({"prefix": "x", "period": "02:00 GMT+01:00", "keepday": 3}),
        ))
        .await,
        400,
        "CSS.0001",
    );
    sim.call(set(json!({"enable": false}))).await;
    let p = sim
        .call(sim.css(Method::GET, &policy_path, &token))
        .await
        .body;
    assert_eq!(p["enable"], "false");
    assert_eq!(p["prefix"], "daily");

    let reset = |pw: &str| {
        sim.css(Method::POST, &reset_path, &token)
            .json(&json!({"newpassword": pw}))
    };
    assert_css_error(&sim.call(reset("weakweakweak")).await, 400, "CSS.0001");
    let a = sim.call(reset("Other#12345")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // Without security mode there is no password to reset.
    let plain = sim.create(&token, &cluster_body("es-plain")).await;
    sim.wait_status(&token, &plain, "200").await;
    let a = sim
        .call(
            sim.css(
                Method::POST,
                &format!("/clusters/{plain}/password/reset"),
                &token,
            )
            .json(&json!({"newpassword": "Other#12345"})),
        )
        .await;
    assert_css_error(&a, 400, "CSS.0001");
}

#[tokio::test]
async fn list_pages_are_1_based() {
    let sim = start();
    let token = sim.token().await;
    for name in ["es-list-a", "es-list-b", "es-list-c"] {
        sim.create(&token, &cluster_body(name)).await;
    }
    let page = |q: &str| sim.call(sim.css(Method::GET, &format!("/clusters{q}"), &token));
    let all = page("").await.body;
    assert_eq!(all["totalSize"], 3);
    let second = page("?offset=2&limit=1").await.body;
    assert_eq!(second["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(second["clusters"][0]["name"], "es-list-b");
    assert_eq!(second["totalSize"], 3);
    assert_css_error(&page("?offset=0").await, 400, "CSS.0001");
}

// ---------------------------------------------------------------------------------------------
// Admin back doors and the shared gate

#[tokio::test]
async fn admin_failure_delete_and_tags() {
    let sim = start();
    let token = sim.token().await;
    let answer = sim
        .admin(
            Method::POST,
            "/css/next_create_failure",
            Some(json!({"errorMsg": "no capacity in az1"})),
        )
        .await;
    assert_eq!(answer["next_create_failure"]["errorCode"], "CSS.6000");
    let id = sim.create(&token, &cluster_body("es-fail")).await;
    let (seen, d) = sim.wait_status(&token, &id, "303").await;
    assert_eq!(seen, ["100", "303"]);
    assert_eq!(
        d["failedReason"],
        json!({"errorCode": "CSS.6000", "errorMsg": "no capacity in az1"})
    );
    assert!(d["instances"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "303"));
    let grow = sim
        .call(
            sim.css(Method::POST, &format!("/clusters/{id}/extend"), &token)
                .json(&json!({"grow": {"modifySize": 1}})),
        )
        .await;
    assert_css_error(&grow, 400, "CSS.0001");
    // Only the next create fails.
    let ok = sim.create(&token, &cluster_body("es-ok")).await;
    sim.wait_status(&token, &ok, "200").await;

    let listed = sim.admin(Method::GET, "/css/clusters", None).await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["es-fail", "es-ok"]);
    assert_eq!(listed[1]["instanceNum"], 2);
    assert_eq!(listed[1]["tags"], json!({"team": "search"}));

    sim.admin(
        Method::POST,
        &format!("/css/clusters/{ok}/tags"),
        Some(json!({"x": "y"})),
    )
    .await;
    assert_eq!(
        sim.get(&token, &ok).await.body["tags"],
        json!([{"key": "x", "value": "y"}])
    );
    sim.admin(Method::POST, &format!("/css/clusters/{ok}/delete"), None)
        .await;
    assert_css_error(&sim.get(&token, &ok).await, 403, "CSS.0015");
}

#[tokio::test]
async fn admin_rename_lets_two_clusters_share_a_name() {
    let sim = start();
    let token = sim.token().await;
    let first = sim.create(&token, &cluster_body("es-shared")).await;
    let second = sim.create(&token, &cluster_body("es-other")).await;
    let answer = sim
        .admin(
            Method::POST,
            &format!("/css/clusters/{second}/name"),
            Some(json!({"name": "es-shared"})),
        )
        .await;
    assert_eq!(answer, json!({"id": second, "name": "es-shared"}));
    let list = sim
        .call(sim.css(Method::GET, "/clusters?offset=1&limit=10", &token))
        .await;
    let ids: Vec<&str> = list.body["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "es-shared")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);
    assert_eq!(sim.get(&token, &second).await.body["name"], "es-shared");
}

#[tokio::test]
async fn faults_and_the_request_log_cover_both_apis() {
    let sim = start();
    sim.admin(
        Method::POST,
        "/faults",
        Some(json!({"vendor": "iam", "status": 503, "times": 1})),
    )
    .await;
    let (status, _, _) = sim
        .token_for(&login_body(USER, PASSWORD, Some(PROJECT)))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let token = sim.token().await;
    sim.admin(
        Method::POST,
        "/faults",
        Some(json!({"vendor": "css", "method": "GET", "status": 500})),
    )
    .await;
    let a = sim.call(sim.css(Method::GET, "/clusters", &token)).await;
    assert_css_error(&a, 500, "CSS.9999");
    let log = sim.admin(Method::GET, "/requests", None).await;
    let seen: Vec<(String, String, u64)> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["vendor"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("iam".to_owned(), "/v3/auth/tokens".to_owned(), 503),
            ("iam".to_owned(), "/v3/auth/tokens".to_owned(), 201),
            ("css".to_owned(), format!("/v1.0/{PROJECT}/clusters"), 500),
        ]
    );
}
