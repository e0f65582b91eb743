//! Values as Terraform exchanges them: null, unknown (not yet known at plan time), or known.
//!
//! A `Value` does not carry its type; the schema type is passed alongside when encoding and
//! decoding, as cty does. The one exception is `Dynamic`: at a `dynamic` position in the
//! schema the concrete type travels on the wire, and keeping it here makes round trips exact
//! (for instance a null *string* at a dynamic position differs from an untyped null).

use std::collections::BTreeMap;

use super::types::Type;

pub use super::number::Number;

#[derive(Clone, Debug)]
pub enum Value {
    /// A null of whatever type the position has.
    Null,
    /// Known only after apply. Refinements Terraform attaches (msgpack ext 12) are dropped:
    /// they narrow what the value may become, but providers owe Terraform nothing for them.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Elements in wire order; equality ignores order, as for cty sets.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// Attributes missing from the map are null.
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value at a `dynamic` position together with its concrete type (never `dynamic`).
    Dynamic {
        ty: Type,
        value: Box<Value>,
    },
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }

    pub fn set(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Set(items.into_iter().collect())
    }

    pub fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(items.into_iter().collect())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Wraps a value for a `dynamic` position with the concrete type it should carry.
    pub fn dynamic(ty: Type, value: Value) -> Value {
        Value::Dynamic {
            ty,
            value: Box::new(value),
        }
    }

    /// The value inside any `Dynamic` wrapper; accessors below already look through it.
    pub fn concrete(&self) -> &Value {
        match self {
            Value::Dynamic { value, .. } => value.concrete(),
            other => other,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.concrete(), Value::Null)
    }

    /// False only for an unknown value itself; a known list may still contain unknowns.
    pub fn is_known(&self) -> bool {
        !matches!(self.concrete(), Value::Unknown)
    }

    /// True when no unknown appears anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            Value::Dynamic { value, .. } => value.is_wholly_known(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.concrete() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.concrete() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.concrete() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// `None` unless this is a number that is an integer within i64.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::as_f64)
    }

    /// An object attribute or map element; `None` if absent or this is neither.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.concrete() {
            Value::Object(entries) | Value::Map(entries) => entries.get(name),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn elements(&self) -> Option<&[Value]> {
        match self.concrete() {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map or the attributes present in an object.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.concrete() {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short description for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic { .. } => "dynamic value",
        }
    }

    /// Whether the codecs accept this value at a position of type `ty`.
    pub fn conforms(&self, ty: &Type) -> bool {
        match (self, ty) {
            (Value::Null | Value::Unknown, _) => true,
            (Value::Dynamic { ty: inner, value }, _) => {
                *inner != Type::Dynamic
                    && (ty == &Type::Dynamic || ty == inner)
                    && value.conforms(inner)
            }
            (known, Type::Dynamic) => match known.implied_type() {
                Some(implied) => known.conforms(&implied),
                None => false,
            },
            (Value::Bool(_), Type::Bool)
            | (Value::Number(_), Type::Number)
            | (Value::String(_), Type::String) => true,
            (Value::List(items), Type::List(ety)) | (Value::Set(items), Type::Set(ety)) => {
                items.iter().all(|v| v.conforms(ety))
            }
            (Value::Map(entries), Type::Map(ety)) => entries.values().all(|v| v.conforms(ety)),
            (Value::Object(attrs), Type::Object(atys)) => attrs
                .iter()
                .all(|(name, v)| atys.get(name).is_some_and(|t| v.conforms(t))),
            (Value::Tuple(items), Type::Tuple(etys)) => {
                items.len() == etys.len() && items.iter().zip(etys).all(|(v, t)| v.conforms(t))
            }
            _ => false,
        }
    }

    /// The type this value would have if written at a `dynamic` position without a `Dynamic`
    /// wrapper. Nulls and unknowns imply `dynamic` (they fit anywhere); collections take the
    /// common type of their elements, and `None` means the elements have no common type.
    pub fn implied_type(&self) -> Option<Type> {
        Some(match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::Dynamic { ty, .. } => ty.clone(),
            Value::List(items) => Type::list(common_type(items.iter())?),
            Value::Set(items) => Type::set(common_type(items.iter())?),
            Value::Map(entries) => Type::map(common_type(entries.values())?),
            Value::Object(attrs) => Type::Object(
                attrs
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.implied_type()?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Tuple(items) => Type::Tuple(
                items
                    .iter()
                    .map(Value::implied_type)
                    .collect::<Option<_>>()?,
            ),
        })
    }
}

fn common_type<'a>(mut values: impl Iterator<Item = &'a Value>) -> Option<Type> {
    values.try_fold(Type::Dynamic, |acc, v| unify(&acc, &v.implied_type()?))
}

