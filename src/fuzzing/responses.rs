//! Targets for what the vendor APIs answer: every response document each client decodes, the
//! mapping of a decoded answer into the resource's state, error bodies, and CloudBasic's JSON
//! and XML answers.
//!
//! Beyond "does not panic", cheap invariants that a hostile answer must not break: the state
//! built from any answer fits the resource's schema (else a Read fails with "bug in the
//! provider"), error messages stay one bounded line, and credentials never reach error text.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use super::shape::{self, mix};
use super::{Features, Target};
use crate::framework::model::to_value;
use crate::framework::resource::Provider;
use crate::framework::{msgpack, Type};
use crate::http::{secrets, HttpClient, HttpResponse, HttpSettings};
use crate::vendors::{cloudbasic, css, instaclustr, redis};

/// Registered in the process-wide secret register: no message built from a body may show it.
const SECRET: &str = "fz-Secret-9xQ!";
/// The API key / password the fuzzed clients hold; their own redaction must hide it.
const CLIENT_KEY: &str = "fz-client-key-77";

/// Statuses whose error mapping differs somewhere in the clients.
const ERROR_STATUSES: &[u16] = &[400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503];

pub(super) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "error_message",
            run: error_message,
            dictionary: ERROR_DICTIONARY,
            generate: None,
        },
        Target {
            name: "instaclustr_responses",
            run: instaclustr_responses,
            dictionary: INSTACLUSTR_DICTIONARY,
            generate: None,
        },
        Target {
            name: "css_responses",
            run: css_responses,
            dictionary: CSS_DICTIONARY,
            generate: None,
        },
        Target {
            name: "redis_responses",
            run: redis_responses,
            dictionary: REDIS_DICTIONARY,
            generate: None,
        },
        Target {
            name: "cloudbasic_json",
            run: cloudbasic_json,
            dictionary: CLOUDBASIC_DICTIONARY,
            generate: None,
        },
        Target {
            name: "cloudbasic_xml",
            run: cloudbasic_xml,
            dictionary: CLOUDBASIC_DICTIONARY,
            generate: None,
        },
    ]
}

const ERROR_DICTIONARY: &[&[u8]] = &[
    b"\"message\"",
    b"\"Message\"",
    b"\"errors\"",
    b"\"error\"",
    b"\"externalMessage\"",
    b"\"error_description\"",
    b"\"errCode\"",
    b"<Message>",
    b"</Message>",
    b"<title>",
    b"</title>",
    b"fz-Secret-9xQ!",
    b"fz-Secret-9xQ\\u0021",
    b"fz-Secret-9xQ%21",
    b"fz&#45;Secret-9xQ!",
];

const INSTACLUSTR_DICTIONARY: &[&[u8]] = &[
    b"\"clusterStatus\"",
    b"\"dataCentres\"",
    b"\"nodes\"",
    b"\"size\"",
    b"\"rack\"",
    b"\"publicAddress\"",
    b"\"privateAddress\"",
    b"\"bundleType\"",
    b"\"bundleOptions\"",
    b"\"addonBundles\"",
    b"\"bundles\"",
    b"\"provider\"",
    b"\"clusterProvider\"",
    b"\"rackAllocation\"",
    b"\"numberOfRacks\"",
    b"\"nodesPerRack\"",
    b"\"cdcId\"",
    b"\"tags\"",
    b"\"instaclustrUserPassword\"",
    b"\"zk-production-m5.large-60\"",
    b"\"APACHE_CASSANDRA\"",
    b"\"KAFKA\"",
    b"\"OPENSEARCH\"",
    b"\"apache-cassandra-3.11.8.ic2\"",
    b"\"fz-client-key-77\"",
];

