//! cty's JSON value encoding: Terraform's state format, the `raw_state.json` handed to
//! UpgradeResourceState, and the optional JSON form of `DynamicValue`.
//!
//! Unlike msgpack, JSON cannot carry unknowns; objects may omit attributes (read as null); a
//! value at a `dynamic` position is `{"value": ..., "type": ...}`. Decoding is as forgiving as
//! cty's: primitives given as strings (`"12"`, `"true"`) are converted, since state written by
//! older SDKs contains them.

use std::collections::BTreeMap;

use super::codec_error::{concrete_type, CodecError, PathStep};
use super::json_text::{self, Json};
use super::types::Type;
use super::value::{Number, Value};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Drop object attributes the type does not know instead of failing. State upgrades need
    /// this when a schema version removed attributes (terraform-plugin-go offers the same).
    pub ignore_undefined_attributes: bool,
}

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode_with(bytes, ty, DecodeOptions::default())
}

pub fn decode_with(bytes: &[u8], ty: &Type, options: DecodeOptions) -> Result<Value, CodecError> {
    let json = json_text::parse(bytes).map_err(|msg| CodecError::malformed(&[], msg))?;
    Decoder { options }.value(&json, ty, &mut Vec::new())
}

/// Fails on unknown values, which only msgpack can represent.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty, &mut Vec::new())?;
    Ok(out)
}

struct Decoder {
    options: DecodeOptions,
}

impl Decoder {
    fn value(&self, json: &Json, ty: &Type, path: &mut Vec<PathStep>) -> Result<Value, CodecError> {
        if let Json::Null = json {
            return Ok(Value::Null);
        }
        let mismatch = |path: &[PathStep]| Err(CodecError::mismatch(path, ty, json.kind()));
        match (ty, json) {
            (Type::Dynamic, Json::Object(members)) => self.dynamic(members, path),
            (Type::Dynamic, _) => Err(CodecError::mismatch(
                path,
                "dynamic value as {\"value\":...,\"type\":...}",
                json.kind(),
            )),
            (Type::String, Json::String(s)) => Ok(Value::String(s.clone())),
            (Type::String, Json::Number(text)) => Ok(Value::String(text.clone())),
            (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::Number, Json::Number(text) | Json::String(text)) => {
                text.parse::<Number>().map(Value::Number).map_err(|_| {
                    CodecError::malformed(path, format!("{text:?} is not a valid number"))
                })
            }
            (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
            (Type::Bool, Json::String(s)) => match s.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(CodecError::malformed(
                    path,
                    format!("{s:?} is not a valid bool"),
                )),
            },
            (Type::List(ety) | Type::Set(ety), Json::Array(items)) => {
                let items = self.elements(items.iter().map(|item| (item, &**ety)), path)?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(items)
                } else {
                    Value::List(items)
                })
            }
            (Type::Tuple(etys), Json::Array(items)) => {
                if items.len() != etys.len() {
                    return Err(CodecError::mismatch(
                        path,
                        format!("tuple of {} elements", etys.len()),
                        format!("array of {}", items.len()),
                    ));
                }
                self.elements(items.iter().zip(etys), path)
                    .map(Value::Tuple)
            }
            (Type::Map(ety), Json::Object(members)) => {
                let mut entries = BTreeMap::new();
                for (key, item) in members {
                    path.push(PathStep::Key(key.clone()));
                    let v = self.value(item, ety, path)?;
                    if entries.insert(key.clone(), v).is_some() {
                        return Err(CodecError::malformed(path, "duplicate map key"));
                    }
                    path.pop();
                }
                Ok(Value::Map(entries))
            }
            (Type::Object(atys), Json::Object(members)) => {
                let mut attrs = BTreeMap::new();
                for (name, item) in members {
                    path.push(PathStep::Attr(name.clone()));
                    let Some(aty) = atys.get(name) else {
                        if self.options.ignore_undefined_attributes {
                            path.pop();
                            continue;
                        }
                        return Err(CodecError::malformed(path, "unsupported attribute"));
                    };
                    let v = self.value(item, aty, path)?;
                    if attrs.insert(name.clone(), v).is_some() {
                        return Err(CodecError::malformed(path, "duplicate attribute"));
                    }
                    path.pop();
                }
                for name in atys.keys() {
                    attrs.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(attrs))
            }
            _ => mismatch(path),
        }
    }

    fn elements<'a>(
        &self,
        items: impl Iterator<Item = (&'a Json, &'a Type)>,
        path: &mut Vec<PathStep>,
    ) -> Result<Vec<Value>, CodecError> {
        let mut out = Vec::new();
        for (i, (item, ety)) in items.enumerate() {
            path.push(PathStep::Index(i as u64));
            out.push(self.value(item, ety, path)?);
            path.pop();
        }
        Ok(out)
    }

    fn dynamic(
        &self,
        members: &[(String, Json)],
        path: &mut Vec<PathStep>,
    ) -> Result<Value, CodecError> {
        let mut ty = None;
        let mut body = None;
        for (key, member) in members {
            let slot = match key.as_str() {
                "type" => ty.is_some(),
                "value" => body.is_some(),
                other => {
                    return Err(CodecError::malformed(
                        path,
                        format!("invalid key {other:?} in dynamically-typed value"),
                    ))
                }
            };
            if slot {
                return Err(CodecError::malformed(
                    path,
                    format!("duplicate {key:?} in dynamic value"),
                ));
            }
            if key == "type" {
                ty = Some(Type::from_json(&member.to_serde())?);
            } else {
                body = Some(member);
            }
        }
        let Some(ty) = ty else {
            return Err(CodecError::malformed(
                path,
                "missing type in dynamically-typed value",
            ));
        };
        let Some(body) = body else {
            return Err(CodecError::malformed(
                path,
                "missing value in dynamically-typed value",
            ));
        };
        if ty == Type::Dynamic {
            return Err(CodecError::malformed(
                path,
                "a dynamic value's own type cannot be dynamic",
            ));
        }
        let value = self.value(body, &ty, path)?;
        Ok(Value::dynamic(ty, value))
    }
}

