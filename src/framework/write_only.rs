//! Write-only attributes (plugin protocol 5.8 and 6.8, Terraform 1.11 and later): values that
//! exist only in the configuration. Terraform keeps them out of plan and state, and so does the
//! provider: every state it returns has them null ([`strip`]). The apply still needs them, so
//! they are taken from the configuration that ApplyResourceChange carries and handed to the
//! resource together with the plan ([`with_configured`]).
//!
//! Terraform before 1.11 ignores the schema flag and would store such a value in plan and state.
//! It does not announce `write_only_attributes_allowed` either, which is how [`refuse_unsupported`]
//! knows to turn any value it sends into an error before anything is planned.

use super::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use super::schema::{Block, Nesting};
use super::Value;

/// `value` with every write-only attribute, at any depth, set to null: what a state or plan
/// returned to Terraform must hold.
pub fn strip(block: &Block, value: &mut Value) {
    let Value::Object(fields) = value else { return };
    for (name, attr) in &block.attributes {
        if attr.write_only {
            if let Some(v) = fields.get_mut(name) {
                *v = Value::Null;
            }
        }
    }
    for (name, nested) in &block.blocks {
        let Some(child) = fields.get_mut(name) else {
            continue;
        };
        match (nested.nesting, child) {
            (Nesting::Single, c) => strip(&nested.block, c),
            (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
                items.iter_mut().for_each(|i| strip(&nested.block, i))
            }
            (Nesting::Map, Value::Map(items)) => {
                items.values_mut().for_each(|i| strip(&nested.block, i))
            }
            _ => {}
        }
    }
}

/// `planned` with the configured values of its write-only attributes filled in: what create and
/// update receive, since the plan itself never holds them.
pub fn with_configured(block: &Block, planned: &Value, config: &Value) -> Value {
    let mut out = planned.clone();
    fill(block, &mut out, config);
    out
}

