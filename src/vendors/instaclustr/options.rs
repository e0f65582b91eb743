//! Bundle options: the official v1 provider's snake_case keys, the API's names for them, and
//! the JSON type the API expects for each. The table follows the fields of the official
//! provider's bundle option struct (facts: key names and types); the API's own spelling of a
//! key is accepted as written.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// The JSON type the API expects for an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Text,
}

/// One known option.
pub struct Known {
    /// As the official provider's HCL writes it.
    pub hcl: &'static str,
    /// As the API names it.
    pub api: &'static str,
    pub kind: Kind,
    /// Credentials: registered as secrets, so no log line or diagnostic shows the value.
    pub secret: bool,
}

const fn known(hcl: &'static str, api: &'static str, kind: Kind) -> Known {
    Known {
        hcl,
        api,
        kind,
        secret: false,
    }
}

const fn secret(hcl: &'static str, api: &'static str) -> Known {
    Known {
        hcl,
        api,
        kind: Kind::Text,
        secret: true,
    }
}

use Kind::{Bool, Int, Text};

pub const KNOWN: &[Known] = &[
    known("auth_n_authz", "authnAuthz", Bool),
    known("client_encryption", "clientEncryption", Bool),
    known("dedicated_master_nodes", "dedicatedMasterNodes", Bool),
    known("master_node_size", "masterNodeSize", Text),
    known("kibana_node_size", "kibanaNodeSize", Text),
    known(
        "opensearch_dashboards_node_size",
        "openSearchDashboardsNodeSize",
        Text,
    ),
    known("data_node_size", "dataNodeSize", Text),
    known("security_plugin", "securityPlugin", Bool),
    known("index_management_plugin", "indexManagementPlugin", Bool),
    known(
        "use_private_broadcast_rpc_address",
        "usePrivateBroadcastRPCAddress",
        Bool,
    ),
    known("lucene_enabled", "luceneEnabled", Bool),
    known("continuous_backup_enabled", "continuousBackupEnabled", Bool),
    known("number_partitions", "numberPartitions", Int),
    known("auto_create_topics", "autoCreateTopics", Bool),
    known("delete_topics", "deleteTopics", Bool),
    known("password_authentication", "passwordAuthentication", Bool),
    known("target_kafka_cluster_id", "targetKafkaClusterId", Text),
    known("vpc_type", "vpcType", Text),
    secret("aws_access_key", "aws.access.key.id"),
    secret("aws_secret_key", "aws.secret.access.key"),
    known("s3_bucket_name", "s3.bucket.name", Text),
    known(
        "azure_storage_account_name",
        "azure.storage.account.name",
        Text,
    ),
    secret("azure_storage_account_key", "azure.storage.account.key"),
    known(
        "azure_storage_container_name",
        "azure.storage.container.name",
        Text,
    ),
    known("ssl_enabled_protocols", "ssl.enabled.protocols", Text),
    secret("ssl_truststore_password", "ssl.truststore.password"),
    known("ssl_protocol", "ssl.protocol", Text),
    known("security_protocol", "security.protocol", Text),
    known("sasl_mechanism", "sasl.mechanism", Text),
    secret("sasl_jaas_config", "sasl.jaas.config"),
    known("bootstrap_servers", "bootstrap.servers", Text),
    known("truststore", "truststore", Text),
    known("master_nodes", "masterNodes", Int),
    known("replica_nodes", "replicaNodes", Int),
    known("password_auth", "passwordAuth", Bool),
    known("dedicated_zookeeper", "dedicatedZookeeper", Bool),
    known("zookeeper_node_size", "zookeeperNodeSize", Text),
    known("zookeeper_node_count", "zookeeperNodeCount", Int),
    known("postgresql_node_count", "postgresqlNodeCount", Int),
    known("replication_mode", "replicationMode", Text),
    known("synchronous_mode_strict", "synchronousModeStrict", Bool),
    known("advanced_visibility", "useAdvancedVisibility", Bool),
    known("use_cadence_web_auth", "useCadenceWebAuth", Bool),
    known(
        "target_cassandra_data_centre_id",
        "targetCassandraCdcId",
        Text,
    ),
    known("target_cassandra_vpc_type", "targetCassandraVpcType", Text),
    known(
        "target_opensearch_data_centre_id",
        "targetOpenSearchCdcId",
        Text,
    ),
    known(
        "target_opensearch_vpc_type",
        "targetOpenSearchVpcType",
        Text,
    ),
    known("target_kafka_data_centre_id", "targetKafkaCdcId", Text),
    known("target_kafka_vpc_type", "targetKafkaVpcType", Text),
    known("pool_mode", "poolMode", Text),
    known("advertised_host_name", "advertisedHostName", Text),
    known(
        "integrate_rest_proxy_with_schema_registry",
        "integrateRestProxyWithSchemaRegistry",
        Bool,
    ),
];

/// Why an option cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("{0:?} is not a bundle option: the official provider's names are snake_case keys such as `auth_n_authz` (known: {known}), and a key in the API's own spelling (camelCase, e.g. `authnAuthz`) is sent as written", known = hcl_names())]
    Unknown(String),
    #[error("option {key:?} takes {what}, not {value:?}")]
    Type {
        key: String,
        what: &'static str,
        value: String,
    },
}

fn hcl_names() -> String {
    KNOWN.iter().map(|k| k.hcl).collect::<Vec<_>>().join(", ")
}

/// The known option a key names, in either spelling.
pub fn lookup(key: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.hcl == key || k.api == key)
}