fn encode_value(
    out: &mut Vec<u8>,
    value: &Value,
    ty: &Type,
    path: &mut Vec<PathStep>,
) -> Result<(), CodecError> {
    if *ty == Type::Dynamic {
        return encode_dynamic(out, value, path);
    }
    match (value, ty) {
        (Value::Unknown, _) => {
            return Err(CodecError::malformed(
                path,
                "unknown values cannot be written as JSON",
            ))
        }
        (Value::Null, _) => out.extend_from_slice(b"null"),
        (Value::Dynamic { ty: inner, value }, _) => {
            if inner != ty {
                return Err(CodecError::mismatch(
                    path,
                    ty,
                    format!("dynamic value of type {inner}"),
                ));
            }
            encode_value(out, value, ty, path)?;
        }
        (Value::Bool(b), Type::Bool) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        (Value::String(s), Type::String) => json_text::write_string(out, s),
        (Value::Number(n), Type::Number) => {
            if !n.is_finite() {
                return Err(CodecError::malformed(
                    path,
                    "infinity cannot be written as JSON",
                ));
            }
            out.extend_from_slice(n.to_string().as_bytes());
        }
        (Value::List(items), Type::List(ety)) | (Value::Set(items), Type::Set(ety)) => {
            let types = std::iter::repeat(&**ety);
            encode_elements(out, items.iter().zip(types), path)?;
        }
        (Value::Tuple(items), Type::Tuple(etys)) => {
            if items.len() != etys.len() {
                return Err(CodecError::mismatch(
                    path,
                    format!("tuple of {} elements", etys.len()),
                    format!("tuple of {} elements", items.len()),
                ));
            }
            encode_elements(out, items.iter().zip(etys), path)?;
        }
        (Value::Map(entries), Type::Map(ety)) => {
            out.push(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                path.push(PathStep::Key(key.clone()));
                json_text::write_string(out, key);
                out.push(b':');
                encode_value(out, item, ety, path)?;
                path.pop();
            }
            out.push(b'}');
        }
        (Value::Object(attrs), Type::Object(atys)) => {
            if let Some(extra) = attrs.keys().find(|k| !atys.contains_key(*k)) {
                path.push(PathStep::Attr(extra.clone()));
                return Err(CodecError::malformed(
                    path,
                    "attribute is not in the schema type",
                ));
            }
            out.push(b'{');
            for (i, (name, aty)) in atys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                path.push(PathStep::Attr(name.clone()));
                json_text::write_string(out, name);
                out.push(b':');
                encode_value(out, attrs.get(name).unwrap_or(&Value::Null), aty, path)?;
                path.pop();
            }
            out.push(b'}');
        }
        _ => return Err(CodecError::mismatch(path, ty, value.kind())),
    }
    Ok(())
}

fn encode_elements<'a>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = (&'a Value, &'a Type)>,
    path: &mut Vec<PathStep>,
) -> Result<(), CodecError> {
    out.push(b'[');
    for (i, (item, ety)) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        path.push(PathStep::Index(i as u64));
        encode_value(out, item, ety, path)?;
        path.pop();
    }
    out.push(b']');
    Ok(())
}

