use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::http::testing::{Recorded, Reply, TestServer};
use crate::http::HttpSettings;
use crate::vendors::css::token::PasswordLogin;

const PASSWORD: &str = "Iam-pa55word";

fn token_reply(token: &str) -> Reply {
    Reply::json(
        201,
        r#"{"token":{"issued_at":"2024-05-01T10:00:00.000000Z","expires_at":"2024-05-02T10:00:00.000000Z"}}"#,
    )
    .header("X-Subject-Token", token)
}

/// A server answering IAM token requests with `tok-1`, `tok-2`, … and CSS requests from
/// `css_replies` in order (the last one repeated).
async fn setup(css_replies: Vec<Reply>) -> (TestServer, CssClient) {
    let iam_count = Mutex::new(0usize);
    let css_count = Mutex::new(0usize);
    let server = TestServer::start(move |req: &Recorded, _| {
        if req.path.starts_with("/iam/") {
            let mut n = iam_count.lock().unwrap();
            *n += 1;
            return token_reply(&format!("tok-{n}"));
        }
        let mut n = css_count.lock().unwrap();
        let reply = css_replies[(*n).min(css_replies.len() - 1)].clone();
        *n += 1;
        reply
    })
    .await;
    let settings = HttpSettings {
        base_url: format!("{}/css", server.base),
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        ..HttpSettings::default()
    };
    let http = HttpClient::new(settings).unwrap();
    let iam = http.with_base_url(&format!("{}/iam", server.base)).unwrap();
    let login = PasswordLogin {
        domain_name: "dom".into(),
        user_name: "alice".into(),
        password: Secret::new(PASSWORD),
        project_id: "proj-1".into(),
    };
    let tokens = Arc::new(TokenSource::password(iam, login));
    (server, CssClient::new(http, "proj-1".into(), tokens))
}

fn css_requests(server: &TestServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/css/"))
        .collect()
}

fn sample() -> CreateCluster {
    CreateCluster {
        cluster: ClusterSpec {
            name: "es-orders".into(),
            instance_num: 3,
            instance: InstanceSpec {
                flavor_ref: "ess.spec-4u8g".into(),
                volume: VolumeSpec {
                    volume_type: "HIGH".into(),
                    size: 100,
                },
                nics: Nics {
                    vpc_id: "vpc-1".into(),
                    net_id: "subnet-1".into(),
                    security_group_id: "sg-1".into(),
                },
                availability_zone: Some("az1".into()),
            },
            datastore: Datastore {
                engine_type: "elasticsearch".into(),
                version: "7.10.2".into(),
            },
            https_enable: true,
            authority_enable: true,
            admin_pwd: Some("Admin#1234".into()),
            backup_strategy: Some(BackupStrategy {
                period: "16:00 GMT+08:00".into(),
                prefix: "snapshot".into(),
                keepday: 7,
            }),
            tags: Some(vec![Tag {
                key: Some("team".into()),
                value: Some("search".into()),
            }]),
        },
    }
}

#[tokio::test]
async fn create_fetches_a_token_and_sends_the_documented_body() {
    let (server, client) = setup(vec![Reply::json(
        200,
        r#"{"cluster":{"id":"c-1","name":"es-orders"}}"#,
    )])
    .await;
    let id = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(id, "c-1");
    let requests = server.requests();
    assert_eq!(requests[0].path, "/iam/v3/auth/tokens");
    let create = &requests[1];
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/css/v1.0/proj-1/clusters");
    assert_eq!(create.header("x-auth-token"), Some("tok-1"));
    assert_eq!(
        create.json(),
        serde_json::json!({"cluster": {
            "name": "es-orders", "instanceNum": 3,
            "instance": {"flavorRef": "ess.spec-4u8g",
                "volume": {"volume_type": "HIGH", "size": 100},
                "nics": {"vpcId": "vpc-1", "netId": "subnet-1", "securityGroupId": "sg-1"},
                "availability_zone": "az1"},
            "datastore": {"type": "elasticsearch", "version": "7.10.2"},
            "httpsEnable": true, "authorityEnable": true, "adminPwd": "Admin#1234",
            "backupStrategy": {"period": "16:00 GMT+08:00", "prefix": "snapshot", "keepday": 7},
            "tags": [{"key": "team", "value": "search"}]
        }})
    );
    assert!(!format!("{:?}", sample().cluster).contains("Admin#1234"));
}