const CSS_DICTIONARY: &[&[u8]] = &[
    b"\"instances\"",
    b"\"type\"",
    b"\"ess\"",
    b"\"ess-master\"",
    b"\"specCode\"",
    b"\"azCode\"",
    b"\"volume\"",
    b"\"datastore\"",
    b"\"failedReason\"",
    b"\"failed_reasons\"",
    b"\"actions\"",
    b"\"tags\"",
    b"\"clusters\"",
    b"\"totalSize\"",
    b"\"cluster\"",
    b"\"token\"",
    b"\"expires_at\"",
    b"\"issued_at\"",
    b"\"2024-05-01T10:00:00.000000Z\"",
    b"\"2024-05-01T10:00:00+08:00\"",
    b"\"9999-12-31T23:59:59Z\"",
    b"\"keepday\"",
    b"\"period\"",
    b"\"enable\"",
    b"\"errCode\"",
    b"\"CSS.0011\"",
    b"\"CSS.0015\"",
    b"\"CSS.5050\"",
];

const REDIS_DICTIONARY: &[&[u8]] = &[
    b"\"bootstrap_status\"",
    b"\"local_node_info\"",
    b"\"state\"",
    b"\"completed\"",
    b"\"error\"",
    b"\"error_details\"",
    b"\"uid\"",
    b"\"available_addrs\"",
    b"\"available_addresses\"",
    b"\"external_addr\"",
    b"\"persistent_storage_path\"",
    b"\"ephemeral_storage_path\"",
    b"\"/var/opt/redislabs/persist\"",
    b"\"error_code\"",
    b"\"not_member\"",
    b"not a member",
    b"\"progress\"",
    b"\"fz-client-key-77\"",
];

const CLOUDBASIC_DICTIONARY: &[&[u8]] = &[
    b"\"errors\"",
    b"\"requestId\"",
    b"\"RequestId\"",
    b"\"message\"",
    b"{RemoteServer}:",
    b"{Port}:",
    b"<Error>",
    b"</Error>",
    b"<ErrorResponse>",
    b"<Message>",
    b"</Message>",
    b"<RequestId>",
    b"</RequestId>",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version=\"1.0\"?>",
    b"<!DOCTYPE x [<!ENTITY e \"v\">]>",
    b"<!-- c -->",
    b"&amp;",
    b"&lt;",
    b"&e;",
    b"&#x41;",
    b"&#0;",
    b"&#x110000;",
    b"&#99999999999;",
    b"<a/>",
    b"<a b='c'>",
    b"xmlns:x=\"u\"",
    b"fz&#45;Secret-9xQ!",
];

/// The secret register is process-wide; registering on first use is enough.
fn register_secret() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| secrets::register(SECRET));
}

fn response(status: u16, body: &[u8]) -> HttpResponse {
    HttpResponse {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        headers: HeaderMap::new(),
        body: body.to_vec(),
    }
}

/// A client-side HTTP client, never used to send: the clients need one to exist.
fn http() -> HttpClient {
    static HTTP: OnceLock<Option<HttpClient>> = OnceLock::new();
    HTTP.get_or_init(|| {
        HttpClient::new(HttpSettings {
            base_url: "http://127.0.0.1:9/".to_string(),
            ..HttpSettings::default()
        })
        .ok()
    })
    .clone()
    .unwrap_or_else(|| panic!("the fuzz targets need an HTTP client"))
}

/// The type of a provider's resource `name`.
fn resource_type(provider: &dyn Provider, name: &str) -> Type {
    provider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == name)
        .map(|r| r.ty().clone())
        .unwrap_or_else(|| panic!("no resource {name}"))
}

fn data_source_type(provider: &dyn Provider, name: &str) -> Type {
    provider
        .data_sources()
        .into_iter()
        .find(|d| d.type_name() == name)
        .map(|d| d.ty().clone())
        .unwrap_or_else(|| panic!("no data source {name}"))
}

/// A state built from an API answer must fit the schema and go over the wire.
fn check_state<M: serde::Serialize>(model: &M, ty: &Type, what: &str) {
    let value = to_value(model, ty).unwrap_or_else(|d| panic!("{what}: state does not fit: {d:?}"));
    msgpack::encode(&value, ty)
        .unwrap_or_else(|e| panic!("{what}: state does not encode as msgpack: {e}"));
}

