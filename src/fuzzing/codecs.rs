//! Targets for what Terraform sends: msgpack and JSON values against schema types, the cty type
//! syntax, number texts, stored states on their way through UpgradeResourceState, and the
//! provider's private state.

use std::sync::{Arc, OnceLock};

use fastrand::Rng;

use super::shape::{self, mix};
use super::{generate, Features, Target};
use crate::framework::json::{self, DecodeOptions};
use crate::framework::json_text::{self as text, Json};
use crate::framework::private::Private;
use crate::framework::server::Server;
use crate::framework::{msgpack, CodecError, Number, PathStep, Type, Value};
use crate::vendors::{cloudbasic, css, instaclustr, redis};

/// Values above this size skip the `Value` equality check: set equality is quadratic, and the
/// byte-level fixpoint check already covers them.
const EQUALITY_LIMIT: usize = 4096;

pub(super) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "msgpack_types",
            run: msgpack_types,
            dictionary: MSGPACK_DICTIONARY,
            generate: Some(|rng| generate_msgpack(rng, synthetic_types())),
        },
        Target {
            name: "msgpack_schemas",
            run: msgpack_schemas,
            dictionary: MSGPACK_DICTIONARY,
            generate: Some(|rng| generate_msgpack(rng, schema_types())),
        },
        Target {
            name: "json_types",
            run: json_types,
            dictionary: JSON_DICTIONARY,
            generate: Some(|rng| generate_json(rng, synthetic_types())),
        },
        Target {
            name: "state_upgrade",
            run: state_upgrade,
            dictionary: JSON_DICTIONARY,
            generate: Some(generate_state),
        },
        Target {
            name: "json_text",
            run: json_text,
            dictionary: JSON_DICTIONARY,
            generate: Some(|rng| generate_json(rng, synthetic_types())),
        },
        Target {
            name: "type_json",
            run: type_json,
            dictionary: TYPE_DICTIONARY,
            generate: None,
        },
        Target {
            name: "number_text",
            run: number_text,
            dictionary: NUMBER_DICTIONARY,
            generate: None,
        },
        Target {
            name: "private_state",
            run: private_state,
            dictionary: JSON_DICTIONARY,
            generate: None,
        },
    ]
}

const MSGPACK_DICTIONARY: &[&[u8]] = &[
    // cty's unknown, and a refined unknown (ext 12) as Terraform 1.6+ writes it.
    &[0xd4, 0x00, 0x00],
    &[0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa2, 0x61, 0x62],
    // A dynamic value's header: [type JSON as bin, value].
    &[0x92, 0xc4, 0x08],
    b"\"string\"",
    b"\"number\"",
    b"\"bool\"",
    b"\"dynamic\"",
    b"[\"list\",\"dynamic\"]",
    b"[\"map\",\"string\"]",
    b"[\"object\",{\"a\":\"dynamic\"}]",
    b"[\"tuple\",[\"string\",\"dynamic\"]]",
    &[0xdc, 0xff, 0xff],
    &[0xdd, 0xff, 0xff, 0xff, 0xff],
    &[0xde, 0x00, 0x10],
    &[0xdf, 0x7f, 0xff, 0xff, 0xff],
    &[0xdb, 0xff, 0xff, 0xff, 0xff],
    &[0xcb, 0x7f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
    &[0xcb, 0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0xd3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0xa2, 0x69, 0x64],
    &[0xa8, b't', b'i', b'm', b'e', b'o', b'u', b't', b's'],
];

const JSON_DICTIONARY: &[&[u8]] = &[
    b"null",
    b"true",
    b"false",
    b"{}",
    b"[]",
    b"\"\"",
    b"{\"value\":",
    b",\"type\":",
    b"\"dynamic\"",
    b"[\"list\",\"dynamic\"]",
    b"\\u0000",
    b"\\ud800",
    b"\\udc00",
    b"\\ud83d\\ude00",
    b"\\\"",
    b"\"cluster_status\"",
    b"\"data_centre_id\"",
    b"\"cluster_provider\"",
    b"\"rack_allocation\"",
    b"\"wait_for_state\"",
    b"\"oidc_provider\"",
    b"\"import\"",
    b"\"pending\"",
    b"{\"read\":{\"unreported\":[",
];

const TYPE_DICTIONARY: &[&[u8]] = &[
    b"\"string\"",
    b"\"number\"",
    b"\"bool\"",
    b"\"dynamic\"",
    b"[\"list\",",
    b"[\"set\",",
    b"[\"map\",",
    b"[\"object\",{",
    b"[\"tuple\",[",
    b"],[\"a\"]]",
    b"\"a\":",
];

const NUMBER_DICTIONARY: &[&[u8]] = &[
    b"e",
    b"E",
    b"e+",
    b"e-",
    b".",
    b"-",
    b"+",
    b"0",
    b"00000000000000000000",
    b"99999999999",
];

/// Types that exercise every part of the codecs: each kind, nesting, and `dynamic` at every
/// kind of position.
fn synthetic_types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        vec![
            Type::String,
            Type::Number,
            Type::Bool,
            Type::Dynamic,
            Type::list(Type::String),
            Type::set(Type::Number),
            Type::map(Type::Bool),
            Type::list(Type::Dynamic),
            Type::set(Type::Dynamic),
            Type::map(Type::Dynamic),
            Type::tuple([]),
            Type::tuple([Type::String, Type::Number, Type::Dynamic]),
            Type::object::<&str>([]),
            Type::object([("a", Type::String), ("b", Type::Number), ("c", Type::Bool)]),
            Type::object([
                ("name", Type::String),
                (
                    "bundle",
                    Type::list(Type::object([
                        ("version", Type::String),
                        ("options", Type::map(Type::String)),
                    ])),
                ),
                ("zones", Type::set(Type::list(Type::Number))),
                ("any", Type::Dynamic),
                ("pair", Type::tuple([Type::String, Type::set(Type::Bool)])),
            ]),
            Type::list(Type::list(Type::list(Type::String))),
            Type::map(Type::set(Type::map(Type::Number))),
        ]
    })
}