/// The most specific type both sides fit, treating `dynamic` (from nulls and unknowns) as a
/// wildcard.
fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Dynamic, t) | (t, Type::Dynamic) => Some(t.clone()),
        (Type::List(x), Type::List(y)) => Some(Type::list(unify(x, y)?)),
        (Type::Set(x), Type::Set(y)) => Some(Type::set(unify(x, y)?)),
        (Type::Map(x), Type::Map(y)) => Some(Type::map(unify(x, y)?)),
        (Type::Object(x), Type::Object(y)) => {
            let mut out = BTreeMap::new();
            for name in x.keys().chain(y.keys()) {
                let t = match (x.get(name), y.get(name)) {
                    (Some(p), Some(q)) => unify(p, q)?,
                    // An attribute only one element sets is null in the others.
                    (Some(p), None) | (None, Some(p)) => p.clone(),
                    (None, None) => continue,
                };
                out.insert(name.clone(), t);
            }
            Some(Type::Object(out))
        }
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => Some(Type::Tuple(
            x.iter()
                .zip(y)
                .map(|(p, q)| unify(p, q))
                .collect::<Option<_>>()?,
        )),
        (x, y) if x == y => Some(x.clone()),
        _ => None,
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => same_elements(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Dynamic { ty: ta, value: va }, Value::Dynamic { ty: tb, value: vb }) => {
                ta == tb && va == vb
            }
            _ => false,
        }
    }
}

/// Multiset equality; quadratic, which is fine for the set sizes Terraform schemas carry.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut matched = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .enumerate()
            .position(|(i, y)| !matched[i] && x == y);
        match found {
            Some(i) => {
                matched[i] = true;
                true
            }
            None => false,
        }
    })
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(i.into())
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Number(i.into())
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Self {
        Value::Number(u.into())
    }
}

impl From<u32> for Value {
    fn from(u: u32) -> Self {
        Value::Number(u.into())
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

/// `None` becomes null, which is how optional attributes read back from a model.
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Value {
        Value::object([
            ("name", Value::from("prod")),
            ("nodes", Value::from(3)),
            ("public", Value::from(false)),
            ("id", Value::Unknown),
            ("description", Value::Null),
            (
                "bundle",
                Value::list([Value::object([("version", Value::from("4.1"))])]),
            ),
        ])
    }

    #[test]
    fn accessors() {
        let v = cluster();
        assert_eq!(v.get("name").and_then(Value::as_str), Some("prod"));
        assert_eq!(v.get("nodes").and_then(Value::as_i64), Some(3));
        assert_eq!(v.get("nodes").and_then(Value::as_f64), Some(3.0));
        assert_eq!(v.get("public").and_then(Value::as_bool), Some(false));
        assert!(v.get("description").is_some_and(Value::is_null));
        assert!(v.get("missing").is_none());
        assert_eq!(
            v.get("bundle")
                .and_then(Value::elements)
                .map(<[Value]>::len),
            Some(1)
        );
        assert!(Value::from("x").get("a").is_none());
        assert_eq!(Value::from(Some("a")), Value::from("a"));
        assert_eq!(Value::from(None::<bool>), Value::Null);
    }

    #[test]
    fn knownness() {
        let v = cluster();
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(!Value::Unknown.is_known());
        assert!(Value::Null.is_wholly_known());
        let wrapped = Value::dynamic(Type::String, Value::Unknown);
        assert!(!wrapped.is_known());
        assert!(Value::dynamic(Type::String, Value::Null).is_null());
        assert_eq!(Value::dynamic(Type::String, "x".into()).as_str(), Some("x"));
        assert!(!Value::list([Value::set([Value::Unknown])]).is_wholly_known());
    }

    #[test]
    fn set_equality_ignores_order() {
        let a = Value::set(["a".into(), "b".into(), "b".into()]);
        let b = Value::set(["b".into(), "a".into(), "b".into()]);
        let c = Value::set(["a".into(), "a".into(), "b".into()]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(
            Value::list(["a".into(), "b".into()]),
            Value::list(["b".into(), "a".into()])
        );
        assert_ne!(Value::list([]), Value::set([]));
    }

    #[test]
    fn conformance() {
        let ty = Type::object([
            ("name", Type::String),
            ("nodes", Type::Number),
            ("public", Type::Bool),
            ("id", Type::String),
            ("description", Type::String),
            (
                "bundle",
                Type::list(Type::object([("version", Type::String)])),
            ),
        ]);
        assert!(cluster().conforms(&ty));
        assert!(!cluster().conforms(&Type::Object(Default::default())));
        assert!(!Value::from(1).conforms(&Type::String));
        assert!(Value::Null.conforms(&Type::list(Type::String)));
        assert!(!Value::tuple([Value::from(1)]).conforms(&Type::tuple([])));
        assert!(Value::dynamic(Type::String, "x".into()).conforms(&Type::Dynamic));
        assert!(Value::dynamic(Type::String, "x".into()).conforms(&Type::String));
        assert!(!Value::dynamic(Type::Number, "x".into()).conforms(&Type::Dynamic));
        assert!(Value::from("x").conforms(&Type::Dynamic));
        assert!(!Value::list(["a".into(), 1.into()]).conforms(&Type::Dynamic));
    }

    #[test]
    fn implied_types() {
        assert_eq!(
            Value::list([
                Value::object([("a", "x".into())]),
                Value::object([("a", Value::Null), ("b", true.into())]),
            ])
            .implied_type(),
            Some(Type::list(Type::object([
                ("a", Type::String),
                ("b", Type::Bool)
            ])))
        );
        assert_eq!(
            Value::list([]).implied_type(),
            Some(Type::list(Type::Dynamic))
        );
        assert_eq!(
            Value::tuple(["a".into(), 1.into()]).implied_type(),
            Some(Type::tuple([Type::String, Type::Number]))
        );
        assert_eq!(
            Value::map([("k", Value::from(1)), ("j", "x".into())]).implied_type(),
            None
        );
    }
}
