//! Tolerant serde field decoders for vendor responses.
//!
//! Vendor APIs send numbers and booleans as strings in some versions and not others
//! (Instaclustr counts, Redis `uid`, CSS statuses). A read must not fail because a field changed
//! type, so these decoders accept either form and turn anything unusable into `None` instead of
//! an error. Use them with `#[serde(default, deserialize_with = "…")]` so a missing field is
//! `None` too.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, or a number/bool rendered as one.
pub fn opt_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    })
}

/// A string, or the first string of an array: some APIs send one address as `["10.0.0.1"]`.
pub fn opt_string_or_first<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        Value::Array(items) => items.into_iter().find_map(|v| match v {
            Value::String(text) => Some(text),
            _ => None,
        }),
        _ => None,
    })
}

/// An unsigned integer from a JSON number or a numeric string.
pub fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(to_u64(&Value::deserialize(deserializer)?))
}

/// Like [`opt_u64`], for counts that fit in `u32`.
pub fn opt_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    Ok(to_u64(&Value::deserialize(deserializer)?).and_then(|n| u32::try_from(n).ok()))
}

/// A signed integer from a JSON number or a numeric string.
pub fn opt_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(number) => number.as_i64().or_else(|| float_to_int(number.as_f64())),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}

/// A boolean from `true`/`false`, `"true"`/`"false"` (any case), or 1/0 in either form.
pub fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(flag) => Some(flag),
        Value::Number(number) => match number.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A list whose `null` or non-list form means "empty", and whose undecodable elements are
/// skipped rather than failing the whole response.
pub fn vec_or_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// An optional nested value that is dropped (rather than failing the response) when it does not
/// have the expected shape.
pub fn opt_lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => None,
        other => serde_json::from_value(other).ok(),
    })
}

/// A JSON object, or `None` for anything else.
pub fn opt_object<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Map<String, Value>>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Object(map) => Some(map),
        _ => None,
    })
}

/// A name given either as a bare string or as an object with a `name` field (APIs echo an
/// enum-like value in both shapes, e.g. a cloud provider).
pub fn opt_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(text),
        Value::Object(map) => match map.get("name") {
            Some(Value::String(name)) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    })
}

fn to_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number
            .as_u64()
            .or_else(|| float_to_int(number.as_f64()).and_then(|n| u64::try_from(n).ok())),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// `3.0` → 3; `3.5` → None (a fractional count is not a count).
fn float_to_int(value: Option<f64>) -> Option<i64> {
    let value = value?;
    (value.fract() == 0.0 && value.abs() < 9.0e15).then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Default, Debug)]
    struct Sample {
        #[serde(default, deserialize_with = "opt_u32")]
        count: Option<u32>,
        #[serde(default, deserialize_with = "opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "opt_string")]
        uid: Option<String>,
        #[serde(default, deserialize_with = "opt_i64")]
        delta: Option<i64>,
        #[serde(default, deserialize_with = "vec_or_empty")]
        items: Vec<u8>,
        #[serde(default, deserialize_with = "opt_name")]
        provider: Option<String>,
    }

    fn decode(json: &str) -> Sample {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn accepts_both_encodings() {
        let s = decode(
            r#"{"count":"3","flag":"TRUE","uid":7,"delta":"-2","items":[1,"x",2],"provider":{"name":"AWS_VPC"}}"#,
        );
        assert_eq!(s.count, Some(3));
        assert_eq!(s.flag, Some(true));
        assert_eq!(s.uid.as_deref(), Some("7"));
        assert_eq!(s.delta, Some(-2));
        assert_eq!(s.items, vec![1, 2]);
        assert_eq!(s.provider.as_deref(), Some("AWS_VPC"));

        let s = decode(r#"{"count":4.0,"flag":false,"uid":"a","items":null,"provider":"GCP"}"#);
        assert_eq!(s.count, Some(4));
        assert_eq!(s.flag, Some(false));
        assert!(s.items.is_empty());
        assert_eq!(s.provider.as_deref(), Some("GCP"));
    }

    #[test]
    fn junk_becomes_none_and_missing_is_none() {
        let s = decode(r#"{"count":"many","flag":"maybe","uid":null,"delta":[],"items":{}}"#);
        assert_eq!(s.count, None);
        assert_eq!(s.flag, None);
        assert_eq!(s.uid, None);
        assert_eq!(s.delta, None);
        let s = decode("{}");
        assert!(s.count.is_none() && s.flag.is_none() && s.items.is_empty());
    }
}
