//! cty types and their JSON description, the form Terraform uses for schema attribute `type`
//! bytes and for the concrete type carried by values at `dynamic` positions.

use std::collections::BTreeMap;
use std::fmt;

use super::codec_error::CodecError;
use super::json_text;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    String,
    Number,
    Bool,
    /// cty's DynamicPseudoType: the concrete type travels with each value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(attrs) => Some(attrs),
            _ => None,
        }
    }

    /// True when a `dynamic` appears anywhere inside, i.e. values of this type may carry their
    /// own type information on the wire.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic(),
            Type::Object(attrs) => attrs.values().any(Type::has_dynamic),
            Type::Tuple(elems) => elems.iter().any(Type::has_dynamic),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        let tagged = |tag: &str, inner: J| J::Array(vec![J::String(tag.to_string()), inner]);
        match self {
            Type::String => J::String("string".into()),
            Type::Number => J::String("number".into()),
            Type::Bool => J::String("bool".into()),
            Type::Dynamic => J::String("dynamic".into()),
            Type::List(t) => tagged("list", t.to_json()),
            Type::Set(t) => tagged("set", t.to_json()),
            Type::Map(t) => tagged("map", t.to_json()),
            Type::Object(attrs) => tagged(
                "object",
                J::Object(
                    attrs
                        .iter()
                        .map(|(k, t)| (k.clone(), t.to_json()))
                        .collect(),
                ),
            ),
            Type::Tuple(elems) => {
                tagged("tuple", J::Array(elems.iter().map(Type::to_json).collect()))
            }
        }
    }

    /// Compact JSON with sorted attribute names, byte-identical to cty's `Type.MarshalJSON`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        let tagged = |out: &mut Vec<u8>, tag: &str| {
            out.extend_from_slice(b"[\"");
            out.extend_from_slice(tag.as_bytes());
            out.extend_from_slice(b"\",");
        };
        match self {
            Type::String => out.extend_from_slice(b"\"string\""),
            Type::Number => out.extend_from_slice(b"\"number\""),
            Type::Bool => out.extend_from_slice(b"\"bool\""),
            Type::Dynamic => out.extend_from_slice(b"\"dynamic\""),
            Type::List(t) | Type::Set(t) | Type::Map(t) => {
                let tag = match self {
                    Type::List(_) => "list",
                    Type::Set(_) => "set",
                    _ => "map",
                };
                tagged(out, tag);
                t.write_json(out);
                out.push(b']');
            }
            Type::Object(attrs) => {
                tagged(out, "object");
                out.push(b'{');
                for (i, (name, t)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_text::write_string(out, name);
                    out.push(b':');
                    t.write_json(out);
                }
                out.extend_from_slice(b"}]");
            }
            Type::Tuple(elems) => {
                tagged(out, "tuple");
                out.push(b'[');
                for (i, t) in elems.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    t.write_json(out);
                }
                out.extend_from_slice(b"]]");
            }
        }
    }

    /// Parses cty's JSON type syntax. The optional-attributes list that newer cty appends to
    /// object types (`["object",{..},["opt"]]`) only matters for type conversion, so it is
    /// accepted and ignored.
    pub fn from_json(json: &serde_json::Value) -> Result<Type, CodecError> {
        use serde_json::Value as J;
        let invalid = |msg: String| Err(CodecError::InvalidType(msg));
        match json {
            J::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => invalid(format!("unknown primitive type {other:?}")),
            },
            J::Array(parts) => {
                let Some(J::String(kind)) = parts.first() else {
                    return invalid("a complex type must start with its kind name".into());
                };
                let arity_ok = match kind.as_str() {
                    "object" => parts.len() == 2 || parts.len() == 3,
                    _ => parts.len() == 2,
                };
                if !arity_ok {
                    return invalid(format!("wrong number of elements in {kind} type"));
                }
                let inner = &parts[1];
                match (kind.as_str(), inner) {
                    ("list", t) => Ok(Type::list(Type::from_json(t)?)),
                    ("set", t) => Ok(Type::set(Type::from_json(t)?)),
                    ("map", t) => Ok(Type::map(Type::from_json(t)?)),
                    ("object", J::Object(attrs)) => {
                        if let Some(optional) = parts.get(2) {
                            if !optional.is_array() {
                                return invalid("optional attributes must be a list".into());
                            }
                        }
                        let mut out = BTreeMap::new();
                        for (name, t) in attrs {
                            out.insert(name.clone(), Type::from_json(t)?);
                        }
                        Ok(Type::Object(out))
                    }
                    ("tuple", J::Array(elems)) => Ok(Type::Tuple(
                        elems
                            .iter()
                            .map(Type::from_json)
                            .collect::<Result<_, _>>()?,
                    )),
                    ("object", _) => invalid("object attributes must be a JSON object".into()),
                    ("tuple", _) => invalid("tuple elements must be a JSON array".into()),
                    (other, _) => invalid(format!("unknown complex type kind {other:?}")),
                }
            }
            other => invalid(format!("unexpected JSON {other}")),
        }
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, CodecError> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| CodecError::InvalidType(e.to_string()))?;
        Type::from_json(&json)
    }
}

