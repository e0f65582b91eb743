//! cty's msgpack encoding, the form of every `DynamicValue` Terraform sends and expects back.
//!
//! The format is driven by the schema type: objects are maps holding every attribute of the
//! type in sorted order (cty rejects an object with attributes missing), lists/sets/tuples are
//! arrays, unknowns are msgpack extensions, and a value at a `dynamic` position is the array
//! `[type JSON as bin, value]`. Integers use the smallest msgpack int, other numbers float64 when
//! exact and decimal text otherwise, as cty's marshaller (vmihailenco/msgpack with compact ints)
//! writes them.

use std::collections::BTreeMap;

use rmp::Marker;

use super::codec_error::{concrete_type, CodecError, PathStep};
use super::number::WireNumber;
use super::types::Type;
use super::value::{Number, Value};

/// cty's wholly unknown value: fixext1, extension type 0, one zero byte.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    encode_value(&mut out, value, ty)?;
    Ok(out)
}

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let value = decode_value(&mut r, ty, 0)?;
    if r.pos != bytes.len() {
        return Err(CodecError::malformed(
            &[],
            format!("{} unexpected bytes after the value", bytes.len() - r.pos),
        ));
    }
    Ok(value)
}

fn encode_value(out: &mut Vec<u8>, value: &Value, ty: &Type) -> Result<(), CodecError> {
    if let Value::Unknown = value {
        out.extend_from_slice(&UNKNOWN);
        return Ok(());
    }
    if *ty == Type::Dynamic {
        return encode_dynamic(out, value);
    }
    let mismatch = || Err(CodecError::mismatch(&[], ty, value.kind()));
    match (value, ty) {
        (Value::Null, _) => out.push(0xc0),
        (Value::Dynamic { ty: inner, value }, _) => {
            // A wrapper carried over from a dynamic position is fine where the type is fixed,
            // as long as the types agree.
            if inner != ty {
                return Err(CodecError::mismatch(
                    &[],
                    ty,
                    format!("dynamic value of type {inner}"),
                ));
            }
            encode_value(out, value, ty)?;
        }
        (Value::Bool(b), Type::Bool) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Value::String(s), Type::String) => write_str(out, s)?,
        (Value::Number(n), Type::Number) => write_number(out, n)?,
        (Value::List(items), Type::List(ety)) | (Value::Set(items), Type::Set(ety)) => {
            write_len(out, items.len(), [0x90, 0xdc, 0xdd], 16)?;
            for (i, item) in items.iter().enumerate() {
                encode_value(out, item, ety).map_err(|e| e.inside(PathStep::Index(i as u64)))?;
            }
        }
        (Value::Tuple(items), Type::Tuple(etys)) => {
            if items.len() != etys.len() {
                return Err(CodecError::mismatch(
                    &[],
                    format!("tuple of {} elements", etys.len()),
                    format!("tuple of {} elements", items.len()),
                ));
            }
            write_len(out, items.len(), [0x90, 0xdc, 0xdd], 16)?;
            for (i, (item, ety)) in items.iter().zip(etys).enumerate() {
                encode_value(out, item, ety).map_err(|e| e.inside(PathStep::Index(i as u64)))?;
            }
        }
        (Value::Map(entries), Type::Map(ety)) => {
            write_len(out, entries.len(), [0x80, 0xde, 0xdf], 16)?;
            for (key, item) in entries {
                write_str(out, key)
                    .and_then(|()| encode_value(out, item, ety))
                    .map_err(|e| e.inside(PathStep::Key(key.clone())))?;
            }
        }
        (Value::Object(attrs), Type::Object(atys)) => {
            if let Some(extra) = attrs.keys().find(|k| !atys.contains_key(*k)) {
                let at = [PathStep::Attr(extra.clone())];
                return Err(CodecError::malformed(
                    &at,
                    "attribute is not in the schema type",
                ));
            }
            write_len(out, atys.len(), [0x80, 0xde, 0xdf], 16)?;
            // Both maps are sorted by name and the value's names are the type's (checked
            // above): one ordered pass pairs them, and what the value lacks is null.
            let mut given = attrs.iter().peekable();
            for (name, aty) in atys {
                let value = match given.next_if(|(k, _)| *k == name) {
                    Some((_, value)) => value,
                    None => &Value::Null,
                };
                write_str(out, name)
                    .and_then(|()| encode_value(out, value, aty))
                    .map_err(|e| e.inside(PathStep::Attr(name.clone())))?;
            }
        }
        _ => return mismatch(),
    }
    Ok(())
}