/// The API's name for a key. An API name is never snake_case, so an unknown key with an
/// underscore is a mistake (a typo, or an option the official provider never had).
pub fn api_name(key: &str) -> Result<&str, OptionError> {
    match lookup(key) {
        Some(k) => Ok(k.api),
        None if key.contains('_') => Err(OptionError::Unknown(key.to_string())),
        None => Ok(key),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "t" => Some(true),
        "false" | "0" | "f" => Some(false),
        _ => None,
    }
}

/// The option's value as the API expects it: a JSON boolean or number where the table says
/// so; an option the table does not know is a boolean when written `true`/`false`, else text.
pub fn api_value(key: &str, text: &str) -> Result<Json, OptionError> {
    let mismatch = |what| OptionError::Type {
        key: key.to_string(),
        what,
        value: text.to_string(),
    };
    match lookup(key).map(|k| k.kind) {
        Some(Bool) => parse_bool(text)
            .map(Json::Bool)
            .ok_or_else(|| mismatch("true or false")),
        Some(Int) => text
            .trim()
            .parse::<i64>()
            .map(Json::from)
            .map_err(|_| mismatch("a whole number")),
        Some(Text) => Ok(Json::String(text.to_string())),
        None => Ok(match text {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => Json::String(text.to_string()),
        }),
    }
}

/// The options object of a create request.
pub fn to_api(
    options: &BTreeMap<String, String>,
) -> Result<serde_json::Map<String, Json>, OptionError> {
    options
        .iter()
        .map(|(k, v)| Ok((api_name(k)?.to_string(), api_value(k, v)?)))
        .collect()
}

/// What an options map means to the API: API names, typed values, and an option that is
/// `false` the same as one not given (the API reports unset switches as false; the official
/// provider ignores that difference too). `None` when a key or value cannot be sent.
pub fn meaning(options: Option<&BTreeMap<String, String>>) -> Option<BTreeMap<String, Json>> {
    let mut out = BTreeMap::new();
    for (k, v) in options.into_iter().flatten() {
        let value = api_value(k, v).ok()?;
        if value != Json::Bool(false) {
            out.insert(api_name(k).ok()?.to_string(), value);
        }
    }
    Some(out)
}

/// The value of an option in whichever spelling the map uses.
pub fn get<'a>(options: Option<&'a BTreeMap<String, String>>, api: &str) -> Option<&'a str> {
    options?
        .iter()
        .find(|(k, _)| lookup(k).map_or(k.as_str() == api, |known| known.api == api))
        .map(|(_, v)| v.as_str())
}

/// A switch option that is on.
pub fn is_on(options: Option<&BTreeMap<String, String>>, api: &str) -> bool {
    get(options, api).and_then(parse_bool) == Some(true)
}

/// Values of credential options, for the secret register.
pub fn secrets(options: &BTreeMap<String, String>) -> impl Iterator<Item = &str> {
    options
        .iter()
        .filter(|(k, _)| lookup(k).is_some_and(|known| known.secret))
        .map(|(_, v)| v.as_str())
}

/// The options the API echoed, as Terraform's map of strings: booleans and numbers as their
/// JSON text, nulls dropped.
pub fn from_api(options: &serde_json::Map<String, Json>) -> BTreeMap<String, String> {
    options
        .iter()
        .filter_map(|(k, v)| match v {
            Json::Null => None,
            Json::String(s) => Some((k.clone(), s.clone())),
            other => Some((k.clone(), other.to_string())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn official_keys_become_the_apis_names_and_types() {
        let api = to_api(&map(&[
            ("auth_n_authz", "true"),
            ("number_partitions", "10"),
            ("aws_secret_key", "s3cr3t"),
            ("customFlag", "false"),
            ("masterNodeSize", "t3.small-v2"),
        ]))
        .unwrap();
        assert_eq!(api["authnAuthz"], Json::Bool(true));
        assert_eq!(api["numberPartitions"], Json::from(10));
        assert_eq!(api["aws.secret.access.key"], Json::from("s3cr3t"));
        assert_eq!(api["customFlag"], Json::Bool(false));
        assert_eq!(api["masterNodeSize"], Json::from("t3.small-v2"));
    }

    #[test]
    fn unknown_snake_case_keys_and_mistyped_values_are_errors() {
        assert!(matches!(
            api_name("auth_n_auth"),
            Err(OptionError::Unknown(_))
        ));
        let e = api_value("number_partitions", "ten").unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
        assert!(api_value("client_encryption", "maybe").is_err());
    }

    #[test]
    fn both_spellings_and_unset_switches_mean_the_same() {
        let official = map(&[("auth_n_authz", "true"), ("lucene_enabled", "false")]);
        let api = map(&[("authnAuthz", "true")]);
        assert_eq!(meaning(Some(&official)), meaning(Some(&api)));
        assert_eq!(meaning(None), meaning(Some(&map(&[]))));
        assert_ne!(
            meaning(Some(&map(&[("auth_n_authz", "true")]))),
            meaning(None)
        );
        assert_eq!(get(Some(&official), "authnAuthz"), Some("true"));
        assert!(is_on(Some(&api), "authnAuthz"));
    }

    #[test]
    fn every_key_is_listed_once() {
        for (i, a) in KNOWN.iter().enumerate() {
            for b in &KNOWN[i + 1..] {
                assert!(a.hcl != b.hcl && a.api != b.api, "{} / {}", a.hcl, b.hcl);
            }
        }
    }
}