fn fill(block: &Block, planned: &mut Value, config: &Value) {
    let Value::Object(fields) = planned else {
        return;
    };
    for (name, attr) in &block.attributes {
        if attr.write_only {
            let configured = config.get(name).cloned().unwrap_or(Value::Null);
            fields.insert(name.clone(), configured);
        }
    }
    for (name, nested) in &block.blocks {
        let (Some(child), Some(configured)) = (fields.get_mut(name), config.get(name)) else {
            continue;
        };
        match (nested.nesting, child) {
            (Nesting::Single, c) => fill(&nested.block, c, configured),
            // Blocks of a list are planned in the configuration's order, one for one.
            (Nesting::List, Value::List(items)) => {
                for (item, c) in items.iter_mut().zip(configured.elements().unwrap_or(&[])) {
                    fill(&nested.block, item, c);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (key, item) in items.iter_mut() {
                    if let Some(c) = configured.get(key) {
                        fill(&nested.block, item, c);
                    }
                }
            }
            // Schemas keep write-only attributes out of sets (see `Schema::check`).
            _ => {}
        }
    }
}

/// One error per write-only attribute that holds anything (an unknown value too) in a
/// configuration from a Terraform that cannot keep it out of plan and state.
pub fn refuse_unsupported(block: &Block, config: &Value, at: &AttrPath, diags: &mut Diagnostics) {
    if config.is_null() || !config.is_known() {
        return;
    }
    for (name, attr) in &block.attributes {
        if !attr.write_only || config.get(name).is_none_or(Value::is_null) {
            continue;
        }
        let path = at.clone().attr(name);
        let instead = match &attr.plain_twin {
            Some(plain) => format!("use {} instead", at.clone().attr(plain)),
            None => "leave it out, or upgrade Terraform".to_string(),
        };
        diags.push(
            Diagnostic::error(
                format!("{path} needs Terraform 1.11 or later"),
                format!(
                    "{path} is write-only and needs Terraform 1.11 or later; {instead}. This \
                     Terraform does not support write-only attributes: it would store the value \
                     in the plan and the state."
                ),
            )
            .at(path),
        );
    }
    for (name, nested) in &block.blocks {
        let Some(value) = config.get(name) else {
            continue;
        };
        let path = at.clone().attr(name);
        match nested.nesting {
            Nesting::Single => refuse_unsupported(&nested.block, value, &path, diags),
            Nesting::List | Nesting::Set => {
                for (i, item) in value.elements().unwrap_or(&[]).iter().enumerate() {
                    refuse_unsupported(&nested.block, item, &path.clone().index(i), diags);
                }
            }
            Nesting::Map => {
                for (key, item) in value.entries().into_iter().flatten() {
                    refuse_unsupported(&nested.block, item, &path.clone().key(key), diags);
                }
            }
        }
    }
}

/// A version set while its write-only value is not: the version only says when to send the
/// value again, so alone it is a mistake. Judged on known values only, for one block instance.
pub fn check_versions(block: &Block, config: &Value, at: &AttrPath, diags: &mut Diagnostics) {
    for (name, attr) in &block.attributes {
        let Some(secret) = &attr.version_of else {
            continue;
        };
        let version = config.get(name).unwrap_or(&Value::Null);
        let value = config.get(secret).unwrap_or(&Value::Null);
        if version.is_null() || !value.is_null() {
            continue;
        }
        let (path, secret) = (at.clone().attr(name), at.clone().attr(secret));
        diags.push(
            Diagnostic::error(
                format!("{path} needs {secret}"),
                format!(
                    "{path} only says when to send the write-only {secret} again; without \
                     {secret} there is nothing to send. Set {secret}, or remove {path}."
                ),
            )
            .at(path),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{number, string, Declare, NestedBlock, Schema, SchemaKind};

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn schema() -> Schema {
        Schema::new("t")
            .attr("id", string().computed())
            .attr("secret", string().optional().sensitive().in_place())
            .attr(
                "secret_wo",
                string().optional().sensitive().write_only_twin_of("secret"),
            )
            .attr(
                "secret_wo_version",
                number().optional().version_of("secret_wo"),
            )
            .block(
                "user",
                NestedBlock::list(
                    Block::new("u")
                        .attr("name", string().required().in_place())
                        .attr("key_wo", string().optional().write_only()),
                ),
            )
    }

    fn user(name: &str, key: Value) -> Value {
        obj(&[("name", name.into()), ("key_wo", key)])
    }

    fn configured() -> Value {
        obj(&[
            ("id", Value::Null),
            ("secret", Value::Null),
            ("secret_wo", "s3cret".into()),
            ("secret_wo_version", Value::from(1i64)),
            (
                "user",
                Value::list([user("a", "k-a".into()), user("b", Value::Null)]),
            ),
        ])
    }

    #[test]
    fn a_sound_schema_and_the_mistakes_it_is_checked_for() {
        assert_eq!(schema().check(SchemaKind::Resource), Vec::<String>::new());
        let mistakes = [
            string().required().write_only(),
            string().optional().computed().write_only(),
            string().default("x").write_only(),
            string().optional().write_only().in_place(),
            string().optional().write_only_twin_of("nothing"),
        ];
        for a in mistakes {
            let s = Schema::new("t").attr("x", a);
            assert_eq!(
                s.check(SchemaKind::Resource).len(),
                1,
                "{:?}",
                s.check(SchemaKind::Resource)
            );
        }
        let in_provider = Schema::new("p").attr("x", string().optional().write_only());
        assert_eq!(in_provider.check(SchemaKind::Provider).len(), 1);
        let in_set = Schema::new("t").block(
            "s",
            NestedBlock::set(Block::new("e").attr("x", string().optional().write_only())),
        );
        assert_eq!(in_set.check(SchemaKind::Resource).len(), 1);
        let bad_version = Schema::new("t")
            .attr("plain", string().optional().in_place())
            .attr("v", number().optional().version_of("plain"));
        assert_eq!(bad_version.check(SchemaKind::Resource).len(), 1);
    }

    #[test]
    fn strip_nulls_every_write_only_value_at_any_depth() {
        let s = schema();
        let mut v = configured();
        strip(&s.block, &mut v);
        assert_eq!(v.get("secret_wo"), Some(&Value::Null));
        assert_eq!(v.get("secret_wo_version"), Some(&Value::from(1i64)));
        let users = v.get("user").and_then(Value::elements).unwrap_or(&[]);
        assert_eq!(users[0], user("a", Value::Null));
        assert_eq!(users[1], user("b", Value::Null));
        // Null and unknown objects are left alone.
        let mut null = Value::Null;
        strip(&s.block, &mut null);
        assert_eq!(null, Value::Null);
    }

    #[test]
    fn the_apply_gets_the_configured_values_back() {
        let s = schema();
        let mut planned = configured();
        strip(&s.block, &mut planned);
        let merged = with_configured(&s.block, &planned, &configured());
        assert_eq!(merged, configured());
        // A plan without the attribute in config keeps it null.
        let merged = with_configured(&s.block, &planned, &Value::Null);
        assert_eq!(merged.get("secret_wo"), Some(&Value::Null));
    }

    #[test]
    fn an_old_terraform_is_refused_any_write_only_value() {
        let s = schema();
        let mut diags = Diagnostics::new();
        refuse_unsupported(&s.block, &configured(), &AttrPath::default(), &mut diags);
        let found: Vec<(String, String)> = diags
            .iter()
            .map(|d| {
                (
                    d.path.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                    d.detail.clone(),
                )
            })
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "secret_wo");
        assert!(
            found[0].1.starts_with(
                "secret_wo is write-only and needs Terraform 1.11 or later; use secret instead."
            ),
            "{}",
            found[0].1
        );
        assert_eq!(found[1].0, "user[0].key_wo");
        assert!(found[1].1.contains("leave it out, or upgrade Terraform"));
        assert!(!found.iter().any(|(_, d)| d.contains("s3cret")));
        // An unknown value will be a value: refused too. Null ones are fine.
        let mut diags = Diagnostics::new();
        let unknown = obj(&[("secret_wo", Value::Unknown), ("user", Value::Null)]);
        refuse_unsupported(&s.block, &unknown, &AttrPath::default(), &mut diags);
        assert_eq!(diags.iter().count(), 1);
        let mut diags = Diagnostics::new();
        let plain = obj(&[("secret", "s".into()), ("secret_wo", Value::Null)]);
        refuse_unsupported(&s.block, &plain, &AttrPath::default(), &mut diags);
        assert!(diags.is_empty());
    }

    #[test]
    fn a_version_alone_is_a_mistake() {
        let s = schema();
        let run = |config: Value| {
            let mut diags = Diagnostics::new();
            check_versions(&s.block, &config, &AttrPath::default(), &mut diags);
            diags.iter().map(|d| d.summary.clone()).collect::<Vec<_>>()
        };
        assert!(run(configured()).is_empty());
        let alone = obj(&[
            ("secret_wo", Value::Null),
            ("secret_wo_version", 2i64.into()),
        ]);
        assert_eq!(run(alone), ["secret_wo_version needs secret_wo"]);
        let unknown = obj(&[
            ("secret_wo", Value::Unknown),
            ("secret_wo_version", 2i64.into()),
        ]);
        assert!(run(unknown).is_empty(), "judged once known");
    }
}
