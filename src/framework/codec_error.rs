//! Errors from the cty value codecs, carrying the path to the offending value so that a
//! diagnostic can point at the attribute Terraform (or a provider author) got wrong.

use std::fmt;

/// One step into a value: an object attribute, a map key, or a list/set/tuple position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(u64),
}

/// A path rendered the way Terraform users read it: `.bundle[0].options["x"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(pub Vec<PathStep>);

impl Path {
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.0 {
            match step {
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// `".a.b: "` for a nested path, nothing at the root, so messages read naturally either way.
fn at(path: &Path) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum CodecError {
    /// The input (or the value being encoded) has a different shape than the schema type.
    #[error("{}expected {expected}, found {found}", at(.path))]
    Mismatch {
        path: Path,
        expected: String,
        found: String,
    },
    /// The bytes are not a well-formed encoding (truncated, bad UTF-8, trailing data, ...).
    #[error("{}{message}", at(.path))]
    Malformed { path: Path, message: String },
    /// The input nests deeper than the codec allows. It carries no path: that would be as long
    /// as the nesting.
    #[error("{0}")]
    TooDeep(String),
    /// A cty type description (schema `type` bytes or a dynamic value's type) is invalid.
    #[error("invalid type description: {0}")]
    InvalidType(String),
}

impl CodecError {
    /// The path of the offending value; empty for the root, for type-description errors and for
    /// nesting beyond the limit.
    pub fn path(&self) -> &Path {
        static ROOT: Path = Path(Vec::new());
        match self {
            CodecError::Mismatch { path, .. } | CodecError::Malformed { path, .. } => path,
            CodecError::InvalidType(_) | CodecError::TooDeep(_) => &ROOT,
        }
    }

    pub(crate) fn mismatch(
        path: &[PathStep],
        expected: impl fmt::Display,
        found: impl Into<String>,
    ) -> Self {
        CodecError::Mismatch {
            path: Path(path.to_vec()),
            expected: expected.to_string(),
            found: found.into(),
        }
    }

    /// The same error one step further from the root: codecs build the path on the way out of
    /// a failed descent, so a value that decodes fine costs no path at all.
    pub(crate) fn inside(mut self, step: PathStep) -> Self {
        if let CodecError::Mismatch { path, .. } | CodecError::Malformed { path, .. } = &mut self {
            path.0.insert(0, step);
        }
        self
    }

    pub(crate) fn malformed(path: &[PathStep], message: impl Into<String>) -> Self {
        CodecError::Malformed {
            path: Path(path.to_vec()),
            message: message.into(),
        }
    }
}

/// The concrete type a known value at a `dynamic` position is written with: its own wrapper's,
/// or the one implied by its shape. Both codecs need the same rule.
pub(crate) fn concrete_type<'v>(
    value: &'v super::Value,
    path: &[PathStep],
) -> Result<(super::Type, &'v super::Value), CodecError> {
    let (ty, inner) = match value {
        super::Value::Dynamic { ty, value } => (ty.clone(), value.as_ref()),
        known => match known.implied_type() {
            Some(ty) => (ty, known),
            None => {
                return Err(CodecError::malformed(
                    path,
                    format!(
                        "cannot infer a type for this {}; wrap it in Value::Dynamic",
                        known.kind()
                    ),
                ))
            }
        },
    };
    if ty == super::Type::Dynamic {
        return Err(CodecError::malformed(
            path,
            "a dynamic value's own type cannot be dynamic",
        ));
    }
    Ok((ty, inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_path() {
        let e = CodecError::mismatch(
            &[
                PathStep::Attr("bundle".into()),
                PathStep::Index(0),
                PathStep::Attr("version".into()),
            ],
            "string",
            "integer",
        );
        assert_eq!(
            e.to_string(),
            ".bundle[0].version: expected string, found integer"
        );

        let e = CodecError::malformed(&[PathStep::Key("a b".into())], "truncated");
        assert_eq!(e.to_string(), "[\"a b\"]: truncated");

        let e = CodecError::malformed(&[], "trailing bytes");
        assert_eq!(e.to_string(), "trailing bytes");
        assert!(e.path().is_root());
    }
}