/// cty writes the value before its type: `{"value":...,"type":...}`.
fn encode_dynamic(
    out: &mut Vec<u8>,
    value: &Value,
    path: &mut Vec<PathStep>,
) -> Result<(), CodecError> {
    let (ty, inner) = match value {
        Value::Null => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        Value::Unknown => {
            return Err(CodecError::malformed(
                path,
                "unknown values cannot be written as JSON",
            ))
        }
        known => concrete_type(known, path)?,
    };
    out.extend_from_slice(b"{\"value\":");
    encode_value(out, inner, &ty, path)?;
    out.extend_from_slice(b",\"type\":");
    out.extend_from_slice(&ty.to_json_bytes());
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_ty() -> Type {
        Type::object([("a", Type::String), ("b", Type::String)])
    }

    fn round_trip(value: Value, ty: &Type) {
        let bytes = encode(&value, ty).unwrap();
        let back = decode(&bytes, ty).unwrap();
        assert_eq!(back, value, "via {}", String::from_utf8_lossy(&bytes));
        assert_eq!(encode(&back, ty).unwrap(), bytes);
    }

    fn text(v: &Value, ty: &Type) -> String {
        String::from_utf8(encode(v, ty).unwrap()).unwrap()
    }

    #[test]
    fn objects_may_omit_attributes() {
        let v = decode(br#"{"a":"x"}"#, &obj_ty()).unwrap();
        assert_eq!(v, Value::object([("a", "x".into()), ("b", Value::Null)]));
        assert_eq!(text(&v, &obj_ty()), r#"{"a":"x","b":null}"#);
        assert_eq!(decode(b"null", &obj_ty()).unwrap(), Value::Null);
        assert_eq!(
            decode(b" {} ", &obj_ty()).unwrap(),
            Value::object([("a", Value::Null), ("b", Value::Null)])
        );
    }

    #[test]
    fn numbers_stay_exact() {
        for (input, output) in [
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("18446744073709551615", "18446744073709551615"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("9223372036854775807", "9223372036854775807"),
            ("0.1", "0.1"),
            ("1.5e2", "150"),
            ("-2.5E-3", "-0.0025"),
            ("3.0", "3"),
        ] {
            let v = decode(input.as_bytes(), &Type::Number).unwrap();
            assert_eq!(text(&v, &Type::Number), output, "{input}");
            round_trip(v, &Type::Number);
        }
        assert_eq!(
            decode(b"9223372036854775807", &Type::Number)
                .unwrap()
                .as_i64(),
            Some(i64::MAX)
        );
        assert_eq!(
            decode(b"18446744073709551615", &Type::Number)
                .unwrap()
                .as_u64(),
            Some(u64::MAX)
        );
        let inf = Value::Number(Number::from_f64(f64::INFINITY).unwrap());
        assert!(encode(&inf, &Type::Number).is_err());
    }

    #[test]
    fn primitives_convert_like_cty() {
        assert_eq!(decode(br#""12""#, &Type::Number).unwrap(), Value::from(12));
        assert_eq!(
            decode(br#""true""#, &Type::Bool).unwrap(),
            Value::from(true)
        );
        assert_eq!(decode(br#""0""#, &Type::Bool).unwrap(), Value::from(false));
        assert_eq!(
            decode(b"12.50", &Type::String).unwrap(),
            Value::from("12.50")
        );
        assert_eq!(
            decode(b"false", &Type::String).unwrap(),
            Value::from("false")
        );
        assert!(decode(br#""twelve""#, &Type::Number).is_err());
        assert!(decode(br#""yes""#, &Type::Bool).is_err());
        assert!(decode(b"1", &Type::Bool).is_err());
        assert!(decode(b"[]", &Type::String).is_err());
    }

    #[test]
    fn every_type_round_trips() {
        round_trip("he said \"hi\"\n<&>".into(), &Type::String);
        round_trip(true.into(), &Type::Bool);
        round_trip(Value::Null, &Type::Number);
        round_trip(
            Value::list(["a".into(), Value::Null]),
            &Type::list(Type::String),
        );
        round_trip(Value::list([]), &Type::list(Type::String));
        round_trip(Value::set([1.into(), 2.into()]), &Type::set(Type::Number));
        round_trip(
            Value::map([("x", 1.into()), ("y", Value::Null)]),
            &Type::map(Type::Number),
        );
        round_trip(
            Value::tuple(["a".into(), 1.into(), true.into()]),
            &Type::tuple([Type::String, Type::Number, Type::Bool]),
        );
        let nested_ty = Type::object([
            ("name", Type::String),
            (
                "bundle",
                Type::list(Type::object([
                    ("version", Type::String),
                    ("opts", Type::map(Type::Bool)),
                ])),
            ),
        ]);
        round_trip(
            Value::object([
                ("name", "c1".into()),
                (
                    "bundle",
                    Value::list([Value::object([
                        ("version", "4.1".into()),
                        ("opts", Value::map([("tls", true.into())])),
                    ])]),
                ),
            ]),
            &nested_ty,
        );
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::dynamic(Type::String, "x".into());
        assert_eq!(text(&v, &Type::Dynamic), r#"{"value":"x","type":"string"}"#);
        assert_eq!(
            decode(br#"{"type":"string","value":"x"}"#, &Type::Dynamic).unwrap(),
            v
        );
        assert_eq!(
            text(&Value::from("x"), &Type::Dynamic),
            r#"{"value":"x","type":"string"}"#
        );
        assert_eq!(decode(b"null", &Type::Dynamic).unwrap(), Value::Null);
        round_trip(Value::Null, &Type::Dynamic);
        round_trip(Value::dynamic(Type::String, Value::Null), &Type::Dynamic);
        let complex = Type::object([("a", Type::list(Type::Number)), ("b", Type::Dynamic)]);
        round_trip(
            Value::dynamic(
                complex,
                Value::object([
                    ("a", Value::list([1.into()])),
                    ("b", Value::dynamic(Type::Bool, true.into())),
                ]),
            ),
            &Type::Dynamic,
        );
        let holder = Type::object([("any", Type::Dynamic)]);
        assert_eq!(
            decode(
                br#"{"any":{"value":["a"],"type":["set","string"]}}"#,
                &holder
            )
            .unwrap(),
            Value::object([(
                "any",
                Value::dynamic(Type::set(Type::String), Value::set(["a".into()]))
            )])
        );
        for bad in [
            &br#"{"value":"x"}"#[..],
            br#"{"type":"string"}"#,
            br#"{"type":"string","value":"x","extra":1}"#,
            br#"{"type":"strung","value":"x"}"#,
            br#"{"type":"dynamic","value":"x"}"#,
            br#"{"type":"number","value":"x"}"#,
            br#""x""#,
        ] {
            assert!(
                decode(bad, &Type::Dynamic).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn unknowns_cannot_be_written() {
        let ty = Type::object([("id", Type::String)]);
        let err = encode(&Value::object([("id", Value::Unknown)]), &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".id: unknown values cannot be written as JSON"
        );
        assert!(encode(&Value::Unknown, &Type::Dynamic).is_err());
        assert!(encode(
            &Value::dynamic(Type::String, Value::Unknown),
            &Type::Dynamic
        )
        .is_err());
    }

    #[test]
    fn errors_name_the_path() {
        let ty = Type::object([(
            "bundle",
            Type::list(Type::object([("version", Type::String)])),
        )]);
        let err = decode(br#"{"bundle":[{"version":{}}]}"#, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".bundle[0].version: expected string, found object"
        );
        let err = decode(br#"{"bundle":[],"legacy":1}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), ".legacy: unsupported attribute");
        let err = decode(br#"{"bundle":[],"bundle":[]}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), ".bundle: duplicate attribute");
        let err = decode(br#"[1,2]"#, &Type::tuple([Type::Number])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected tuple of 1 elements, found array of 2"
        );
        assert!(decode(br#"{"a":"x"} x"#, &obj_ty()).is_err());
        assert!(decode(b"", &obj_ty()).is_err());
        let err = encode(&Value::object([("a", 1.into())]), &obj_ty()).unwrap_err();
        assert_eq!(err.to_string(), ".a: expected string, found number");
    }

    #[test]
    fn undefined_attributes_can_be_ignored() {
        let ty = Type::object([("name", Type::String)]);
        let opts = DecodeOptions {
            ignore_undefined_attributes: true,
        };
        let v = decode_with(br#"{"name":"a","removed":{"deep":[1]}}"#, &ty, opts).unwrap();
        assert_eq!(v, Value::object([("name", "a".into())]));
    }

    #[test]
    fn agrees_with_msgpack() {
        let ty = Type::object([
            ("n", Type::Number),
            ("tags", Type::map(Type::String)),
            ("any", Type::Dynamic),
        ]);
        let json = br#"{"n":0.1,"tags":{"k":"v"},"any":{"value":[1,"x"],"type":["tuple",["number","string"]]}}"#;
        let v = decode(json, &ty).unwrap();
        let packed = super::super::msgpack::encode(&v, &ty).unwrap();
        assert_eq!(super::super::msgpack::decode(&packed, &ty).unwrap(), v);
    }
}