#[tokio::test]
async fn a_401_renews_the_token_once() {
    let (server, client) = setup(vec![
        Reply::json(
            401,
            r#"{"error_code":"APIGW.0307","error_msg":"The token must be updated."}"#,
        ),
        Reply::json(200, r#"{"id":"c-1","status":"200"}"#),
    ])
    .await;
    let detail = client
        .get_cluster("c-1", &CancellationToken::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.status(), "200");
    let tokens: Vec<_> = css_requests(&server)
        .iter()
        .map(|r| r.header("x-auth-token").unwrap_or_default().to_string())
        .collect();
    assert_eq!(tokens, ["tok-1", "tok-2"]);
    assert_eq!(client.tokens().fetches(), 2);
}

#[tokio::test]
async fn a_second_401_is_an_error_without_the_token() {
    let (server, client) = setup(vec![Reply::json(401, r#"{"error_msg":"tok-2 bad"}"#)]).await;
    let err = client
        .get_cluster("c-1", &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Unauthorized { renewable: true }),
        "{err:?}"
    );
    assert_eq!(css_requests(&server).len(), 2);
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains("tok-") && !text.contains(PASSWORD), "{text}");
}

#[tokio::test]
async fn a_fixed_token_never_calls_iam() {
    let server = TestServer::script(vec![Reply::json(401, "{}")]).await;
    let http = HttpClient::new(HttpSettings {
        base_url: server.base.clone(),
        ..HttpSettings::default()
    })
    .unwrap();
    let tokens = Arc::new(TokenSource::fixed(Secret::new("given-token")));
    let client = CssClient::new(http, "p".into(), tokens);
    let err = client
        .get_cluster("c", &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("auth_token"), "{err}");
    assert_eq!(server.count(), 1);
    assert_eq!(
        server.requests()[0].header("x-auth-token"),
        Some("given-token")
    );
}

#[tokio::test]
async fn missing_clusters_read_as_none() {
    let (server, client) = setup(vec![
        Reply::json(
            404,
            r#"{"errCode":"CSS.0015","externalMessage":"No resources"}"#,
        ),
        Reply::json(
            403,
            r#"{"errCode":"CSS.0015","externalMessage":"No resources"}"#,
        ),
        Reply::json(
            403,
            r#"{"errCode":"CSS.0009","externalMessage":"Not allowed"}"#,
        ),
    ])
    .await;
    let cancel = CancellationToken::new();
    assert!(client.get_cluster("a", &cancel).await.unwrap().is_none());
    assert!(client.get_cluster("b", &cancel).await.unwrap().is_none());
    let err = client.get_cluster("c", &cancel).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Forbidden { code: Some(c), message } if c == "CSS.0009" && message == "Not allowed"),
        "{err:?}"
    );
    assert!(client.get_cluster("..", &cancel).await.unwrap().is_none());
    assert_eq!(css_requests(&server).len(), 3);
}

#[tokio::test]
async fn name_collisions_name_the_existing_cluster() {
    let (_server, client) = setup(vec![
        Reply::json(400, r#"{"errCode":"CSS.5050","externalMessage":"The cluster name already exists."}"#),
        Reply::json(
            200,
            r#"{"clusters":[{"id":"other","name":"x"},{"id":"c-9","name":"es-orders"}],"totalSize":2}"#,
        ),
    ])
    .await;
    let err = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("named \"es-orders\" already exists"),
        "{text}"
    );
    assert!(text.contains("CSS.5050") && text.contains("c-9"), "{text}");
}

