//! `check_configuration` against a scripted member node.

use std::time::Duration;

use super::*;
use crate::http::testing::{Reply, TestServer};
use crate::http::{HttpClient, HttpSettings};
use crate::vendors::redis::client::{Credentials, RedisClient};
use tokio_util::sync::CancellationToken;

const NODES: &str = r#"[
    {"uid":1,"addr":"10.1.0.1","external_addr":["203.0.113.1"],"rack_id":"","persistent_storage_path":"/var/opt/redislabs/persist","bigstore_driver":""},
    {"uid":2,"addr":"10.1.0.2","external_addr":[],"rack_id":"rack-b","persistent_storage_path":"/data/persist/","bigstore_driver":""}
]"#;

async fn member(cluster: &'static str) -> (TestServer, NodeClient) {
    let server = TestServer::start(move |r, _| match r.path.as_str() {
        "/v1/cluster" => Reply::json(200, &format!(r#"{{"name":"{cluster}"}}"#)),
        "/v1/nodes" => Reply::json(200, NODES),
        _ => Reply::json(404, "{}"),
    })
    .await;
    let http = HttpClient::new(HttpSettings::default()).unwrap();
    let node = RedisClient::new(http, None)
        .node(
            &server.base,
            Some(Credentials {
                username: "admin@example.com".into(),
                password: "pw-123456".into(),
            }),
        )
        .unwrap();
    (server, node)
}

fn ctx() -> Ctx {
    Ctx::new(&CancellationToken::new(), Duration::from_secs(30))
}

fn create(name: &str) -> Bootstrap {
    Bootstrap {
        action: Some("create_cluster".into()),
        cluster_name: Some(name.into()),
        ..Bootstrap::default()
    }
}

fn join(nodes: &[&str]) -> Bootstrap {
    Bootstrap {
        action: Some("join_cluster".into()),
        join_nodes: Some(nodes.iter().map(|n| n.to_string()).collect()),
        ..Bootstrap::default()
    }
}

#[tokio::test]
async fn a_create_with_the_same_name_and_settings_is_the_same() {
    let (server, node) = member("Cluster.Example.com").await;
    let mut plan = create("cluster.example.com");
    plan.node_addr = Some("10.1.0.1".into());
    plan.external_addr = Some(vec!["203.0.113.1".into()]);
    let verdict = check_configuration(&ctx(), &node, &plan, Some("1"))
        .await
        .unwrap();
    assert_eq!(verdict, Verdict::Same);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_some()));
}

#[tokio::test]
async fn every_difference_is_named() {
    let (_server, node) = member("other.example.com").await;
    let mut plan = create("cluster.example.com");
    plan.node_addr = Some("10.9.9.9".into());
    plan.rack_id = Some("rack-a".into());
    let verdict = check_configuration(&ctx(), &node, &plan, Some("1"))
        .await
        .unwrap();
    assert_eq!(
        verdict,
        Verdict::Differs(vec![
            r#"cluster_name: configured "cluster.example.com", the node belongs to cluster "other.example.com""#.to_string(),
            r#"node_addr: configured "10.9.9.9", the node has "10.1.0.1""#.to_string(),
            r#"rack_id: configured "rack-a", the node has none"#.to_string(),
        ])
    );
}

#[tokio::test]
async fn a_join_through_a_member_address_is_the_same() {
    let (_server, node) = member("cluster.example.com").await;
    let mut plan = join(&["10.1.0.1"]);
    plan.rack_id = Some("rack-b".into());
    // A trailing slash is the same path.
    plan.persistent_path = Some("/data/persist".into());
    let verdict = check_configuration(&ctx(), &node, &plan, Some("2"))
        .await
        .unwrap();
    assert_eq!(verdict, Verdict::Same);
    // An external address names the member too.
    let verdict = check_configuration(&ctx(), &node, &join(&["203.0.113.1"]), Some("2"))
        .await
        .unwrap();
    assert_eq!(verdict, Verdict::Same);
}

#[tokio::test]
async fn a_join_through_addresses_of_no_member_differs() {
    let (_server, node) = member("cluster.example.com").await;
    // The node's own address does not count: it names no other member.
    let verdict = check_configuration(&ctx(), &node, &join(&["10.7.0.1", "10.1.0.2"]), Some("2"))
        .await
        .unwrap();
    let Verdict::Differs(lines) = verdict else {
        panic!("{verdict:?}");
    };
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(
            "join_nodes: none of 10.7.0.1, 10.1.0.2 is a member of cluster \"cluster.example.com\""
        ),
        "{lines:?}"
    );
    assert!(lines[0].contains("members at 10.1.0.1"), "{lines:?}");
}

#[tokio::test]
async fn a_join_through_host_names_is_unconfirmed() {
    let (_server, node) = member("cluster.example.com").await;
    let verdict = check_configuration(&ctx(), &node, &join(&["node1.internal"]), Some("2"))
        .await
        .unwrap();
    assert!(
        matches!(&verdict, Verdict::Unconfirmed(what) if what.contains("node1.internal")),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn credentials_the_cluster_refuses_differ() {
    let server = TestServer::script(vec![Reply::json(401, r#"{"message":"no"}"#)]).await;
    let http = HttpClient::new(HttpSettings::default()).unwrap();
    let node = RedisClient::new(http, None)
        .node(&server.base, None)
        .unwrap();
    let verdict = check_configuration(&ctx(), &node, &create("c.example.com"), None)
        .await
        .unwrap();
    assert!(
        matches!(&verdict, Verdict::Differs(lines) if lines[0].starts_with("username/password")),
        "{verdict:?}"
    );
    assert_eq!(server.count(), 1);
}