/// At a `dynamic` position cty writes an untyped null as nil and an unknown of unknown type as
/// the bare extension; anything else carries its type: `[type JSON (bin), value]`.
fn encode_dynamic(out: &mut Vec<u8>, value: &Value) -> Result<(), CodecError> {
    let (ty, inner) = match value {
        Value::Null => {
            out.push(0xc0);
            return Ok(());
        }
        known => concrete_type(known, &[])?,
    };
    out.push(0x92);
    write_bin(out, &ty.to_json_bytes())?;
    encode_value(out, inner, &ty)
}

fn write_number(out: &mut Vec<u8>, n: &Number) -> Result<(), CodecError> {
    match n.wire_form() {
        WireNumber::Int(i) => write_int(out, i),
        WireNumber::Float(f) => {
            out.push(0xcb);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        WireNumber::Text(t) => write_str(out, &t)?,
    }
    Ok(())
}

/// Non-negative values take the unsigned forms, as vmihailenco/msgpack's compact ints do.
fn write_int(out: &mut Vec<u8>, i: i64) {
    match i {
        0..=0x7f => out.push(i as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, i as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(i as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(i as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&(i as u64).to_be_bytes());
        }
        -32..=-1 => out.push(i as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, i as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(i as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(i as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), CodecError> {
    write_len(out, s.len(), [0xa0, 0xda, 0xdb], 32)?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) -> Result<(), CodecError> {
    match b.len() {
        n if n <= 0xff => out.extend_from_slice(&[0xc4, n as u8]),
        n if n <= 0xffff => {
            out.push(0xc5);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0xc6);
            out.extend_from_slice(&checked_u32(n)?.to_be_bytes());
        }
    }
    out.extend_from_slice(b);
    Ok(())
}

/// Writes a str/array/map header: the fix form below `fix_limit`, else 16- or 32-bit. Strings
/// alone have an 8-bit form, used from 32 to 255 bytes.
fn write_len(
    out: &mut Vec<u8>,
    len: usize,
    [fix, marker16, marker32]: [u8; 3],
    fix_limit: usize,
) -> Result<(), CodecError> {
    let is_str = fix == 0xa0;
    if len < fix_limit {
        out.push(fix | len as u8);
    } else if is_str && len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(marker16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(marker32);
        out.extend_from_slice(&checked_u32(len)?.to_be_bytes());
    }
    Ok(())
}

fn checked_u32(len: usize) -> Result<u32, CodecError> {
    u32::try_from(len).map_err(|_| CodecError::malformed(&[], "too long for msgpack"))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Result<Marker, CodecError> {
        match self.buf.get(self.pos) {
            Some(b) => Ok(Marker::from_u8(*b)),
            None => Err(truncated()),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|end| *end <= self.buf.len());
        match end {
            Some(end) => {
                let bytes = &self.buf[self.pos..end];
                self.pos = end;
                Ok(bytes)
            }
            None => Err(truncated()),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Bytes still unread: an upper bound for any element count, so a forged length cannot
    /// make us reserve gigabytes.
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
}

fn truncated() -> CodecError {
    CodecError::malformed(&[], "unexpected end of msgpack data")
}

fn describe(m: Marker) -> &'static str {
    use Marker as M;
    match m {
        M::Null => "nil",
        M::True | M::False => "bool",
        M::FixPos(_) | M::FixNeg(_) | M::U8 | M::U16 | M::U32 | M::U64 => "integer",
        M::I8 | M::I16 | M::I32 | M::I64 => "integer",
        M::F32 | M::F64 => "float",
        M::FixStr(_) | M::Str8 | M::Str16 | M::Str32 => "string",
        M::Bin8 | M::Bin16 | M::Bin32 => "binary",
        M::FixArray(_) | M::Array16 | M::Array32 => "array",
        M::FixMap(_) | M::Map16 | M::Map32 => "map",
        M::Reserved => "reserved byte 0xc1",
        _ => "extension",
    }
}

/// Deeper than any schema; shallow enough that hostile input cannot exhaust the stack. The
/// schema type bounds the nesting everywhere except at `dynamic` positions, whose values bring
/// their own type: a `list(dynamic)` whose elements are `list(dynamic)`s nests without end.
/// `depth` counts the containers around a value.
const MAX_DEPTH: usize = 64;

fn decode_value(r: &mut Reader, ty: &Type, depth: usize) -> Result<Value, CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::TooDeep(format!(
            "msgpack value nested deeper than {MAX_DEPTH} levels"
        )));
    }
    let marker = r.peek()?;
    // cty treats every extension as an unknown, whatever the position's type; ext 12 adds
    // refinements we do not keep.
    if skip_extension(r, marker)? {
        return Ok(Value::Unknown);
    }
    if *ty == Type::Dynamic {
        return decode_dynamic(r, marker, depth);
    }
    if marker == Marker::Null {
        r.pos += 1;
        return Ok(Value::Null);
    }
    let mismatch = || Err(CodecError::mismatch(&[], ty, describe(marker)));
    match ty {
        Type::Bool => match marker {
            Marker::True | Marker::False => {
                r.pos += 1;
                Ok(Value::Bool(marker == Marker::True))
            }
            _ => mismatch(),
        },
        Type::String => match read_text(r, marker)? {
            Some(s) => Ok(Value::String(s.to_string())),
            None => mismatch(),
        },
        Type::Number => decode_number(r, marker).map(Value::Number),
        Type::List(ety) | Type::Set(ety) => {
            let Some(len) = read_array_len(r, marker)? else {
                return mismatch();
            };
            let mut items = Vec::with_capacity(len.min(r.remaining()));
            for i in 0..len {
                let item = decode_value(r, ety, depth + 1)
                    .map_err(|e| e.inside(PathStep::Index(i as u64)))?;
                items.push(item);
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(items)
            } else {
                Value::List(items)
            })
        }
        Type::Tuple(etys) => {
            let Some(len) = read_array_len(r, marker)? else {
                return mismatch();
            };
            if len != etys.len() {
                return Err(CodecError::mismatch(
                    &[],
                    format!("tuple of {} elements", etys.len()),
                    format!("array of {len}"),
                ));
            }
            let mut items = Vec::with_capacity(len);
            for (i, ety) in etys.iter().enumerate() {
                let item = decode_value(r, ety, depth + 1)
                    .map_err(|e| e.inside(PathStep::Index(i as u64)))?;
                items.push(item);
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(ety) => {
            let Some(len) = read_map_len(r, marker)? else {
                return mismatch();
            };
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let key = read_key(r)?;
                let item = match decode_value(r, ety, depth + 1) {
                    Ok(item) => item,
                    Err(e) => return Err(e.inside(PathStep::Key(key))),
                };
                if entries.contains_key(&key) {
                    let at = [PathStep::Key(key)];
                    return Err(CodecError::malformed(&at, "duplicate map key"));
                }
                entries.insert(key, item);
            }
            Ok(Value::Map(entries))
        }
        Type::Object(atys) => {
            let Some(len) = read_map_len(r, marker)? else {
                return mismatch();
            };
            let mut given = Vec::with_capacity(len.min(r.remaining()));
            for _ in 0..len {
                let name = read_key(r)?;
                let Some(aty) = atys.get(&name) else {
                    let at = [PathStep::Attr(name)];
                    return Err(CodecError::malformed(&at, "unsupported attribute"));
                };
                match decode_value(r, aty, depth + 1) {
                    Ok(item) => given.push((name, item)),
                    Err(e) => return Err(e.inside(PathStep::Attr(name))),
                }
            }
            object_from(given, atys).map(Value::Object)
        }
        Type::Dynamic => decode_dynamic(r, marker, depth),
    }
}

/// The attributes of a decoded object, with null for those the input left out: cty insists on
/// every attribute being present, and filling the gaps gives the same value.
fn object_from(
    given: Vec<(String, Value)>,
    atys: &BTreeMap<String, Type>,
) -> Result<BTreeMap<String, Value>, CodecError> {
    if given.windows(2).all(|pair| pair[0].0 < pair[1].0) {
        // Sorted by name, as cty writes objects: one pass along the type's names, and the map
        // is built from sorted entries. Every given name is one of the type's (checked).
        let mut given = given.into_iter().peekable();
        let all: Vec<(String, Value)> = atys
            .keys()
            .map(|name| {
                given
                    .next_if(|(given_name, _)| given_name == name)
                    .unwrap_or_else(|| (name.clone(), Value::Null))
            })
            .collect();
        return Ok(all.into_iter().collect());
    }
    let mut attrs = BTreeMap::new();
    for (name, item) in given {
        if attrs.contains_key(&name) {
            let at = [PathStep::Attr(name)];
            return Err(CodecError::malformed(&at, "duplicate attribute"));
        }
        attrs.insert(name, item);
    }
    for name in atys.keys() {
        if !attrs.contains_key(name) {
            attrs.insert(name.clone(), Value::Null);
        }
    }
    Ok(attrs)
}

fn decode_dynamic(r: &mut Reader, marker: Marker, depth: usize) -> Result<Value, CodecError> {
    if marker == Marker::Null {
        r.pos += 1;
        return Ok(Value::Null);
    }
    match read_array_len(r, marker)? {
        Some(2) => {}
        _ => {
            return Err(CodecError::mismatch(
                &[],
                "dynamic value as [type, value]",
                describe(marker),
            ))
        }
    }
    let type_marker = r.peek()?;
    let Some(type_json) = read_bytes(r, type_marker)? else {
        return Err(CodecError::mismatch(
            &[],
            "type JSON bytes",
            describe(type_marker),
        ));
    };
    let ty = Type::from_json_bytes(type_json)?;
    if ty == Type::Dynamic {
        return Err(CodecError::malformed(
            &[],
            "a dynamic value's own type cannot be dynamic",
        ));
    }
    let value = decode_value(r, &ty, depth)?;
    Ok(Value::dynamic(ty, value))
}

fn decode_number(r: &mut Reader, marker: Marker) -> Result<Number, CodecError> {
    let start = r.pos;
    r.pos += 1;
    let n = match marker {
        Marker::FixPos(v) => Number::from(i64::from(v)),
        Marker::FixNeg(v) => Number::from(i64::from(v)),
        Marker::U8 => Number::from(u32::from(r.u8()?)),
        Marker::U16 => Number::from(u32::from(r.u16()?)),
        Marker::U32 => Number::from(r.u32()?),
        Marker::U64 => Number::from(r.u64()?),
        Marker::I8 => Number::from(i64::from(r.u8()? as i8)),
        Marker::I16 => Number::from(i64::from(r.u16()? as i16)),
        Marker::I32 => Number::from(i64::from(r.u32()? as i32)),
        Marker::I64 => Number::from(r.u64()? as i64),
        Marker::F32 => float(f64::from(f32::from_bits(r.u32()?)))?,
        Marker::F64 => float(f64::from_bits(r.u64()?))?,
        _ => {
            r.pos = start;
            match read_text(r, marker)? {
                Some(text) => text.parse().map_err(|_| {
                    CodecError::malformed(&[], format!("{text:?} is not a valid number"))
                })?,
                None => return Err(CodecError::mismatch(&[], "number", describe(marker))),
            }
        }
    };
    Ok(n)
}

fn float(f: f64) -> Result<Number, CodecError> {
    Number::from_f64(f).ok_or_else(|| CodecError::malformed(&[], "NaN is not a valid number"))
}

/// Consumes an extension if one is next, reporting whether it did.
fn skip_extension(r: &mut Reader, marker: Marker) -> Result<bool, CodecError> {
    let data_len = match marker {
        Marker::FixExt1 => 1,
        Marker::FixExt2 => 2,
        Marker::FixExt4 => 4,
        Marker::FixExt8 => 8,
        Marker::FixExt16 => 16,
        Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
            r.pos += 1;
            match marker {
                Marker::Ext8 => usize::from(r.u8()?),
                Marker::Ext16 => usize::from(r.u16()?),
                _ => r.u32()? as usize,
            }
        }
        _ => return Ok(false),
    };
    if matches!(
        marker,
        Marker::FixExt1 | Marker::FixExt2 | Marker::FixExt4 | Marker::FixExt8 | Marker::FixExt16
    ) {
        r.pos += 1;
    }
    // The extension type byte, then the payload.
    r.take(1 + data_len)?;
    Ok(true)
}

/// A str (or, as cty's decoder also allows, bin) holding UTF-8 text; `None` if another kind.
fn read_text<'a>(r: &mut Reader<'a>, marker: Marker) -> Result<Option<&'a str>, CodecError> {
    match read_bytes(r, marker)? {
        Some(bytes) => std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| CodecError::malformed(&[], "string is not valid UTF-8")),
        None => Ok(None),
    }
}