/// One line, bounded.
fn check_message(message: &str, what: &str) {
    assert!(
        !message.contains(['\n', '\r']),
        "{what} is more than one line"
    );
    assert!(
        message.chars().count() <= 501,
        "{what} is longer than the limit"
    );
}

/// `error_message`: the words of any error body, as every client reports them.
pub fn error_message(data: &[u8], out: &mut Features) {
    register_secret();
    let shape = match crate::http::error_message(data) {
        None => 0,
        Some(message) => {
            assert!(!message.is_empty(), "an empty message is Some");
            assert!(
                !message.contains(SECRET),
                "error_message shows a registered secret"
            );
            check_message(&message, "error_message");
            // The message is the input's own words: its shape is how it was found.
            let whole = String::from_utf8_lossy(data).split_whitespace().count()
                == message.split_whitespace().count();
            let parts = [
                u64::from(serde_json::from_slice::<serde_json::Value>(data).is_ok()),
                u64::from(whole),
                u64::from(message.ends_with('…')),
                u64::from(message.contains(secrets::MARKER)),
                u64::from(message.len().ilog2()),
            ];
            parts.into_iter().fold(0, mix)
        }
    };
    out.add(0, shape);
}

/// Instaclustr: cluster detail (and its mapping into state, fresh and over a planned cluster,
/// and as an import writes it), the cluster list, the create answer, and every error status.
pub fn instaclustr_responses(data: &[u8], out: &mut Features) {
    register_secret();
    use instaclustr::client::{ClusterDetail, ClusterSummary, CreatedResponse, InstaclustrClient};
    use instaclustr::model::{apply_detail, write_the_official_way, Bundle, Cluster};

    static TYPE: OnceLock<Type> = OnceLock::new();
    let ty = TYPE.get_or_init(|| {
        resource_type(
            &instaclustr::InstaclustrProvider::new(),
            "instaclustr_cluster",
        )
    });
    static CLIENT: OnceLock<InstaclustrClient> = OnceLock::new();
    let client =
        CLIENT.get_or_init(|| InstaclustrClient::new(http(), "fz-user".into(), CLIENT_KEY.into()));

    match serde_json::from_slice::<ClusterDetail>(data) {
        Err(_) => out.add(1, 1),
        Ok(detail) => {
            let debug = format!("{detail:?}");
            if detail.instaclustr_user_password.is_some() {
                assert!(
                    debug.contains("<redacted>"),
                    "ClusterDetail's Debug shows the default user password"
                );
            }
            let _ = (detail.data_centre_id(), detail.nodes().count());
            let mut fresh = Cluster::default();
            apply_detail(&mut fresh, &detail);
            check_state(&fresh, ty, "instaclustr read after import");
            write_the_official_way(&mut fresh.bundle);
            check_state(&fresh, ty, "instaclustr import");
            let mut planned = Cluster {
                cluster_name: Some("c".into()),
                bundle: vec![Bundle {
                    bundle: "APACHE_CASSANDRA".into(),
                    version: "4.1.3".into(),
                    options: Some([("auth_n_authz".to_string(), "true".to_string())].into()),
                }],
                cluster_provider: Some([("name".to_string(), "AWS_VPC".to_string())].into()),
                ..Cluster::default()
            };
            apply_detail(&mut planned, &detail);
            check_state(&planned, ty, "instaclustr read");
            out.add(2, shape::of_text(&debug));
        }
    }
    out.add(
        3,
        u64::from(serde_json::from_slice::<Vec<ClusterSummary>>(data).is_ok()),
    );
    out.add(
        4,
        u64::from(serde_json::from_slice::<CreatedResponse>(data).is_ok()),
    );
    for status in ERROR_STATUSES {
        let err = client.status_error(&response(*status, data));
        let text = err.to_string();
        assert!(
            !text.contains(CLIENT_KEY),
            "an Instaclustr error shows the API key"
        );
        assert!(
            !text.contains(SECRET),
            "an Instaclustr error shows a secret"
        );
        out.add(100 + u64::from(*status), shape::of_variant(&err));
    }
}