#[tokio::test]
async fn a_409_collision_is_recognised_too() {
    let (_server, client) = setup(vec![
        Reply::json(
            409,
            r#"{"errCode":"CSS.1102","externalMessage":"instance name exists"}"#,
        ),
        Reply::json(500, "{}"),
    ])
    .await;
    let err = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::NameExists { code, existing: None, .. } if code == "CSS.1102"),
        "{err:?}"
    );
}

#[tokio::test]
async fn busy_answers_are_recognised() {
    let (server, client) = setup(vec![
        Reply::json(
            202,
            r#"{"errCode":"CSS.0011","externalMessage":"Another operation"}"#,
        ),
        Reply::json(200, "{}"),
    ])
    .await;
    let cancel = CancellationToken::new();
    let err = client.extend("c-1", 2, &cancel).await.unwrap_err();
    assert!(matches!(err, ApiError::Busy(_)), "{err:?}");
    client.extend("c-1", 2, &cancel).await.unwrap();
    let requests = css_requests(&server);
    assert_eq!(requests[1].path, "/css/v1.0/proj-1/clusters/c-1/extend");
    assert_eq!(
        requests[1].json(),
        serde_json::json!({"grow": {"modifySize": 2}})
    );
}

#[tokio::test]
async fn updates_use_the_documented_paths_and_bodies() {
    let (server, client) = setup(vec![
        Reply::json(200, "{}"),
        Reply::json(200, "{}"),
        Reply::status(204),
        Reply::json(404, r#"{"errCode":"CSS.0001","externalMessage":"no tag"}"#),
        Reply::json(
            200,
            r#"{"keepday":"5","period":"16:00 GMT+08:00","prefix":"snap","enable":"true"}"#,
        ),
    ])
    .await;
    let cancel = CancellationToken::new();
    client
        .reset_password("c-1", &Secret::new("New#pass1"), &cancel)
        .await
        .unwrap();
    let policy = SnapshotPolicy {
        prefix: "snap".into(),
        period: "16:00 GMT+08:00".into(),
        keepday: 5,
        enable: "true",
    };
    client
        .set_snapshot_policy("c-1", &policy, &cancel)
        .await
        .unwrap();
    client
        .add_tag("c-1", "team", "search", &cancel)
        .await
        .unwrap();
    client
        .delete_tag("c-1", "a/b c", "v", &cancel)
        .await
        .unwrap();
    let read = client
        .get_snapshot_policy("c-1", &cancel)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.keepday, Some(5));
    assert_eq!(read.enable, Some(true));

    let r = css_requests(&server);
    let seen: Vec<(String, String, serde_json::Value)> = r
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.json()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "POST".into(),
                "/css/v1.0/proj-1/clusters/c-1/password/reset".into(),
                serde_json::json!({"newpassword": "New#pass1"})
            ),
            (
                "POST".into(),
                "/css/v1.0/proj-1/clusters/c-1/index_snapshot/policy".into(),
                serde_json::json!({"prefix": "snap", "period": "16:00 GMT+08:00", "keepday": 5, "enable": "true"})
            ),
            (
                "POST".into(),
                "/css/v1.0/proj-1/css-cluster/c-1/tags".into(),
                serde_json::json!({"tag": {"key": "team", "value": "search"}})
            ),
            (
                "DELETE".into(),
                "/css/v1.0/proj-1/css-cluster/c-1/tags/a%2Fb%20c".into(),
                serde_json::Value::Null
            ),
            (
                "GET".into(),
                "/css/v1.0/proj-1/clusters/c-1/index_snapshot/policy".into(),
                serde_json::Value::Null
            ),
        ]
    );
}

