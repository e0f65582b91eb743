//! The provider's private state: bytes Terraform stores beside a resource's state and hands back
//! on every Read, Plan and Apply, never shown to the user. It carries what planning needs to know
//! about the state's origin: whether the prior state came from an import, and which arguments
//! the API could not report back then (interface.md's import rule).

use serde::{Deserialize, Serialize};

use super::diagnostics::AttrPath;

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq, Eq)]
pub struct Private {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Import>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Import {
    /// ImportResourceState produced a stub; the Read that follows has not run yet.
    Pending,
    /// The state was read after an import; these arguments (paths like `bundle[0].options`)
    /// were not reported by the API. Cleared by the next apply.
    Read { unreported: Vec<String> },
}

impl Private {
    /// Unreadable or foreign bytes count as empty: private state is a hint for planning, and a
    /// provider upgrade must never make a state unusable.
    pub fn from_bytes(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        if *self == Private::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn import_pending() -> Private {
        Private {
            import: Some(Import::Pending),
        }
    }

    pub fn is_import_pending(&self) -> bool {
        self.import == Some(Import::Pending)
    }

    /// The prior state came from an import and no apply has happened since.
    pub fn imported(&self) -> bool {
        self.import.is_some()
    }

    /// Whether the value at `path` (or the block holding it) was not reported back by the API
    /// when the state was imported.
    pub fn unreported(&self, path: &AttrPath) -> bool {
        let Some(Import::Read { unreported }) = &self.import else {
            return false;
        };
        let text = path.to_string();
        unreported.iter().any(|u| {
            text == *u
                || text
                    .strip_prefix(u.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    /// After an apply the state holds what the configuration asked for: the import is history.
    pub fn after_apply(mut self) -> Private {
        self.import = None;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_prefixes() {
        let p = Private {
            import: Some(Import::Read {
                unreported: vec!["bundle[0].options".into(), "rack".into()],
            }),
        };
        let back = Private::from_bytes(&p.to_bytes());
        assert_eq!(back, p);
        assert!(back.unreported(&AttrPath::root("bundle").index(0).attr("options")));
        assert!(back.unreported(&AttrPath::root("bundle").index(0).attr("options").key("k")));
        assert!(back.unreported(&AttrPath::root("rack").attr("n")));
        assert!(!back.unreported(&AttrPath::root("racks")));
        assert!(!back.unreported(&AttrPath::root("bundle").index(1).attr("options")));
        assert_eq!(Private::default().to_bytes(), Vec::<u8>::new());
        assert_eq!(Private::from_bytes(b"not json"), Private::default());
        assert!(!back.clone().after_apply().imported());
    }
}