/// The payload of a str or bin; `None` (consuming nothing) for any other kind.
fn read_bytes<'a>(r: &mut Reader<'a>, marker: Marker) -> Result<Option<&'a [u8]>, CodecError> {
    let start = r.pos;
    r.pos += 1;
    let len = match marker {
        Marker::FixStr(n) => usize::from(n),
        Marker::Str8 | Marker::Bin8 => usize::from(r.u8()?),
        Marker::Str16 | Marker::Bin16 => usize::from(r.u16()?),
        Marker::Str32 | Marker::Bin32 => r.u32()? as usize,
        _ => {
            r.pos = start;
            return Ok(None);
        }
    };
    r.take(len).map(Some)
}

fn read_key(r: &mut Reader) -> Result<String, CodecError> {
    let marker = r.peek()?;
    match read_text(r, marker)? {
        Some(s) => Ok(s.to_string()),
        None => Err(CodecError::mismatch(&[], "string key", describe(marker))),
    }
}

fn read_array_len(r: &mut Reader, marker: Marker) -> Result<Option<usize>, CodecError> {
    read_container_len(r, marker, |m| match m {
        Marker::FixArray(n) => Some(Len::Fixed(n)),
        Marker::Array16 => Some(Len::Two),
        Marker::Array32 => Some(Len::Four),
        _ => None,
    })
}

