//! Random well-formed values of a cty type, for the codec targets: mutating a valid encoding
//! reaches far deeper into a typed decoder than mutating random bytes.

use std::collections::BTreeMap;

use fastrand::Rng;

use crate::framework::{Number, Type, Value};

/// Strings that matter to the encoders: escapes Go's JSON writer makes, non-ASCII, lengths at
/// msgpack's str8/str16 boundaries.
const STRINGS: &[&str] = &[
    "",
    "x",
    "c-1",
    "RUNNING",
    "APACHE_CASSANDRA",
    "a\"b\\c\nd\te",
    "<&>",
    "\u{2028}\u{2029}",
    "é😀",
    "\u{0}\u{1f}",
    "0.1",
    "true",
    "null",
];

/// Builds a value of `ty`. `unknowns` allows unknown values (msgpack has them, JSON does not).
pub(super) fn value(rng: &mut Rng, ty: &Type, unknowns: bool, depth: usize) -> Value {
    match rng.u8(0..20) {
        0 => return Value::Null,
        1 if unknowns => return Value::Unknown,
        _ => {}
    }
    let count = |rng: &mut Rng| match rng.u8(0..16) {
        0 => rng.usize(16..40),
        1..=3 => 0,
        _ => rng.usize(1..4),
    };
    match ty {
        Type::String => Value::String(string(rng)),
        Type::Number => Value::Number(number(rng)),
        Type::Bool => Value::Bool(rng.bool()),
        Type::List(ety) | Type::Set(ety) => {
            let n = if depth > 6 { 0 } else { count(rng) };
            let items: Vec<Value> = (0..n)
                .map(|_| value(rng, ety, unknowns, depth + 1))
                .collect();
            if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            }
        }
        Type::Map(ety) => {
            let n = if depth > 6 { 0 } else { count(rng) };
            let entries: BTreeMap<String, Value> = (0..n)
                .map(|i| {
                    (
                        format!("{}{i}", string(rng)),
                        value(rng, ety, unknowns, depth + 1),
                    )
                })
                .collect();
            Value::Map(entries)
        }
        Type::Object(atys) => Value::Object(
            atys.iter()
                .map(|(name, aty)| (name.clone(), value(rng, aty, unknowns, depth + 1)))
                .collect(),
        ),
        Type::Tuple(etys) => Value::Tuple(
            etys.iter()
                .map(|ety| value(rng, ety, unknowns, depth + 1))
                .collect(),
        ),
        Type::Dynamic => {
            let concrete = concrete_type(rng, depth);
            let inner = value(rng, &concrete, unknowns, depth + 1);
            Value::dynamic(concrete, inner)
        }
    }
}

/// A type to carry at a `dynamic` position; it may hold `dynamic` itself, as cty allows.
fn concrete_type(rng: &mut Rng, depth: usize) -> Type {
    let leaf = |rng: &mut Rng| match rng.u8(0..3) {
        0 => Type::String,
        1 => Type::Number,
        _ => Type::Bool,
    };
    if depth > 4 {
        return leaf(rng);
    }
    match rng.u8(0..10) {
        0..=3 => leaf(rng),
        4 => Type::list(element_type(rng, depth)),
        5 => Type::set(element_type(rng, depth)),
        6 => Type::map(element_type(rng, depth)),
        7 => Type::object([
            ("a", element_type(rng, depth)),
            ("b", element_type(rng, depth)),
        ]),
        8 => Type::tuple([element_type(rng, depth), element_type(rng, depth)]),
        _ => Type::list(Type::Dynamic),
    }
}

fn element_type(rng: &mut Rng, depth: usize) -> Type {
    if rng.u8(0..5) == 0 {
        Type::Dynamic
    } else {
        concrete_type(rng, depth + 1)
    }
}

fn string(rng: &mut Rng) -> String {
    match rng.u8(0..8) {
        0 => (0..rng.usize(0..300))
            .map(|_| char::from(rng.u8(0x20..0x7f)))
            .collect(),
        1 => (0..rng.usize(0..8))
            .map(|_| char::from_u32(rng.u32(0..0x11_0000)).unwrap_or('\u{fffd}'))
            .collect(),
        _ => STRINGS[rng.usize(..STRINGS.len())].to_string(),
    }
}

fn number(rng: &mut Rng) -> Number {
    const TEXTS: &[&str] = &[
        "0.1",
        "-3.14159265358979323846264338327950288",
        "123456789012345678901234567890",
        "18446744073709551615",
        "18446744073709551616",
        "1e-300",
        "5e-324",
        "1.7976931348623157e308",
    ];
    match rng.u8(0..8) {
        0 => Number::from(rng.i64(..)),
        1 => Number::from(rng.u64(..)),
        2 => Number::from_f64(f64::from_bits(rng.u64(..))).unwrap_or_else(|| Number::from(0)),
        3 => Number::from_f64(if rng.bool() {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        })
        .unwrap_or_else(|| Number::from(0)),
        4 => TEXTS[rng.usize(..TEXTS.len())]
            .parse()
            .unwrap_or_else(|_| Number::from(0)),
        5 => Number::from_f64(rng.f64() * 1000.0 - 500.0).unwrap_or_else(|| Number::from(0)),
        _ => Number::from(rng.i64(-300..300)),
    }
}
