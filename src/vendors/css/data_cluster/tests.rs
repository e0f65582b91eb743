use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::framework::data_source::TypedData;
use crate::framework::diagnostics::Severity;
use crate::framework::model;
use crate::http::testing::{Recorded, Reply, TestServer};
use crate::http::{HttpClient, HttpSettings};
use crate::vendors::css::token::{Secret, TokenSource};

fn config(pairs: &[(&str, Value)]) -> Value {
    let ds = TypedData::boxed(ClusterLookup::new(Configured::default()));
    let Type::Object(fields) = ds.ty().clone() else {
        panic!("not an object type");
    };
    Value::object(fields.keys().map(|k| {
        let v = pairs
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (k.clone(), v)
    }))
}

fn errors(config: &Value) -> Vec<(String, String)> {
    let ds = TypedData::boxed(ClusterLookup::new(Configured::default()));
    let mut diags = Diagnostics::new();
    ds.validate(config, &mut diags);
    diags
        .0
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let at = d.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
            (at, d.summary.clone())
        })
        .collect()
}

#[test]
fn exactly_one_of_id_and_name() {
    assert_eq!(errors(&config(&[("id", "c-1".into())])), vec![]);
    assert_eq!(errors(&config(&[("name", "es-orders".into())])), vec![]);
    assert_eq!(
        errors(&config(&[])),
        vec![("id".to_string(), "Missing id or name".to_string())]
    );
    let both = errors(&config(&[
        ("id", "c-1".into()),
        ("name", "es-orders".into()),
    ]));
    assert_eq!(both.len(), 1, "{both:?}");
    assert_eq!(both[0].0, "id");
    assert!(both[0].1.contains("conflicts with name"), "{both:?}");
    // Unknown at validate time: judged once known.
    assert_eq!(errors(&config(&[("name", Value::Unknown)])), vec![]);
    assert_eq!(
        errors(&config(&[
            ("id", Value::Unknown),
            ("name", "x-name".into())
        ])),
        vec![]
    );
}

#[test]
fn the_model_fits_the_schema_and_has_no_password() {
    let ds = TypedData::boxed(ClusterLookup::new(Configured::default()));
    assert_eq!(ds.check(), Vec::<String>::new());
    let names = ds
        .schema()
        .block
        .attributes
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    assert!(!names.iter().any(|n| n.contains("password")), "{names:?}");
}

#[test]
fn blocks_become_lists_of_one_and_none_is_empty() {
    let found = FoundCluster::from(Cluster {
        volume: Some(Volume {
            volume_type: "HIGH".into(),
            size: 40,
        }),
        ..Cluster::default()
    });
    assert_eq!(found.volume.as_ref().map(Vec::len), Some(1));
    assert_eq!(found.backup_strategy, Some(Vec::new()));
    let ds = TypedData::boxed(ClusterLookup::new(Configured::default()));
    let v = model::to_value(&found, ds.ty()).unwrap();
    let size = v
        .get("volume")
        .and_then(Value::elements)
        .and_then(|e| e.first())
        .and_then(|o| o.get("size"))
        .and_then(Value::as_i64);
    assert_eq!(size, Some(40));
}

fn detail(id: &str, name: &str) -> serde_json::Value {
    json!({
        "id": id, "name": name, "status": "200", "endpoint": "192.168.1.10:9200",
        "created": "2024-05-01T10:00:00",
        "datastore": {"type": "elasticsearch", "version": "7.10.2"},
        "instances": [{"id": "i-1", "name": "n-1", "type": "ess", "specCode": "ess.spec-4u8g",
            "azCode": "az1", "ip": "192.168.1.10", "status": "200",
            "volume": {"type": "HIGH", "size": 40}}],
        "vpcId": "v", "subnetId": "s", "securityGroupId": "g",
        "httpsEnable": false, "authorityEnable": false, "actions": [],
        "tags": [{"key": "team", "value": "search"}]
    })
}

