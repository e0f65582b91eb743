//! Bundles of a create request: versions in the API's own spelling and options under the API's
//! keys (see the module docs of [`super`] for the rules).

use serde_json::{Map, Value};

use super::{req_str, Bundle, Errors};

/// Parses `bundles`. Returns an empty list when any bundle is invalid (the errors are recorded),
/// so later checks that read `bundles[0]` never look at a bundle shifted into its place.
pub(super) fn parse_bundles(obj: &Map<String, Value>, errors: &mut Errors) -> Vec<Bundle> {
    let items = match obj.get("bundles") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        None | Some(Value::Null) => return required_error(errors),
        Some(Value::Array(_)) => {
            errors.push((
                "bundles".to_owned(),
                "must contain at least one bundle".to_owned(),
            ));
            return Vec::new();
        }
        Some(_) => {
            errors.push(("bundles".to_owned(), "must be an array".to_owned()));
            return Vec::new();
        }
    };
    let before = errors.len();
    let bundles: Vec<Bundle> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| parse_bundle(item, &format!("bundles[{i}]"), errors))
        .collect();
    if errors.len() == before {
        bundles
    } else {
        Vec::new()
    }
}

fn required_error(errors: &mut Errors) -> Vec<Bundle> {
    errors.push(("bundles".to_owned(), "is required".to_owned()));
    Vec::new()
}

fn parse_bundle(item: &Value, path: &str, errors: &mut Errors) -> Option<Bundle> {
    let Some(b) = item.as_object() else {
        errors.push((path.to_owned(), "must be an object".to_owned()));
        return None;
    };
    let bundle = req_str(b, "bundle", &format!("{path}.bundle"), errors);
    let version = req_str(b, "version", &format!("{path}.version"), errors);
    let options = parse_options(b.get("options"), &format!("{path}.options"), errors);
    Some(Bundle {
        bundle: bundle?.to_owned(),
        version: api_version(bundle?, version?),
        options,
    })
}

/// The version as the API reports it: a bare version (dot-separated digit groups such as
/// `3.11.8`) gets the bundle's prefix and suffix; anything else is already the API's spelling.
pub(super) fn api_version(bundle: &str, version: &str) -> String {
    let bare = version
        .split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if !bare {
        return version.to_owned();
    }
    match bundle {
        "APACHE_CASSANDRA" => format!("apache-cassandra-{version}.ic1"),
        "KAFKA" => format!("apache-kafka:{version}.ic1"),
        "OPENSEARCH" => format!("opensearch:{version}.ic1"),
        "ELASTICSEARCH" => format!("opendistro-for-elasticsearch:{version}.ic1"),
        "REDIS" => format!("redis:{version}"),
        other => format!("{}:{version}", other.to_ascii_lowercase().replace('_', "-")),
    }
}

/// Options keyed by the API's names, booleans normalised to JSON booleans.
fn parse_options(value: Option<&Value>, path: &str, errors: &mut Errors) -> Value {
    let options = match value {
        None | Some(Value::Null) => return Value::Object(Map::new()),
        Some(Value::Object(options)) => options,
        Some(_) => {
            errors.push((path.to_owned(), "must be an object".to_owned()));
            return Value::Object(Map::new());
        }
    };
    let mut out = Map::new();
    for (key, value) in options {
        let key_path = format!("{path}.{key}");
        // The official provider's HCL names are snake_case; the API's never contain `_`, so a
        // snake_case key means a client forgot to map it and the option would be lost silently.
        if key.contains('_') {
            errors.push((
                key_path,
                "is not an option the API knows (API keys are camelCase, such as authnAuthz \
                 or dedicatedMasterNodes)"
                    .to_owned(),
            ));
            continue;
        }
        if let Some(v) = option_value(value, &key_path, errors) {
            out.insert(key.clone(), v);
        }
    }
    Value::Object(out)
}

/// One option value: booleans (also as "true"/"false"), numbers and strings; null counts as absent.
fn option_value(value: &Value, path: &str, errors: &mut Errors) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => Some(value.clone()),
        Value::Array(_) | Value::Object(_) => {
            errors.push((
                path.to_owned(),
                "must be a boolean, number or string".to_owned(),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_versions_get_the_api_spelling() {
        assert_eq!(
            api_version("APACHE_CASSANDRA", "3.11.8"),
            "apache-cassandra-3.11.8.ic1"
        );
        assert_eq!(api_version("KAFKA", "3.1.2"), "apache-kafka:3.1.2.ic1");
        assert_eq!(api_version("OPENSEARCH", "1.3.7"), "opensearch:1.3.7.ic1");
        assert_eq!(
            api_version("ELASTICSEARCH", "1.13.3"),
            "opendistro-for-elasticsearch:1.13.3.ic1"
        );
        assert_eq!(api_version("REDIS", "6.0.9"), "redis:6.0.9");
        assert_eq!(api_version("KAFKA_CONNECT", "2.7.1"), "kafka-connect:2.7.1");
        assert_eq!(api_version("CADENCE", "7"), "cadence:7");
        for kept in [
            "apache-cassandra-3.11.8.ic2",
            "redis:6.0.9",
            "3..1",
            "3.1-rc1",
        ] {
            assert_eq!(api_version("APACHE_CASSANDRA", kept), kept);
        }
    }

    #[test]
    fn options_are_normalised_and_snake_case_rejected() {
        let mut errors = Errors::new();
        let opts = json!({"authnAuthz": "TRUE", "numberPartitions": 3, "masterNodeSize": "m",
                          "aws.secret.access.key": "k", "gone": null});
        let out = parse_options(Some(&opts), "bundles[0].options", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            out,
            json!({"authnAuthz": true, "numberPartitions": 3, "masterNodeSize": "m",
                   "aws.secret.access.key": "k"})
        );
        let bad = json!({"auth_n_authz": true, "tags": ["x"]});
        parse_options(Some(&bad), "bundles[1].options", &mut errors);
        let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["bundles[1].options.auth_n_authz", "bundles[1].options.tags"]
        );
    }
}