/// One server per provider, built once: their schemas are what Terraform's values follow.
fn servers() -> &'static [Arc<Server>] {
    static SERVERS: OnceLock<Vec<Arc<Server>>> = OnceLock::new();
    SERVERS.get_or_init(|| {
        vec![
            Server::new(instaclustr::InstaclustrProvider::new()),
            Server::new(css::CssProvider::new()),
            Server::new(redis::RedisProvider::new()),
            Server::new(cloudbasic::CloudBasicProvider::new()),
        ]
    })
}

/// Every provider block, resource and data source type of the four providers.
fn schema_types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut all = Vec::new();
        for server in servers() {
            all.push(server.provider_type().clone());
            all.extend(server.resources().map(|(_, r)| r.ty().clone()));
            all.extend(server.data_sources().map(|(_, d)| d.ty().clone()));
        }
        all
    })
}

fn generate_msgpack(rng: &mut Rng, types: &[Type]) -> Vec<u8> {
    let ty = &types[rng.usize(..types.len())];
    let v = generate::value(rng, ty, true, 0);
    msgpack::encode(&v, ty).unwrap_or_default()
}

fn generate_json(rng: &mut Rng, types: &[Type]) -> Vec<u8> {
    let ty = &types[rng.usize(..types.len())];
    let v = generate::value(rng, ty, false, 0);
    json::encode(&v, ty).unwrap_or_default()
}

/// A stored state of one of the resource types, as Terraform keeps it (JSON, no unknowns).
fn generate_state(rng: &mut Rng) -> Vec<u8> {
    let resources: Vec<Type> = servers()
        .iter()
        .flat_map(|s| {
            s.resources()
                .map(|(_, r)| r.ty().clone())
                .collect::<Vec<_>>()
        })
        .collect();
    generate_json(rng, &resources)
}

/// msgpack against the synthetic types.
pub fn msgpack_types(data: &[u8], out: &mut Features) {
    msgpack_against(data, synthetic_types(), out)
}

/// msgpack against the real provider, resource and data source types.
pub fn msgpack_schemas(data: &[u8], out: &mut Features) {
    msgpack_against(data, schema_types(), out)
}

fn msgpack_against(data: &[u8], types: &[Type], out: &mut Features) {
    for (i, ty) in types.iter().enumerate() {
        out.add(i as u64, check_msgpack(data, ty));
    }
}

