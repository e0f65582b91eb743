//! The bridge between values and a resource's model struct, through serde.
//!
//! Null and unknown attributes are left out of the JSON object rather than written as null, so a
//! model with `#[serde(default)]` fills them with its defaults: an imported stub that holds only
//! an `id` still decodes. Numbers cross exactly or not at all, and a model field that the schema
//! does not have is an error, not a silently dropped value ([`check_model`] proves every
//! resource's model against its schema).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;

use super::diagnostics::Diagnostic;
use super::{Number, Type, Value};

pub fn from_value<M: DeserializeOwned>(v: &Value) -> Result<M, Diagnostic> {
    let json = to_json(v).map_err(|e| {
        Diagnostic::error(
            "Provider could not read the resource's values",
            format!("This provider cannot hold the value exactly: {e}"),
        )
    })?;
    serde_json::from_value(json).map_err(|e| {
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

/// Unknown values (computed attributes still to be decided) are left out like nulls: the
/// model sees "not known here" as its field's default, and whatever it returns for them is
/// what the API said.
fn to_json(v: &Value) -> Result<Json, String> {
    Ok(match v {
        Value::Null | Value::Unknown => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_to_json(n)?,
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Map(fields) | Value::Object(fields) => Json::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null() && v.is_known())
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => to_json(other.concrete())?,
    })
}

/// Integers as integers; anything else only when a 64-bit float holds it exactly.
fn number_to_json(n: &Number) -> Result<Json, String> {
    if let Some(i) = n.as_i64() {
        return Ok(Json::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Json::from(u));
    }
    let f = n.as_f64();
    match (Number::from_f64(f), serde_json::Number::from_f64(f)) {
        (Some(back), Some(json)) if back == *n => Ok(Json::Number(json)),
        _ => Err(format!(
            "the number {n} does not fit a 64-bit integer or float exactly"
        )),
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
            if let Some(stray) = obj.keys().find(|k| !attrs.contains_key(k.as_str())) {
                return Err(format!(
                    "the model has a field {stray:?} that the schema does not"
                ));
            }
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

/// Proves a model struct against its schema type, attribute by attribute: a value with every
/// attribute set (lists and maps with one element) must come back unchanged through the model.
/// A misspelled or missing field, or a field of the wrong kind, names the attribute. `exempt`
/// lists top-level attributes the model does not hold on purpose (the `timeouts` block).
pub fn check_model<M: Serialize + DeserializeOwned>(ty: &Type, exempt: &[&str]) -> Vec<String> {
    let mut sample = sample_value(ty);
    if let Value::Object(fields) = &mut sample {
        for name in exempt {
            fields.insert(name.to_string(), Value::Null);
        }
    }
    let model: M = match from_value(&sample) {
        Ok(m) => m,
        Err(d) => return vec![format!("decoding a full value: {}", d.detail)],
    };
    let back = match to_value(&model, ty) {
        Ok(v) => v,
        Err(d) => return vec![format!("encoding the model: {}", d.detail)],
    };
    let mut problems = Vec::new();
    differences(&sample, &back, &mut String::new(), &mut problems);
    problems
}

fn sample_value(ty: &Type) -> Value {
    match ty {
        Type::String => Value::from("sample"),
        Type::Number => Value::from(7i64),
        Type::Bool => Value::Bool(true),
        Type::List(el) => Value::List(vec![sample_value(el)]),
        Type::Set(el) => Value::Set(vec![sample_value(el)]),
        Type::Map(el) => Value::map([("key", sample_value(el))]),
        Type::Object(attrs) => Value::Object(
            attrs
                .iter()
                .map(|(k, t)| (k.clone(), sample_value(t)))
                .collect(),
        ),
        Type::Tuple(items) => Value::Tuple(items.iter().map(sample_value).collect()),
        Type::Dynamic => Value::Null,
    }
}

fn differences(want: &Value, got: &Value, at: &mut String, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(k);
                differences(wv, g.get(k).unwrap_or(&Value::Null), at, out);
                at.truncate(len);
            }
        }
        (Value::List(w), Value::List(g)) | (Value::Set(w), Value::Set(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                differences(wv, gv, at, out);
                at.truncate(len);
            }
        }
        (w, g) if w == g => {}
        (_, g) => out.push(format!(
            "{at}: the model does not hold it (it came back as {})",
            if g.is_null() {
                "null".to_string()
            } else {
                format!("{g:?}")
            }
        )),
    }
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
    fn misspelled_fields_fail_the_model_check() {
        assert_eq!(check_model::<M>(&ty(), &["timeouts"]), Vec::<String>::new());
        #[derive(Serialize, Deserialize, Default)]
        #[serde(default)]
        struct Typo {
            id: Option<String>,
            nmae: String,
        }
        let ty = Type::object([("id", Type::String), ("name", Type::String)]);
        let problems = check_model::<Typo>(&ty, &[]);
        assert!(problems.iter().any(|p| p.contains("nmae")), "{problems:?}");
    }

    #[test]
    fn numbers_cross_exactly_or_not_at_all() {
        let big: Number = "123456789012345678901234567890".parse().unwrap();
        let v = Value::object([("count", Value::Number(big))]);
        assert!(from_value::<M>(&v).is_err());
        let half: Number = "0.5".parse().unwrap();
        let j = to_json(&Value::Number(half)).unwrap();
        assert_eq!(j, serde_json::json!(0.5));
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