/// Human names for error messages, as cty's `FriendlyName` spells them.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Set(t) => write!(f, "set of {t}"),
            Type::Map(t) => write!(f, "map of {t}"),
            Type::Object(_) => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Type {
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("any", Type::Dynamic),
            ("tags", Type::map(Type::String)),
            ("zones", Type::set(Type::String)),
            (
                "bundle",
                Type::list(Type::object([("version", Type::String)])),
            ),
            ("pair", Type::tuple([Type::String, Type::Number])),
        ])
    }

    #[test]
    fn json_form_matches_cty() {
        assert_eq!(Type::String.to_json(), json!("string"));
        assert_eq!(
            Type::list(Type::String).to_json(),
            json!(["list", "string"])
        );
        assert_eq!(
            Type::object([("a", Type::Number)]).to_json(),
            json!(["object", {"a": "number"}])
        );
        assert_eq!(
            sample().to_json_bytes(),
            br#"["object",{"any":"dynamic","bundle":["list",["object",{"version":"string"}]],"count":"number","enabled":"bool","name":"string","pair":["tuple",["string","number"]],"tags":["map","string"],"zones":["set","string"]}]"#
                .to_vec()
        );
        assert_eq!(Type::tuple([]).to_json_bytes(), br#"["tuple",[]]"#.to_vec());
        assert_eq!(
            Type::object::<&str>([]).to_json_bytes(),
            br#"["object",{}]"#.to_vec()
        );
    }

    #[test]
    fn round_trips() {
        let t = sample();
        assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
        assert_eq!(Type::from_json_bytes(&t.to_json_bytes()).unwrap(), t);
        let bytes_via_serde = serde_json::to_vec(&t.to_json()).unwrap();
        assert_eq!(bytes_via_serde, t.to_json_bytes());
    }

    #[test]
    fn accepts_optional_attribute_list() {
        let t = Type::from_json(&json!(["object", {"a": "string", "b": "number"}, ["b"]])).unwrap();
        assert_eq!(t, Type::object([("a", Type::String), ("b", Type::Number)]));
    }

    #[test]
    fn rejects_invalid_descriptions() {
        for bad in [
            json!("str"),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(["object", ["a"]]),
            json!(["object", {"a": "string"}, "b"]),
            json!(["tuple", {"a": "string"}]),
            json!(["frob", "string"]),
            json!([1, "string"]),
            json!(42),
            json!(null),
        ] {
            assert!(
                matches!(Type::from_json(&bad), Err(CodecError::InvalidType(_))),
                "{bad}"
            );
        }
        assert!(Type::from_json_bytes(b"[\"list\",").is_err());
    }

    #[test]
    fn friendly_names() {
        assert_eq!(
            Type::list(Type::map(Type::Number)).to_string(),
            "list of map of number"
        );
        assert_eq!(sample().to_string(), "object");
    }

    #[test]
    fn knows_where_dynamic_hides() {
        assert!(sample().has_dynamic());
        assert!(!Type::list(Type::String).has_dynamic());
    }
}