/// Decodes; a value that decodes must conform to the type, encode again, and reach a fixpoint:
/// encode(decode(encode(v))) == encode(v). Where JSON can hold it, the JSON codec must agree.
fn check_msgpack(data: &[u8], ty: &Type) -> u64 {
    let value = match msgpack::decode(data, ty) {
        Ok(v) => v,
        Err(e) => return codec_shape(&e),
    };
    assert!(value.conforms(ty), "decoded value does not conform to {ty}");
    let once = msgpack::encode(&value, ty)
        .unwrap_or_else(|e| panic!("a decoded value does not encode again: {e}"));
    let back = msgpack::decode(&once, ty)
        .unwrap_or_else(|e| panic!("re-encoded msgpack does not decode: {e}"));
    let twice = msgpack::encode(&back, ty)
        .unwrap_or_else(|e| panic!("a re-decoded value does not encode: {e}"));
    assert_eq!(once, twice, "msgpack encoding is not a fixpoint");
    if data.len() <= EQUALITY_LIMIT {
        assert!(back == value, "msgpack round trip changed the value");
    }
    // JSON refuses unknowns and infinities; anything else must cross over and back. Compared
    // as JSON text: a float is written as its shortest text (as cty's `Text('f', -1)` does),
    // which reads back as that exact decimal, e.g. 2^64 as 18446744073709552000.
    if let Ok(text) = json::encode(&value, ty) {
        let via_json = json::decode(&text, ty)
            .unwrap_or_else(|e| panic!("JSON written from a msgpack value does not decode: {e}"));
        msgpack::encode(&via_json, ty)
            .unwrap_or_else(|e| panic!("a value read from JSON does not encode as msgpack: {e}"));
        let again = json::encode(&via_json, ty)
            .unwrap_or_else(|e| panic!("a value read from JSON does not encode again: {e}"));
        assert_eq!(
            again, text,
            "JSON written from a msgpack value is not a fixpoint"
        );
    }
    shape::of_debug(&kinds(&value))
}

/// JSON against the synthetic types, strict and forgiving.
pub fn json_types(data: &[u8], out: &mut Features) {
    for (i, ty) in synthetic_types().iter().enumerate() {
        for ignore in [false, true] {
            let options = DecodeOptions {
                ignore_undefined_attributes: ignore,
            };
            out.add(
                (i as u64) << 1 | u64::from(ignore),
                check_json(data, ty, options),
            );
        }
    }
}

/// A value read from JSON encodes as JSON again (it has no unknowns, and numbers read from
/// text are finite), reaches a fixpoint, and encodes as msgpack.
fn check_json(data: &[u8], ty: &Type, options: DecodeOptions) -> u64 {
    let value = match json::decode_with(data, ty, options) {
        Ok(v) => v,
        Err(e) => return codec_shape(&e),
    };
    assert!(value.conforms(ty), "decoded value does not conform to {ty}");
    let once = json::encode(&value, ty)
        .unwrap_or_else(|e| panic!("a value read from JSON does not encode again: {e}"));
    let back =
        json::decode(&once, ty).unwrap_or_else(|e| panic!("re-encoded JSON does not decode: {e}"));
    let twice = json::encode(&back, ty)
        .unwrap_or_else(|e| panic!("a re-decoded value does not encode: {e}"));
    // Bytes, not values: a float that arrived as its exact decimal text leaves as its shortest
    // text (see `check_msgpack`), a different number; from then on it is stable.
    assert_eq!(once, twice, "JSON encoding is not a fixpoint");
    msgpack::encode(&value, ty)
        .unwrap_or_else(|e| panic!("a value read from JSON does not encode as msgpack: {e}"));
    shape::of_debug(&kinds(&value))
}

/// What a decoder refused, without the input's own words: the path's attribute names but for
/// the last step (an unsupported attribute is named by the input), and the message.
fn codec_shape(e: &CodecError) -> u64 {
    let steps = e.path().steps();
    let mut path = String::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            PathStep::Attr(name) if i + 1 < steps.len() => path.push_str(name),
            PathStep::Attr(_) => path.push('.'),
            PathStep::Key(_) => path.push('k'),
            PathStep::Index(_) => path.push('i'),
        }
        path.push('/');
    }
    let detail = match e {
        CodecError::Mismatch {
            expected, found, ..
        } => format!("{expected} / {found}"),
        CodecError::Malformed { message, .. } => message.clone(),
        CodecError::InvalidType(message) | CodecError::TooDeep(message) => {
            message.chars().take(24).collect()
        }
    };
    mix(shape::hash(path.as_bytes()), shape::of_text(&detail))
}

/// A value's structure without its data, as the shape of a successful decode.
fn kinds(v: &Value) -> String {
    let mut out = String::new();
    write_kinds(v, &mut out, 0);
    out
}