/// A fake project holding `clusters` (id, name); the detail of each, no snapshot policy.
async fn project(clusters: &[(&str, &str)]) -> (TestServer, Configured<CssClient>) {
    let all: Vec<(String, String)> = clusters
        .iter()
        .map(|(i, n)| (i.to_string(), n.to_string()))
        .collect();
    let server = TestServer::start(move |req: &Recorded, _| {
        let path = req.path.split('?').next().unwrap_or("");
        let Some(rest) = path.strip_prefix("/css/v1.0/p1/clusters") else {
            return Reply::json(404, r#"{"errCode":"CSS.0001","externalMessage":"no"}"#);
        };
        if rest.is_empty() {
            let list: Vec<_> = all.iter().map(|(i, n)| detail(i, n)).collect();
            let body = json!({"clusters": list, "totalSize": list.len()});
            return Reply::json(200, &body.to_string());
        }
        let id = rest.trim_start_matches('/');
        if id.ends_with("/index_snapshot/policy") {
            return Reply::json(200, r#"{"enable":"false"}"#);
        }
        match all.iter().find(|(i, _)| i == id) {
            Some((i, n)) => Reply::json(200, &detail(i, n).to_string()),
            None => Reply::json(
                404,
                r#"{"errCode":"CSS.0015","externalMessage":"No resources are found"}"#,
            ),
        }
    })
    .await;
    let http = HttpClient::new(HttpSettings {
        base_url: format!("{}/css", server.base),
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        ..HttpSettings::default()
    })
    .unwrap();
    let tokens = Arc::new(TokenSource::fixed(Secret::new("tok")));
    let client = Configured::default();
    client.set(CssClient::new(http, "p1".into(), tokens));
    (server, client)
}

fn ctx() -> Ctx {
    Ctx::new(&CancellationToken::new(), Duration::from_secs(30))
}

fn paths(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.path.split('?').next().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn by_name_finds_the_one_match_and_reads_its_detail() {
    let (server, client) = project(&[("c-1", "es-orders"), ("c-2", "es-logs")]).await;
    let found = ClusterLookup::new(client)
        .read(
            &ctx(),
            FoundCluster {
                name: Some("es-logs".into()),
                ..FoundCluster::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.id.as_deref(), Some("c-2"));
    assert_eq!(found.instance_num, Some(1));
    assert_eq!(found.volume.as_ref().map(|v| v[0].size), Some(40));
    assert_eq!(found.endpoint.as_deref(), Some("192.168.1.10:9200"));
    assert_eq!(
        found
            .tags
            .as_ref()
            .and_then(|t| t.get("team"))
            .map(String::as_str),
        Some("search")
    );
    assert_eq!(found.backup_strategy, Some(Vec::new()));
    assert_eq!(
        paths(&server),
        [
            "/css/v1.0/p1/clusters",
            "/css/v1.0/p1/clusters/c-2",
            "/css/v1.0/p1/clusters/c-2/index_snapshot/policy"
        ]
    );
}

#[tokio::test]
async fn a_shared_name_lists_the_ids_and_a_missing_one_says_so() {
    let (server, client) = project(&[
        ("c-1", "es-orders"),
        ("c-2", "es-logs"),
        ("c-3", "es-orders"),
    ])
    .await;
    let lookup = ClusterLookup::new(client);
    let by_name = |name: &str| FoundCluster {
        name: Some(name.into()),
        ..FoundCluster::default()
    };
    let err = lookup.read(&ctx(), by_name("es-orders")).await.unwrap_err();
    let d = &err.0[0];
    assert_eq!(d.path, Some(AttrPath::root("name")));
    assert!(d.detail.contains("c-1, c-3"), "{d:?}");
    assert_eq!(paths(&server), ["/css/v1.0/p1/clusters"]);

    let err = lookup.read(&ctx(), by_name("es-none")).await.unwrap_err();
    assert_eq!(err.0[0].path, Some(AttrPath::root("name")));
    assert!(err.0[0].detail.contains("\"es-none\""), "{:?}", err.0[0]);
}

#[tokio::test]
async fn an_unknown_id_is_an_error_on_id() {
    let (_server, client) = project(&[("c-1", "es-orders")]).await;
    let err = ClusterLookup::new(client)
        .read(
            &ctx(),
            FoundCluster {
                id: Some("c-9".into()),
                ..FoundCluster::default()
            },
        )
        .await
        .unwrap_err();
    let d = &err.0[0];
    assert_eq!(d.path, Some(AttrPath::root("id")));
    assert!(d.detail.contains("No CSS cluster with id \"c-9\""), "{d:?}");
}
