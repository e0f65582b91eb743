//! The bridge between values and a resource's model struct, through serde.
//!
//! Null and unknown attributes are left out of the JSON object rather than written as null, so a
//! model with `#[serde(default)]` fills them with its defaults: an imported stub that holds only
//! an `id` still decodes.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use super::diagnostics::Diagnostic;
use super::{Number, Type, Value};

pub fn from_value<M: DeserializeOwned>(v: &Value) -> Result<M, Diagnostic> {
    serde_json::from_value(to_json(v)).map_err(|e| {
        Diagnostic::error(
            "Provider could not read the resource's values",
            format!("This is a bug in the provider: {e}"),
        )
    })
}

pub fn to_value<M: Serialize>(m: &M, ty: &Type) -> Result<Value, Diagnostic> {
    let json = serde_json::to_value(m).map_err(|e| {
        Diagnostic::error(
            "Provider could not encode the resource's values",
            format!("This is a bug in the provider: {e}"),
        )
    })?;
    value_from_json(&json, ty).map_err(|e| {
        Diagnostic::error(
            "Provider produced a value of the wrong type",
            format!("This is a bug in the provider: {e}"),
        )
    })
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Unknown => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_to_json(n),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
        Value::Map(fields) | Value::Object(fields) => Json::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null() && v.is_known())
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        other => to_json(other.concrete()),
    }
}

fn number_to_json(n: &Number) -> Json {
    if let Some(i) = n.as_i64() {
        Json::from(i)
    } else if let Some(u) = n.as_u64() {
        Json::from(u)
    } else {
        serde_json::Number::from_f64(n.as_f64())
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

/// Reads serde's JSON back as a value of type `ty`; missing object attributes become null.
fn value_from_json(j: &Json, ty: &Type) -> Result<Value, String> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = || format!("expected {}, got {j}", ty.to_json());
    Ok(match ty {
        Type::String => match j {
            Json::String(s) => Value::String(s.clone()),
            Json::Number(n) => Value::String(n.to_string()),
            Json::Bool(b) => Value::String(b.to_string()),
            _ => return Err(mismatch()),
        },
        Type::Bool => Value::Bool(j.as_bool().ok_or_else(mismatch)?),
        Type::Number => match j {
            Json::Number(n) => {
                Value::Number(n.to_string().parse::<Number>().map_err(|e| e.to_string())?)
            }
            _ => return Err(mismatch()),
        },
        Type::List(el) | Type::Set(el) => {
            let items = j
                .as_array()
                .ok_or_else(mismatch)?
                .iter()
                .map(|i| value_from_json(i, el))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::List(_)) {
                Value::List(items)
            } else {
                Value::Set(items)
            }
        }
        Type::Map(el) => Value::Map(
            j.as_object()
                .ok_or_else(mismatch)?
                .iter()
                .map(|(k, v)| Ok((k.clone(), value_from_json(v, el)?)))
                .collect::<Result<BTreeMap<_, _>, String>>()?,
        ),
        Type::Object(attrs) => {
            let obj = j.as_object().ok_or_else(mismatch)?;
            let mut out = BTreeMap::new();
            for (name, aty) in attrs {
                let v = match obj.get(name) {
                    Some(v) => value_from_json(v, aty).map_err(|e| format!("{name}: {e}"))?,
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            Value::Object(out)
        }
        Type::Tuple(_) | Type::Dynamic => {
            return Err(format!("models cannot hold {}", ty.to_json()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct M {
        id: Option<String>,
        name: String,
        count: i64,
        tags: Option<BTreeMap<String, String>>,
        items: Vec<Item>,
    }

    #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct Item {
        k: String,
    }

    fn ty() -> Type {
        Type::object([
            ("id", Type::String),
            ("name", Type::String),
            ("count", Type::Number),
            ("tags", Type::map(Type::String)),
            ("items", Type::list(Type::object([("k", Type::String)]))),
            ("timeouts", Type::object([("create", Type::String)])),
        ])
    }

    #[test]
    fn stub_with_only_id_decodes() {
        let v = Value::object([
            ("id", Value::from("x")),
            ("name", Value::Null),
            ("count", Value::Unknown),
        ]);
        let m: M = from_value(&v).unwrap();
        assert_eq!(m.id.as_deref(), Some("x"));
        assert_eq!(m.name, "");
    }

    #[test]
    fn round_trip_keeps_nulls_and_numbers() {
        let m = M {
            id: None,
            name: "n".into(),
            count: 3,
            tags: None,
            items: vec![Item { k: "a".into() }],
        };
        let v = to_value(&m, &ty()).unwrap();
        assert_eq!(v.get("tags"), Some(&Value::Null));
        assert_eq!(v.get("timeouts"), Some(&Value::Null));
        assert_eq!(v.get("count").and_then(|c| c.as_i64()), Some(3));
        let back: M = from_value(&v).unwrap();
        assert_eq!(back, m);
    }
}