fn write_kinds(v: &Value, out: &mut String, depth: usize) {
    if depth > 8 || out.len() > 256 {
        return;
    }
    match v {
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            out.push('[');
            for item in items.iter().take(4) {
                write_kinds(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::Map(entries) | Value::Object(entries) => {
            out.push('{');
            for item in entries.values().take(8) {
                write_kinds(item, out, depth + 1);
            }
            out.push('}');
        }
        Value::Dynamic { value, .. } => {
            out.push('d');
            write_kinds(value, out, depth + 1);
        }
        other => out.push_str(other.kind()),
    }
}

/// The JSON reader under the state codec, against serde_json: both take the same documents and
/// read the same values from them, but for the limits that differ on purpose (nesting: ours
/// 256, serde_json's 128; serde_json also refuses numbers beyond f64, which we keep exactly).
pub fn json_text(data: &[u8], out: &mut Features) {
    out.add(0, compare_json_readers(data));
}

fn compare_json_readers(data: &[u8]) -> u64 {
    let ours = text::parse(data);
    let theirs = serde_json::from_slice::<serde_json::Value>(data);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert!(
                same_json(a, b),
                "our JSON reader and serde_json read different values"
            );
            shape::of_text(a.kind())
        }
        (Err(e), Err(_)) => shape::of_text(&e.chars().take(24).collect::<String>()),
        (Ok(_), Err(e)) => {
            let text = e.to_string();
            assert!(
                text.starts_with("recursion limit exceeded")
                    || text.starts_with("number out of range"),
                "our JSON reader accepts what serde_json refuses: {text}"
            );
            2
        }
        (Err(e), Ok(_)) => {
            assert!(
                e.starts_with("JSON nested deeper than"),
                "our JSON reader refuses what serde_json accepts: {e}"
            );
            3
        }
    }
}

/// Equal documents; numbers compared as the f64 both sides round them to, and an object's
/// duplicate keys resolved as serde_json does (the last one wins).
fn same_json(a: &Json, b: &serde_json::Value) -> bool {
    use serde_json::Value as S;
    match (a, b) {
        (Json::Null, S::Null) => true,
        (Json::Bool(x), S::Bool(y)) => x == y,
        // serde_json (without `float_roundtrip`) may round long numbers an ulp off.
        (Json::Number(x), S::Number(y)) => match (x.parse::<f64>(), y.as_f64()) {
            (Ok(p), Some(q)) => {
                p == q || (p - q).abs() <= p.abs().max(q.abs()) * 4.0 * f64::EPSILON
            }
            _ => false,
        },
        (Json::String(x), S::String(y)) => x == y,
        (Json::Array(x), S::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Json::Object(x), S::Object(y)) => {
            let last: std::collections::BTreeMap<&str, &Json> =
                x.iter().map(|(k, v)| (k.as_str(), v)).collect();
            last.len() == y.len()
                && last
                    .iter()
                    .all(|(k, v)| y.get(*k).is_some_and(|w| same_json(v, w)))
        }
        _ => false,
    }
}

/// A stored state through UpgradeResourceState for every resource type: the instaclustr
/// upgrader, then the JSON decoder with the resource's type. An upgraded state must be
/// encodable as msgpack (Terraform receives it that way) and stable: upgrading what we wrote
/// yields it unchanged, or every plan would rewrite the state.
pub fn state_upgrade(data: &[u8], out: &mut Features) {
    let mut part = 0;
    for server in servers() {
        for (name, resource) in server.resources() {
            let current = resource.schema().version;
            let mut versions = vec![0, current, current + 1];
            versions.dedup();
            for version in versions {
                let shape = match server.upgrade_state(name, version, data) {
                    // The detail's last part says what failed; before it, a path the input names.
                    Err(diags) => diags.iter().fold(0, |acc, d| {
                        let what = d.detail.rsplit(": ").next().unwrap_or_default();
                        mix(acc, shape::of_text(&format!("{}: {what}", d.summary)))
                    }),
                    Ok(value) => {
                        assert!(
                            version <= current,
                            "a state from a newer schema was accepted"
                        );
                        check_upgraded(server, name, resource.ty(), &value);
                        shape::of_debug(&kinds(&value))
                    }
                };
                out.add(part, shape);
                part += 1;
            }
        }
    }
}