#[tokio::test]
async fn tags_fall_back_to_the_batch_api_and_read_from_their_endpoint() {
    let (server, client) = setup(vec![
        Reply::json(
            404,
            r#"{"errCode":"CSS.0001","externalMessage":"no such endpoint"}"#,
        ),
        Reply::status(204),
        Reply::json(405, "{}"),
        Reply::status(204),
        Reply::json(200, r#"{"tags":[{"key":"team","value":"search"}]}"#),
    ])
    .await;
    let cancel = CancellationToken::new();
    client
        .add_tag("c-1", "team", "search", &cancel)
        .await
        .unwrap();
    client.delete_tag("c-1", "old", "x", &cancel).await.unwrap();
    let tags = client.get_tags("c-1", &cancel).await.unwrap();
    assert_eq!(
        tags,
        Some(vec![Tag {
            key: Some("team".into()),
            value: Some("search".into())
        }])
    );
    let r = css_requests(&server);
    assert_eq!(r[1].path, "/css/v1.0/proj-1/css-cluster/c-1/tags/action");
    assert_eq!(
        r[1].json(),
        serde_json::json!({"action": "create", "tags": [{"key": "team", "value": "search"}]})
    );
    assert_eq!(
        r[3].json(),
        serde_json::json!({"action": "delete", "tags": [{"key": "old", "value": "x"}]})
    );
    assert_eq!(
        (r[4].method.as_str(), r[4].path.as_str()),
        ("GET", "/css/v1.0/proj-1/css-cluster/c-1/tags")
    );
}

#[tokio::test]
async fn a_bare_409_on_create_is_a_name_collision() {
    let (_server, client) = setup(vec![
        Reply::json(409, r#"{"message":"conflict"}"#),
        Reply::json(500, "{}"),
    ])
    .await;
    let err = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[tokio::test]
async fn password_errors_do_not_quote_the_password() {
    let (_server, client) = setup(vec![Reply::json(
        400,
        r#"{"errCode":"CSS.0001","externalMessage":"weak password New#pass1"}"#,
    )])
    .await;
    let err = client
        .reset_password("c-1", &Secret::new("New#pass1"), &CancellationToken::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("New#pass1"), "{text}");
    assert!(text.contains("CSS.0001"), "{text}");
}

#[tokio::test]
async fn detail_decoding_is_lenient() {
    let body = r#"{
        "id": "c-1", "name": "es-orders", "status": 303, "endpoint": "10.0.0.1:9200",
        "datastore": {"type": "elasticsearch", "version": "7.10.2"},
        "instances": [
            {"id": "i1", "type": "ess", "specCode": "ess.spec-4u8g", "azCode": "az1", "ip": "10.0.0.1",
             "status": "303", "volume": {"type": "HIGH", "size": "100"}},
            {"id": "i2", "type": "ess-master", "status": "200"},
            "garbage"
        ],
        "httpsEnable": "true", "authorityEnable": false, "actions": null,
        "tags": [{"key": "team", "value": "search"}],
        "failed_reasons": {"error_code": "CSS.6000", "error_msg": "no capacity"},
        "somethingNew": {"x": 1}
    }"#;
    let (_server, client) = setup(vec![Reply::json(200, body)]).await;
    let d = client
        .get_cluster("c-1", &CancellationToken::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status(), "303");
    assert_eq!(d.instances.as_ref().map(Vec::len), Some(2));
    assert_eq!(d.data_nodes().count(), 1);
    assert_eq!(
        d.data_nodes().next().and_then(|i| i.volume.clone()),
        Some(VolumeDetail {
            volume_type: Some("HIGH".into()),
            size: Some(100)
        })
    );
    assert_eq!(d.https_enable, Some(true));
    assert!(d.actions.is_empty());
    assert!(!d.is_ready());
    assert_eq!(d.failure_text(), "CSS.6000: no capacity");
}

#[test]
fn readiness_needs_every_node() {
    let mut d = ClusterDetail {
        status: Some("200".into()),
        instances: Some(vec![
            InstanceDetail {
                status: Some("200".into()),
                ..InstanceDetail::default()
            },
            InstanceDetail {
                status: Some("100".into()),
                ..InstanceDetail::default()
            },
        ]),
        ..ClusterDetail::default()
    };
    assert!(!d.is_ready());
    if let Some(i) = d.instances.as_mut() {
        i[1].status = Some("200".into());
    }
    assert!(d.is_ready());
    d.actions = vec!["GROWING".into()];
    assert!(!d.is_ready());
}

#[tokio::test]
async fn cancellation_is_reported_as_cancelled() {
    let (server, client) = setup(vec![Reply::status(200)]).await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = client.get_cluster("c-1", &cancel).await.unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert_eq!(server.count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Tag changes after unclear outcomes

/// How the fake API answers the n-th (from 0) tag-changing request: whether it applies the
/// change, and what it says.
type TagScript = dyn Fn(usize) -> (bool, Reply) + Send + Sync;

/// A CSS API holding one cluster's tags (starting with `initial`), answering tag changes as
/// `script` says and `GET …/tags` with the current tags (or `tags_reply` when given).
async fn tag_api(
    initial: &[(&str, &str)],
    script: Box<TagScript>,
    tags_reply: Option<Reply>,
    timeout: Duration,
) -> (TestServer, CssClient) {
    let tags: Mutex<Vec<(String, String)>> = Mutex::new(
        initial
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let changes = Mutex::new(0usize);
    let server = TestServer::start(move |req: &Recorded, _| {
        if req.path.starts_with("/iam/") {
            return token_reply("tok-tags");
        }
        if req.method == "GET" {
            if let Some(reply) = &tags_reply {
                return reply.clone();
            }
            let list: Vec<serde_json::Value> = tags
                .lock()
                .unwrap()
                .iter()
                .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
                .collect();
            return Reply::json(200, &serde_json::json!({ "tags": list }).to_string());
        }
        if req.method == "DELETE" {
            return Reply::json(405, "{}");
        }
        let n = {
            let mut count = changes.lock().unwrap();
            *count += 1;
            *count - 1
        };
        let (apply, reply) = script(n);
        if apply {
            let body = req.json();
            let mut tags = tags.lock().unwrap();
            let (action, tag) = if body.get("tag").is_some() {
                ("create", body["tag"].clone())
            } else {
                (
                    body["action"].as_str().unwrap_or_default(),
                    body["tags"][0].clone(),
                )
            };
            let key = tag["key"].as_str().unwrap_or_default().to_string();
            let value = tag["value"].as_str().unwrap_or_default().to_string();
            tags.retain(|(k, _)| *k != key);
            if action == "create" {
                tags.push((key, value));
            }
        }
        reply
    })
    .await;
    let http = HttpClient::new(HttpSettings {
        base_url: format!("{}/css", server.base),
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        timeout,
        ..HttpSettings::default()
    })
    .unwrap();
    let iam = http.with_base_url(&format!("{}/iam", server.base)).unwrap();
    let login = PasswordLogin {
        domain_name: "dom".into(),
        user_name: "alice".into(),
        password: Secret::new(PASSWORD),
        project_id: "proj-1".into(),
    };
    let tokens = Arc::new(TokenSource::password(iam, login));
    (server, CssClient::new(http, "proj-1".into(), tokens))
}

fn count(server: &TestServer, method: &str, path_end: &str) -> usize {
    css_requests(server)
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(path_end))
        .count()
}

const NORMAL: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_add_applied_behind_a_503_is_not_sent_again() {
    let (server, client) = tag_api(
        &[("other", "x")],
        Box::new(|_| {
            (
                true,
                Reply::json(503, r#"{"externalMessage":"busy backend"}"#),
            )
        }),
        None,
        NORMAL,
    )
    .await;
    client
        .add_tag("c-1", "team", "search", &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/tags"), 1);
    assert_eq!(count(&server, "GET", "/tags"), 1);
}

#[tokio::test]
async fn an_add_not_applied_behind_a_503_is_sent_again() {
    let (server, client) = tag_api(
        &[],
        Box::new(|n| match n {
            0 => (false, Reply::status(503)),
            _ => (true, Reply::status(204)),
        }),
        None,
        NORMAL,
    )
    .await;
    client
        .add_tag("c-1", "team", "search", &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/tags"), 2);
    assert_eq!(count(&server, "GET", "/tags"), 1);
}

#[tokio::test]
async fn a_tag_with_another_value_is_not_taken_for_success() {
    let (server, client) = tag_api(
        &[("team", "old")],
        Box::new(|n| match n {
            0 => (false, Reply::status(502)),
            _ => (true, Reply::status(200)),
        }),
        None,
        NORMAL,
    )
    .await;
    client
        .add_tag("c-1", "team", "new", &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/tags"), 2);
}

#[tokio::test]
async fn an_add_that_stays_unclear_is_sent_a_bounded_number_of_times() {
    let (server, client) = tag_api(
        &[],
        Box::new(|_| (false, Reply::json(500, r#"{"externalMessage":"internal"}"#))),
        None,
        NORMAL,
    )
    .await;
    let err = client
        .add_tag("c-1", "team", "search", &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Server { status: 500, message, .. } if message == "internal"),
        "{err:?}"
    );
    assert_eq!(count(&server, "POST", "/tags"), TAG_SENDS as usize);
    assert_eq!(count(&server, "GET", "/tags"), TAG_SENDS as usize);
}

#[tokio::test]
async fn a_timed_out_add_is_read_back_not_replayed() {
    let (server, client) = tag_api(
        &[],
        Box::new(|_| (true, Reply::status(204).delay(Duration::from_secs(5)))),
        None,
        Duration::from_millis(300),
    )
    .await;
    client
        .add_tag("c-1", "team", "search", &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/tags"), 1);
    assert_eq!(count(&server, "GET", "/tags"), 1);
}

#[tokio::test]
async fn an_unclear_batch_delete_is_read_back() {
    let (server, client) = tag_api(
        &[("old", "x")],
        Box::new(|_| (true, Reply::status(502))),
        None,
        NORMAL,
    )
    .await;
    client
        .delete_tag("c-1", "old", "x", &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(count(&server, "DELETE", "/tags/old"), 1);
    assert_eq!(count(&server, "POST", "/tags/action"), 1);
    assert_eq!(count(&server, "GET", "/tags"), 1);
}

#[tokio::test]
async fn unreadable_tags_leave_the_unclear_error_standing() {
    let (server, client) = tag_api(
        &[],
        Box::new(|_| (false, Reply::status(503))),
        Some(Reply::json(404, "{}")),
        NORMAL,
    )
    .await;
    let err = client
        .add_tag("c-1", "team", "search", &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(count(&server, "POST", "/tags"), 1);
}

#[tokio::test]
async fn a_refused_tag_is_not_read_back() {
    let (server, client) = tag_api(
        &[],
        Box::new(|_| {
            (
                false,
                Reply::json(400, r#"{"errCode":"CSS.0001","externalMessage":"bad key"}"#),
            )
        }),
        None,
        NORMAL,
    )
    .await;
    let err = client
        .add_tag("c-1", "team", "search", &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Validation { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(count(&server, "POST", "/tags"), 1);
    assert_eq!(count(&server, "GET", "/tags"), 0);
}

// ---------------------------------------------------------------------------------------------
// What an unclear create can tell, and listings for its reconciliation

#[tokio::test]
async fn unclear_create_answers_may_have_acted_and_are_sent_once() {
    for reply in [
        Reply::json(503, r#"{"externalMessage":"busy"}"#),
        Reply::json(502, "{}"),
        Reply::hang_up(),
        Reply::json(200, r#"{"cluster":{"name":"es-orders"}}"#),
        Reply::json(200, "<html>"),
    ] {
        let (server, client) = setup(vec![reply.clone()]).await;
        let err = client
            .create_cluster(&sample(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(err.may_have_acted(), "{reply:?}: {err:?}");
        assert_eq!(count(&server, "POST", "/clusters"), 1, "{reply:?}");
    }
}

#[tokio::test]
async fn clear_create_refusals_did_not_act() {
    for reply in [
        Reply::json(
            400,
            r#"{"errCode":"CSS.0001","externalMessage":"bad flavor"}"#,
        ),
        Reply::json(403, r#"{"errCode":"CSS.0003","externalMessage":"denied"}"#),
        Reply::status(429).header("Retry-After", "0"),
    ] {
        let (_server, client) = setup(vec![reply.clone()]).await;
        let err = client
            .create_cluster(&sample(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(!err.may_have_acted(), "{reply:?}: {err:?}");
    }
    let (_server, client) = setup(vec![
        Reply::json(
            400,
            r#"{"errCode":"CSS.5050","externalMessage":"name exists"}"#,
        ),
        Reply::json(200, r#"{"clusters":[]}"#),
    ])
    .await;
    let err = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NameExists { .. }), "{err:?}");
    assert!(!err.may_have_acted());
}

#[tokio::test]
async fn a_name_collision_prints_the_import_command() {
    let (_server, client) = setup(vec![
        Reply::json(
            400,
            r#"{"errCode":"CSS.5050","externalMessage":"name exists"}"#,
        ),
        Reply::json(200, r#"{"clusters":[{"id":"c-9","name":"es-orders"}]}"#),
    ])
    .await;
    let text = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("  terraform import <this resource's address> c-9\n"),
        "{text}"
    );
    assert!(text.contains("    id = \"c-9\"\n"), "{text}");

    // Without a listing the id is unknown, and the command says where it goes.
    let (_server, client) = setup(vec![
        Reply::json(
            400,
            r#"{"errCode":"CSS.5050","externalMessage":"name exists"}"#,
        ),
        Reply::json(
            404,
            r#"{"errCode":"CSS.0001","externalMessage":"no such endpoint"}"#,
        ),
    ])
    .await;
    let text = client
        .create_cluster(&sample(), &CancellationToken::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("terraform import <this resource's address> <its id>"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_list_endpoint_is_not_offered_but_a_failing_one_is_an_error() {
    for status in [400u16, 404, 405, 501] {
        let (_server, client) = setup(vec![Reply::json(
            status,
            r#"{"errCode":"CSS.0001","externalMessage":"no such endpoint"}"#,
        )])
        .await;
        let list = client
            .list_clusters_if_offered(&CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(list, ClusterList::NotOffered { status }, "{status}");
    }
    for status in [403u16, 500] {
        let (_server, client) = setup(vec![Reply::json(status, "{}")]).await;
        let err = client
            .list_clusters_if_offered(&CancellationToken::new())
            .await
            .unwrap_err();
        assert!(!matches!(err, ApiError::Decode(_)), "{status}: {err:?}");
    }
}

#[tokio::test]
async fn the_list_for_a_create_walks_every_page() {
    let page = |from: usize, n: usize| {
        let clusters: Vec<_> = (from..from + n)
            .map(|i| serde_json::json!({"id": format!("c-{i}"), "name": format!("n{i}")}))
            .collect();
        Reply::json(
            200,
            &serde_json::json!({"clusters": clusters, "totalSize": 130}).to_string(),
        )
    };
    let (server, client) = setup(vec![page(0, 100), page(100, 30)]).await;
    let ClusterList::Clusters(all) = client
        .list_clusters_if_offered(&CancellationToken::new())
        .await
        .unwrap()
    else {
        panic!("not offered")
    };
    assert_eq!(all.len(), 130);
    let paths: Vec<String> = css_requests(&server)
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "/css/v1.0/proj-1/clusters?offset=1&limit=100",
            "/css/v1.0/proj-1/clusters?offset=101&limit=100"
        ]
    );
}