/// CSS: cluster detail (into state), the list, the create answer, tags, the snapshot policy
/// (into state), the IAM token answer's lifetime, and every error status.
pub fn css_responses(data: &[u8], out: &mut Features) {
    register_secret();
    use css::client::{
        status_error, ClusterDetail, CreatedResponse, ListResponse, SnapshotPolicyDetail, TagList,
    };
    use css::model::{BackupStrategy, Cluster};

    static TYPE: OnceLock<Type> = OnceLock::new();
    let ty = TYPE.get_or_init(|| resource_type(&css::CssProvider::new(), "css_cluster"));

    match serde_json::from_slice::<ClusterDetail>(data) {
        Err(_) => out.add(5, 1),
        Ok(detail) => {
            let _ = (
                detail.status(),
                detail.data_nodes().count(),
                detail.is_ready(),
                detail.failure_text(),
            );
            let mut fresh = Cluster::default();
            fresh.apply_detail(&detail);
            check_state(&fresh, ty, "css read after import");
            out.add(6, shape::of_debug(&detail));
        }
    }
    match serde_json::from_slice::<SnapshotPolicyDetail>(data) {
        Err(_) => out.add(7, 2),
        Ok(policy) => {
            for prior in [
                None,
                Some(BackupStrategy {
                    start_time: "00:00 GMT+08:00".into(),
                    prefix: "snapshot".into(),
                    keep_days: 7,
                }),
            ] {
                let mut cluster = Cluster {
                    backup_strategy: prior,
                    ..Cluster::default()
                };
                cluster.apply_policy(Some(&policy));
                check_state(&cluster, ty, "css snapshot policy");
            }
            out.add(8, shape::of_debug(&policy));
        }
    }
    out.add(
        9,
        u64::from(serde_json::from_slice::<ListResponse>(data).is_ok()),
    );
    out.add(
        10,
        u64::from(serde_json::from_slice::<CreatedResponse>(data).is_ok()),
    );
    out.add(
        11,
        u64::from(serde_json::from_slice::<TagList>(data).is_ok()),
    );
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_557_600);
    let life = css::token::token_lifetime(data, now);
    assert!(
        !life.is_zero(),
        "a token lifetime of zero would fetch a token per call"
    );
    out.add(12, u64::from(life.as_secs().max(1).ilog2()));
    for status in ERROR_STATUSES.iter().chain(&[200, 202]) {
        let err = status_error(&response(*status, data));
        assert!(
            !err.to_string().contains(SECRET),
            "a CSS error shows a secret"
        );
        out.add(100 + u64::from(*status), shape::of_variant(&err));
    }
}