fn check_upgraded(server: &Server, name: &str, ty: &Type, value: &Value) {
    assert!(
        value.conforms(ty),
        "an upgraded {name} state does not conform"
    );
    msgpack::encode(value, ty)
        .unwrap_or_else(|e| panic!("an upgraded {name} state does not encode as msgpack: {e}"));
    let stored = json::encode(value, ty)
        .unwrap_or_else(|e| panic!("an upgraded {name} state does not encode as JSON: {e}"));
    let version = server.resource(name).map_or(0, |r| r.schema().version);
    let again = server
        .upgrade_state(name, version, &stored)
        .unwrap_or_else(|d| panic!("the {name} state we wrote does not upgrade: {d:?}"));
    msgpack::encode(&again, ty)
        .unwrap_or_else(|e| panic!("a re-upgraded {name} state does not encode: {e}"));
    // As JSON text, for the float reason given in `check_msgpack`.
    let restored = json::encode(&again, ty).unwrap_or_default();
    assert_eq!(
        stored, restored,
        "upgrading the {name} state we wrote changed it"
    );
}

/// cty's JSON type syntax, as it arrives inside every dynamic value.
pub fn type_json(data: &[u8], out: &mut Features) {
    out.add(0, check_type_json(data));
}

fn check_type_json(data: &[u8]) -> u64 {
    match Type::from_json_bytes(data) {
        // The start says which check failed; the rest quotes the input.
        Err(e) => shape::of_text(&e.to_string().chars().take(32).collect::<String>()),
        Ok(ty) => {
            let bytes = ty.to_json_bytes();
            let back = Type::from_json_bytes(&bytes)
                .unwrap_or_else(|e| panic!("a type's own JSON does not parse: {e}"));
            assert_eq!(back, ty, "type JSON round trip changed the type");
            assert_eq!(
                Type::from_json(&ty.to_json()).ok().as_ref(),
                Some(&ty),
                "the serde_json form of a type does not round-trip"
            );
            shape::of_text(&ty.to_string())
        }
    }
}

/// Number texts, as msgpack strings and JSON numbers carry them.
pub fn number_text(data: &[u8], out: &mut Features) {
    out.add(0, check_number(data));
}

fn check_number(data: &[u8]) -> u64 {
    let Ok(text) = std::str::from_utf8(data) else {
        return 1;
    };
    let n = match text.parse::<Number>() {
        Ok(n) => n,
        Err(e) => return shape::of_text(&e.to_string()),
    };
    // The text is exact for integers and decimals, and for floats the shortest text that
    // rounds to the same float64 (cty's `Text('f', -1)`), which reads back as a decimal.
    let printed = n.to_string();
    let back: Number = printed
        .parse()
        .unwrap_or_else(|e| panic!("a number's own text does not parse: {e}"));
    assert!(
        back == n || back.as_f64().to_bits() == n.as_f64().to_bits(),
        "number text round trip changed the number: {n:?} -> {printed} -> {back:?}"
    );
    assert_eq!(back.to_string(), printed, "number text is not a fixpoint");
    let _ = (n.as_i64(), n.as_u64(), n.as_f64(), n.is_integer());
    let packed = msgpack::encode(&Value::Number(n.clone()), &Type::Number)
        .unwrap_or_else(|e| panic!("a number does not encode as msgpack: {e}"));
    let unpacked = msgpack::decode(&packed, &Type::Number)
        .unwrap_or_else(|e| panic!("an encoded number does not decode: {e}"));
    assert_eq!(
        unpacked,
        Value::Number(n.clone()),
        "msgpack changed a number"
    );
    if n.is_finite() {
        let text = json::encode(&Value::Number(n.clone()), &Type::Number)
            .unwrap_or_else(|e| panic!("a finite number does not encode as JSON: {e}"));
        let read = json::decode(&text, &Type::Number)
            .unwrap_or_else(|e| panic!("a JSON number we wrote does not decode: {e}"));
        assert_eq!(
            read,
            Value::Number(back),
            "JSON and Display disagree on a number"
        );
    }
    mix(
        packed.first().copied().unwrap_or(0).into(),
        n.is_integer().into(),
    )
}

/// The private state Terraform hands back: unreadable bytes are empty, and what we write reads
/// back the same.
pub fn private_state(data: &[u8], out: &mut Features) {
    let private = Private::from_bytes(data);
    let bytes = private.to_bytes();
    assert_eq!(
        Private::from_bytes(&bytes),
        private,
        "private state round trip changed it"
    );
    out.add(0, shape::of_debug(&private));
}