fn read_map_len(r: &mut Reader, marker: Marker) -> Result<Option<usize>, CodecError> {
    read_container_len(r, marker, |m| match m {
        Marker::FixMap(n) => Some(Len::Fixed(n)),
        Marker::Map16 => Some(Len::Two),
        Marker::Map32 => Some(Len::Four),
        _ => None,
    })
}

enum Len {
    Fixed(u8),
    Two,
    Four,
}

fn read_container_len(
    r: &mut Reader,
    marker: Marker,
    classify: impl Fn(Marker) -> Option<Len>,
) -> Result<Option<usize>, CodecError> {
    let Some(kind) = classify(marker) else {
        return Ok(None);
    };
    r.pos += 1;
    Ok(Some(match kind {
        Len::Fixed(n) => usize::from(n),
        Len::Two => usize::from(r.u16()?),
        Len::Four => r.u32()? as usize,
    }))
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
        assert_eq!(back, value, "via {bytes:02x?}");
        assert_eq!(encode(&back, ty).unwrap(), bytes);
    }

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn object_with_null_is_byte_exact() {
        let v = Value::object([("a", Value::from("x")), ("b", Value::Null)]);
        assert_eq!(
            encode(&v, &obj_ty()).unwrap(),
            hex("82 a1 61 a1 78 a1 62 c0")
        );
        // An attribute left out of the value is written as nil all the same.
        let partial = Value::object([("a", Value::from("x"))]);
        assert_eq!(
            encode(&partial, &obj_ty()).unwrap(),
            hex("82 a1 61 a1 78 a1 62 c0")
        );
        assert_eq!(
            decode(&hex("82 a1 62 c0 a1 61 a1 78"), &obj_ty()).unwrap(),
            v
        );
    }

    #[test]
    fn unknown_is_fixext1_zero() {
        for ty in [
            Type::String,
            Type::list(Type::Number),
            obj_ty(),
            Type::Dynamic,
        ] {
            assert_eq!(encode(&Value::Unknown, &ty).unwrap(), UNKNOWN);
            assert_eq!(decode(&UNKNOWN, &ty).unwrap(), Value::Unknown);
        }
        let v = Value::object([("a", Value::Unknown), ("b", "y".into())]);
        assert_eq!(
            encode(&v, &obj_ty()).unwrap(),
            hex("82 a1 61 d4 00 00 a1 62 a1 79")
        );
        round_trip(v, &obj_ty());
        round_trip(
            Value::list([Value::Unknown, "x".into()]),
            &Type::list(Type::String),
        );
        round_trip(
            Value::map([("k", Value::Unknown)]),
            &Type::map(Type::Number),
        );
    }

    #[test]
    fn any_extension_decodes_as_unknown() {
        // Refined unknowns (ext 12) as Terraform writes them: not null, string prefix "ab".
        let refined = hex("c7 07 0c 82 01 c2 02 a2 61 62");
        assert_eq!(decode(&refined, &Type::String).unwrap(), Value::Unknown);
        let in_object = [hex("82 a1 61"), refined.clone(), hex("a1 62 c0")].concat();
        assert_eq!(
            decode(&in_object, &obj_ty()).unwrap(),
            Value::object([("a", Value::Unknown), ("b", Value::Null)])
        );
        // A number range refinement, and other extension forms and types.
        assert_eq!(
            decode(&hex("c7 05 0c 81 03 92 00 c3"), &Type::Number).unwrap(),
            Value::Unknown
        );
        for other in [
            "d5 01 00 00",
            "d7 05 00 00 00 00 00 00 00 00",
            "c8 00 01 07 ff",
            "c9 00 00 00 00 03",
        ] {
            assert_eq!(
                decode(&hex(other), &Type::Bool).unwrap(),
                Value::Unknown,
                "{other}"
            );
        }
        assert!(decode(&hex("c7 05 0c 81 01"), &Type::String).is_err());
    }

    #[test]
    fn integers_use_the_smallest_form() {
        let cases: [(i64, &str); 14] = [
            (0, "00"),
            (127, "7f"),
            (128, "cc 80"),
            (255, "cc ff"),
            (256, "cd 01 00"),
            (65535, "cd ff ff"),
            (65536, "ce 00 01 00 00"),
            (1 << 32, "cf 00 00 00 01 00 00 00 00"),
            (-1, "ff"),
            (-32, "e0"),
            (-33, "d0 df"),
            (-129, "d1 ff 7f"),
            (-32769, "d2 ff ff 7f ff"),
            (i64::MIN, "d3 80 00 00 00 00 00 00 00"),
        ];
        for (i, expected) in cases {
            let bytes = encode(&Value::from(i), &Type::Number).unwrap();
            assert_eq!(bytes, hex(expected), "{i}");
            assert_eq!(decode(&bytes, &Type::Number).unwrap(), Value::from(i));
        }
        assert_eq!(
            encode(&Value::from(i64::MAX), &Type::Number).unwrap(),
            hex("cf 7f ff ff ff ff ff ff ff")
        );
    }

    #[test]
    fn numbers_round_trip_exactly() {
        let n = |s: &str| Value::Number(s.parse().unwrap());
        for v in [
            Value::from(i64::MAX),
            Value::from(i64::MIN),
            Value::from(u64::MAX),
            Value::from(1u64 << 63),
            Value::from(-42),
            Value::Number(Number::from_f64(1.5).unwrap()),
            Value::Number(Number::from_f64(-0.1).unwrap()),
            Value::Number(Number::from_f64(f64::INFINITY).unwrap()),
            n("0.1"),
            n("123456789012345678901234567890"),
            n("-3.14159265358979323846264338327950288"),
        ] {
            round_trip(v, &Type::Number);
        }
        assert_eq!(
            encode(
                &Value::Number(Number::from_f64(1.5).unwrap()),
                &Type::Number
            )
            .unwrap(),
            hex("cb 3f f8 00 00 00 00 00 00")
        );
        assert_eq!(
            encode(&n("0.1"), &Type::Number).unwrap(),
            hex("a3 30 2e 31")
        );
        let max = encode(&Value::from(u64::MAX), &Type::Number).unwrap();
        assert_eq!(max[0], 0xb4);
        assert_eq!(&max[1..], b"18446744073709551615");
    }

    #[test]
    fn decodes_every_number_form() {
        let cases: [(&str, Value); 9] = [
            ("cf ff ff ff ff ff ff ff ff", Value::from(u64::MAX)),
            ("ce ff ff ff ff", Value::from(u32::MAX)),
            ("d0 80", Value::from(-128)),
            ("d1 80 00", Value::from(-32768)),
            ("d3 ff ff ff ff ff ff ff fe", Value::from(-2)),
            (
                "ca 3f c0 00 00",
                Value::Number(Number::from_f64(1.5).unwrap()),
            ),
            (
                "cb 40 09 00 00 00 00 00 00",
                Value::Number(Number::from_f64(3.125).unwrap()),
            ),
            ("a4 31 65 2b 33", Value::from(1000)),
            ("cb 40 08 00 00 00 00 00 00", Value::from(3)),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                decode(&hex(bytes), &Type::Number).unwrap(),
                expected,
                "{bytes}"
            );
        }
        let big = [vec![0xbe], b"123456789012345678901234567890".to_vec()].concat();
        assert_eq!(
            decode(&big, &Type::Number)
                .unwrap()
                .as_number()
                .map(ToString::to_string),
            Some("123456789012345678901234567890".to_string())
        );
        assert!(decode(&hex("a3 61 62 63"), &Type::Number).is_err());
        assert!(decode(&hex("cb 7f f8 00 00 00 00 00 01"), &Type::Number).is_err());
    }

    #[test]
    fn every_type_round_trips() {
        round_trip("hello".into(), &Type::String);
        round_trip("".into(), &Type::String);
        round_trip("é".repeat(40).into(), &Type::String);
        round_trip("x".repeat(70_000).into(), &Type::String);
        round_trip(true.into(), &Type::Bool);
        round_trip(false.into(), &Type::Bool);
        round_trip(Value::Null, &Type::String);
        round_trip(
            Value::list(["a".into(), Value::Null]),
            &Type::list(Type::String),
        );
        round_trip(Value::list([]), &Type::list(Type::String));
        round_trip(
            Value::list((0..100).map(Value::from)),
            &Type::list(Type::Number),
        );
        round_trip(
            Value::set(["b".into(), "a".into()]),
            &Type::set(Type::String),
        );
        round_trip(
            Value::map([("x", Value::from(1)), ("y", Value::Null)]),
            &Type::map(Type::Number),
        );
        round_trip(
            Value::map((0..20).map(|i| (format!("k{i}"), Value::from(i)))),
            &Type::map(Type::Number),
        );
        round_trip(
            Value::tuple(["a".into(), 1.into(), true.into()]),
            &Type::tuple([Type::String, Type::Number, Type::Bool]),
        );
        round_trip(Value::tuple([]), &Type::tuple([]));
        round_trip(Value::object::<&str>([]), &Type::object::<&str>([]));
        let nested_ty = Type::object([
            ("name", Type::String),
            (
                "bundle",
                Type::list(Type::object([
                    ("version", Type::String),
                    ("options", Type::map(Type::Bool)),
                ])),
            ),
            ("zones", Type::set(Type::list(Type::Number))),
        ]);
        round_trip(
            Value::object([
                ("name", "c1".into()),
                (
                    "bundle",
                    Value::list([Value::object([
                        ("version", "4.1".into()),
                        ("options", Value::map([("tls", true.into())])),
                    ])]),
                ),
                ("zones", Value::set([Value::list([1.into(), 2.into()])])),
            ]),
            &nested_ty,
        );
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::dynamic(Type::String, "x".into());
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        let expected = [hex("92 c4 08"), b"\"string\"".to_vec(), hex("a1 78")].concat();
        assert_eq!(bytes, expected);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
        // The type may also arrive as a str.
        let as_str = [hex("92 a8"), b"\"string\"".to_vec(), hex("a1 78")].concat();
        assert_eq!(decode(&as_str, &Type::Dynamic).unwrap(), v);
        // A bare value has its type inferred.
        assert_eq!(encode(&Value::from("x"), &Type::Dynamic).unwrap(), expected);

        assert_eq!(encode(&Value::Null, &Type::Dynamic).unwrap(), hex("c0"));
        assert_eq!(decode(&hex("c0"), &Type::Dynamic).unwrap(), Value::Null);
        round_trip(Value::Unknown, &Type::Dynamic);
        round_trip(Value::dynamic(Type::String, Value::Null), &Type::Dynamic);
        round_trip(Value::dynamic(Type::Number, Value::Unknown), &Type::Dynamic);
        let complex = Type::list(Type::object([("a", Type::Number), ("b", Type::Dynamic)]));
        round_trip(
            Value::dynamic(
                complex.clone(),
                Value::list([Value::object([
                    ("a", 1.into()),
                    ("b", Value::dynamic(Type::Bool, true.into())),
                ])]),
            ),
            &Type::Dynamic,
        );
        let holder = Type::object([("any", Type::Dynamic), ("s", Type::String)]);
        round_trip(
            Value::object([
                (
                    "any",
                    Value::dynamic(Type::map(Type::String), Value::map([("k", "v".into())])),
                ),
                ("s", "x".into()),
            ]),
            &holder,
        );
        round_trip(
            Value::object([("any", Value::Null), ("s", Value::Null)]),
            &holder,
        );
        // A wrapper is accepted at a fixed position of the same type, and unwrapped there.
        assert_eq!(
            encode(&Value::dynamic(Type::String, "x".into()), &Type::String).unwrap(),
            hex("a1 78")
        );
        assert!(encode(&Value::dynamic(Type::Number, "x".into()), &Type::Dynamic).is_err());
        assert!(encode(&Value::dynamic(Type::Dynamic, "x".into()), &Type::Dynamic).is_err());
        assert!(encode(&Value::list(["a".into(), 1.into()]), &Type::Dynamic).is_err());
    }

    #[test]
    fn dynamic_decoding_errors() {
        assert!(decode(&hex("91 c0"), &Type::Dynamic).is_err());
        assert!(decode(&hex("a1 78"), &Type::Dynamic).is_err());
        let bad_type = [hex("92 c4 05"), b"\"str\"".to_vec(), hex("a1 78")].concat();
        assert!(matches!(
            decode(&bad_type, &Type::Dynamic),
            Err(CodecError::InvalidType(_))
        ));
        let dyn_dyn = [hex("92 c4 09"), b"\"dynamic\"".to_vec(), hex("c0")].concat();
        assert!(decode(&dyn_dyn, &Type::Dynamic).is_err());
        let wrong_value = [hex("92 c4 08"), b"\"string\"".to_vec(), hex("01")].concat();
        assert!(decode(&wrong_value, &Type::Dynamic).is_err());
    }

    #[test]
    fn errors_name_the_path() {
        let ty = Type::object([(
            "bundle",
            Type::list(Type::object([("version", Type::String)])),
        )]);
        let bytes = hex("81 a6 62 75 6e 64 6c 65 91 81 a7 76 65 72 73 69 6f 6e 05");
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".bundle[0].version: expected string, found integer"
        );

        let v = Value::object([(
            "bundle",
            Value::list([Value::object([("version", Value::from(5))])]),
        )]);
        assert_eq!(
            encode(&v, &ty).unwrap_err().to_string(),
            ".bundle[0].version: expected string, found number"
        );
        let extra = Value::object([("nope", Value::Null)]);
        assert_eq!(
            encode(&extra, &ty).unwrap_err().to_string(),
            ".nope: attribute is not in the schema type"
        );
        let err = decode(&hex("81 a1 7a c0"), &ty).unwrap_err();
        assert_eq!(err.to_string(), ".z: unsupported attribute");
        let err = decode(&hex("82 a1 61 c0 a1 61 c0"), &obj_ty()).unwrap_err();
        assert_eq!(err.to_string(), ".a: duplicate attribute");
        let err = decode(&hex("81 01 c0"), &Type::map(Type::String)).unwrap_err();
        assert_eq!(err.to_string(), "expected string key, found integer");
    }

    #[test]
    fn nesting_through_dynamic_values_is_bounded() {
        // Each level: [type "list of dynamic", [next level]]; found by tests/fuzz_smoke.rs.
        let level = |out: &mut Vec<u8>| {
            out.extend_from_slice(&hex("92 c4 12"));
            out.extend_from_slice(br#"["list","dynamic"]"#);
            out.push(0x91);
        };
        let nested = |depth: usize| {
            let mut out = Vec::new();
            (0..depth).for_each(|_| level(&mut out));
            out.push(0xc0);
            out
        };
        round_trip(decode(&nested(60), &Type::Dynamic).unwrap(), &Type::Dynamic);
        let err = decode(&nested(100_000), &Type::Dynamic).unwrap_err();
        assert_eq!(
            err.to_string(),
            "msgpack value nested deeper than 64 levels"
        );
    }

    #[test]
    fn malformed_input_is_rejected() {
        let err = decode(&hex("a1 78 00"), &Type::String).unwrap_err();
        assert_eq!(err.to_string(), "1 unexpected bytes after the value");
        assert!(decode(&[], &Type::String).is_err());
        assert!(decode(&hex("a3 78"), &Type::String).is_err());
        assert!(decode(&hex("a2 c3 28"), &Type::String).is_err());
        assert!(decode(&hex("dd ff ff ff ff"), &Type::list(Type::String)).is_err());
        assert!(decode(&hex("cd 01"), &Type::Number).is_err());
        assert!(decode(&hex("c1"), &Type::Bool).is_err());
        assert!(decode(&hex("92 01 02"), &Type::tuple([Type::Number])).is_err());
        assert!(decode(&hex("c3"), &Type::String).is_err());
        assert!(decode(&hex("a1 78"), &Type::list(Type::String)).is_err());
        // Type mismatches between the value and the schema type when encoding.
        assert!(encode(&Value::list(["a".into()]), &Type::set(Type::String)).is_err());
        assert!(encode(&Value::tuple(["a".into()]), &Type::tuple([])).is_err());
        assert!(encode(&Value::from(true), &Type::Number).is_err());
    }

    #[test]
    fn long_collections_use_wide_headers() {
        let items: Vec<Value> = (0..16).map(|_| Value::from(true)).collect();
        let bytes = encode(&Value::List(items), &Type::list(Type::Bool)).unwrap();
        assert_eq!(&bytes[..3], &[0xdc, 0x00, 0x10]);
        let s = "y".repeat(32);
        let bytes = encode(&Value::from(s.as_str()), &Type::String).unwrap();
        assert_eq!(&bytes[..2], &[0xd9, 32]);
        let entries = (0..16).map(|i| (format!("{i:02}"), Value::Null));
        let bytes = encode(&Value::map(entries), &Type::map(Type::String)).unwrap();
        assert_eq!(&bytes[..3], &[0xde, 0x00, 0x10]);
    }
}
