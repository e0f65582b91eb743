//! When two spellings of an `instaclustr_cluster` argument mean the same to the API: versions
//! by their semantic version (as the official provider compares them), bundle options by their
//! API names and types, `{}` as no map, and no rack allocation as the API's default.

use std::collections::BTreeMap;

use crate::framework::Value;

use super::options;

/// What the API allocates when a create request has no `rackAllocation`.
pub const DEFAULT_RACKS: (i64, i64) = (3, 1);

/// A known map of strings as Rust's map; `None` for null, unknown or non-string values.
pub fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    v.entries()?
        .iter()
        .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

/// `tags = {}` is no tags.
pub fn same_map(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| v.is_null() || v.entries().is_some_and(|m| m.is_empty());
    (empty(a) && empty(b)) || a == b
}

/// The allocation a `rack_allocation` map asks for; null is the API's default.
pub fn racks(v: &Value) -> Option<(i64, i64)> {
    if v.is_null() {
        return Some(DEFAULT_RACKS);
    }
    let number = |key: &str| v.get(key)?.as_str()?.trim().parse::<i64>().ok();
    Some((number("number_of_racks")?, number("nodes_per_rack")?))
}

/// `{ number_of_racks = "3" }` and `{ number_of_racks = 3 }` (written as a number, stored as
/// text), and no allocation at all versus the API's default 3 × 1.
pub fn same_racks(a: &Value, b: &Value) -> bool {
    racks(a).is_some() && racks(a) == racks(b)
}

/// The semantic version inside a bundle version, as the official provider finds it: the first
/// run of two or three dot-separated numbers (`3.11.8` in `apache-cassandra-3.11.8.ic2`).
pub fn semantic_version(v: &str) -> Option<&str> {
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut parts = 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
            let more =
                end + 1 < bytes.len() && bytes[end] == b'.' && bytes[end + 1].is_ascii_digit();
            if more && parts < 3 {
                parts += 1;
                end += 1;
            }
        }
        if parts > 1 {
            return Some(&v[start..end]);
        }
        i = end;
    }
    None
}

pub fn same_version(a: &str, b: &str) -> bool {
    a == b || semantic_version(a).is_some_and(|v| Some(v) == semantic_version(b))
}

/// One bundle block against another: same bundle, same semantic version, options that mean
/// the same; `ignore` lists API option names left out of the comparison.
pub fn same_bundle(a: &Value, b: &Value, ignore: &[&str]) -> bool {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let opts = |v: &Value| {
        let field = v.get("options").unwrap_or(&Value::Null);
        let map = if field.is_null() {
            Some(BTreeMap::new())
        } else {
            string_map(field)
        };
        map.and_then(|m| options::meaning(Some(&m))).map(|mut m| {
            m.retain(|k, _| !ignore.contains(&k.as_str()));
            m
        })
    };
    let versions = match (text(a, "version"), text(b, "version")) {
        (Some(x), Some(y)) => same_version(&x, &y),
        _ => false,
    };
    text(a, "bundle").is_some()
        && text(a, "bundle") == text(b, "bundle")
        && versions
        && opts(a).is_some()
        && opts(a) == opts(b)
}

/// The bundle lists, element by element.
pub fn same_bundles(a: &Value, b: &Value) -> bool {
    match (a.elements(), b.elements()) {
        (Some(x), Some(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_bundle(p, q, &[]))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(version: &str, options: &[(&str, &str)]) -> Value {
        let options = if options.is_empty() {
            Value::Null
        } else {
            Value::map(
                options
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::from(*v))),
            )
        };
        Value::list([Value::object([
            ("bundle", Value::from("APACHE_CASSANDRA")),
            ("version", Value::from(version)),
            ("options", options),
        ])])
    }

    #[test]
    fn versions_compare_as_the_official_provider_compares_them() {
        assert_eq!(
            semantic_version("apache-cassandra-3.11.8.ic2"),
            Some("3.11.8")
        );
        assert_eq!(
            semantic_version("apache-cassandra-3.11.8.2"),
            Some("3.11.8")
        );
        assert_eq!(
            semantic_version("opendistro-for-elasticsearch:1.11.0.ic1"),
            Some("1.11.0")
        );
        assert_eq!(semantic_version("2.7"), Some("2.7"));
        assert_eq!(semantic_version("v2"), None);
        assert!(same_bundles(
            &bundle("4.0.1", &[]),
            &bundle("apache-cassandra-4.0.1.ic4", &[])
        ));
        assert!(!same_bundles(
            &bundle("4.0.1", &[]),
            &bundle("apache-cassandra-4.0.10", &[])
        ));
        assert!(!same_bundles(&bundle("4.0.1", &[]), &bundle("4.1.3", &[])));
    }

    #[test]
    fn options_compare_by_their_meaning() {
        let official = bundle(
            "4.0.1",
            &[("auth_n_authz", "true"), ("lucene_enabled", "false")],
        );
        let api = bundle("4.0.1", &[("authnAuthz", "true")]);
        assert!(same_bundles(&official, &api));
        assert!(!same_bundles(&bundle("4.0.1", &[]), &api));
        let empty = Value::map(Vec::<(String, Value)>::new());
        assert!(same_map(&Value::Null, &empty));
    }

    #[test]
    fn rack_counts_compare_as_numbers_and_unset_is_the_default() {
        let r = |n: &str, p: &str| {
            Value::map([
                ("number_of_racks".to_string(), Value::from(n)),
                ("nodes_per_rack".to_string(), Value::from(p)),
            ])
        };
        assert!(same_racks(&Value::Null, &r("3", "1")));
        assert!(same_racks(&r("03", "1"), &r("3", "1")));
        assert!(!same_racks(&Value::Null, &r("2", "1")));
    }
}