/// Redis: bootstrap status (into the resource's state and the `redis_node` data source), cluster,
/// the node list and one node (into the import's recovered settings), the remove action's
/// status, and every error status.
pub fn redis_responses(data: &[u8], out: &mut Features) {
    register_secret();
    use redis::client::{
        ActionStatus, BootstrapInfo, ClusterInfo, Credentials, NodeClient, NodeInfo, RedisClient,
    };
    use redis::data_node::Node;
    use redis::model::{recover_settings, Bootstrap};

    static TYPE: OnceLock<Type> = OnceLock::new();
    let ty = TYPE.get_or_init(|| resource_type(&redis::RedisProvider::new(), "redis_bootstrap"));
    static DATA_TYPE: OnceLock<Type> = OnceLock::new();
    let data_ty =
        DATA_TYPE.get_or_init(|| data_source_type(&redis::RedisProvider::new(), "redis_node"));
    static CLIENT: OnceLock<Option<NodeClient>> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        let credentials = Credentials {
            username: "admin@example.com".into(),
            password: CLIENT_KEY.into(),
        };
        RedisClient::new(http(), None)
            .node("http://127.0.0.1:9/", Some(credentials))
            .ok()
    });

    let info = serde_json::from_slice::<BootstrapInfo>(data);
    match &info {
        Err(_) => out.add(13, 1),
        Ok(info) => {
            let _ = (info.state(), info.uid());
            if let Some(status) = &info.bootstrap_status {
                let _ = status.error_message();
            }
            let mut model = Bootstrap::default();
            model.record(info);
            check_state(&model, ty, "redis bootstrap status");
            let node = Node::from_info(Node::default(), info);
            check_state(&node, data_ty, "redis_node");
            let local = info.local_node_info.clone().unwrap_or_default();
            let addresses = local.all_addresses();
            let _ = addresses.default_address();
            out.add(19, addresses.entries.len().min(8) as u64);
            out.add(20, addresses.unreadable.len().min(8) as u64);
            out.add(14, shape::of_debug(info));
        }
    }
    out.add(
        15,
        u64::from(serde_json::from_slice::<ClusterInfo>(data).is_ok()),
    );
    let info = info.unwrap_or_default();
    let recover = |node: &NodeInfo| {
        let mut model = Bootstrap::default();
        recover_settings(&mut model, node, &info);
        check_state(&model, ty, "redis import");
    };
    // The node list as `NodeClient::nodes` reads it: an array, undecodable entries skipped.
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_slice(data) {
        let nodes: Vec<NodeInfo> = items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect();
        nodes.iter().for_each(recover);
        out.add(16, nodes.len() as u64);
    }
    if let Ok(node) = serde_json::from_slice::<NodeInfo>(data) {
        recover(&node);
        out.add(17, shape::of_debug(&node));
    }
    if let Ok(action) = serde_json::from_slice::<ActionStatus>(data) {
        out.add(18, u64::from(action.failed()));
    }
    if let Some(client) = client {
        for status in ERROR_STATUSES {
            let err = client.status_error(&response(*status, data));
            let text = err.to_string();
            assert!(
                !text.contains(CLIENT_KEY),
                "a Redis error shows the password"
            );
            assert!(!text.contains(SECRET), "a Redis error shows a secret");
            out.add(100 + u64::from(*status), shape::of_variant(&err));
        }
    }
}

/// CloudBasic answers read as JSON (by content type, or sniffed).
pub fn cloudbasic_json(data: &[u8], out: &mut Features) {
    for (i, ct) in [None, Some("application/json"), Some("text/plain")]
        .into_iter()
        .enumerate()
    {
        out.add(i as u64, cloudbasic_answer(data, ct));
    }
}

/// CloudBasic answers read as XML (by content type, or sniffed).
pub fn cloudbasic_xml(data: &[u8], out: &mut Features) {
    let types = [
        None,
        Some("application/xml; charset=utf-8"),
        Some("text/html"),
    ];
    for (i, ct) in types.into_iter().enumerate() {
        out.add(i as u64, cloudbasic_answer(data, ct));
    }
}

/// As the client reads an answer: the body scrubbed, read, and each problem scrubbed again
/// (entities and escapes can spell a secret that the raw body does not contain).
fn cloudbasic_answer(data: &[u8], content_type: Option<&str>) -> u64 {
    use cloudbasic::body::read_answer;
    register_secret();
    let body = String::from_utf8_lossy(data);
    let answer = read_answer(secrets::scrub(&body).as_bytes(), content_type);
    // The problems' words are the input's: the shape is what kinds of problem were found.
    let mut kinds = [false; 3];
    let mut longest = 0;
    for problem in &answer.problems {
        check_message(&problem.message, "a CloudBasic problem");
        let message = secrets::scrub(&problem.message);
        assert!(
            !message.contains(SECRET),
            "a CloudBasic problem shows a secret"
        );
        let kind = match problem.field.as_deref() {
            None => 0,
            Some(f) if cloudbasic::model::attribute_for(f).is_some() => 1,
            Some(_) => 2,
        };
        kinds[kind] = true;
        longest = longest.max(problem.message.len());
    }
    [
        u64::from(answer.request_id.is_some()),
        u64::from((answer.problems.len() + 1).ilog2()),
        u64::from(kinds[0]) | u64::from(kinds[1]) << 1 | u64::from(kinds[2]) << 2,
        u64::from((longest + 1).ilog2()),
    ]
    .into_iter()
    .fold(0, mix)
}
