//! Generic planning, so that no resource has to think about it: defaults, computed values,
//! requires-replace (also conditional), and which computed values an update makes unknown.
//!
//! Terraform's rules (see protocol-facts.md): non-null config values stay as written; only
//! computed attributes with null config may be chosen by the provider; anything known at plan
//! time must come out of apply unchanged.

use std::collections::BTreeMap;

use super::diagnostics::{AttrPath, Diagnostics};
use super::schema::{Block, Nesting, OnUpdate, Replace, Schema};
use super::Value;

static NULL: Value = Value::Null;

/// An attribute (or map element), null when absent: plans walk prior, proposed and config side
/// by side, and any of them may lack the value.
fn field<'a>(object: &'a Value, name: &str) -> &'a Value {
    object.get(name).unwrap_or(&NULL)
}

fn elements(v: &Value) -> &[Value] {
    v.elements().unwrap_or(&[])
}

pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttrPath>,
}

/// Plans one resource instance. `prior` is null for a create; `proposed` is null for a destroy.
pub fn plan(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Planned {
    if proposed.is_null() {
        return Planned {
            state: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let mut planned = plan_block(&schema.block, prior, proposed, config);
    let mut requires_replace = Vec::new();
    if !prior.is_null() {
        replace_paths(
            &schema.block,
            prior,
            &planned,
            &AttrPath::default(),
            &mut requires_replace,
        );
        if requires_replace.is_empty() {
            recompute_on_update(&schema.block, prior, &mut planned);
        } else {
            // A replacement is a new object: everything computed is unknown again.
            planned = plan_block(&schema.block, &Value::Null, &planned, config);
        }
    }
    Planned {
        state: planned,
        requires_replace,
    }
}

fn plan_block(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Value {
    if proposed.is_null() {
        return Value::Null;
    }
    if !proposed.is_known() {
        return proposed.clone();
    }
    let mut out = BTreeMap::new();
    for (name, attr) in &block.attributes {
        let cfg = field(config, name);
        let prop = field(proposed, name);
        let value = if attr.computed && cfg.is_null() {
            if let Some(default) = &attr.default {
                default.clone()
            } else if prior.is_null() {
                Value::Unknown
            } else {
                // Terraform proposes the prior value for computed attributes; keep it.
                prop.clone()
            }
        } else {
            prop.clone()
        };
        out.insert(name.clone(), value);
    }
    // Defaults taken from a sibling follow its planned value (never from another computed one).
    for (name, attr) in &block.attributes {
        if let Some(source) = &attr.default_from {
            if field(config, name).is_null() {
                let value = out.get(source).cloned().unwrap_or(Value::Null);
                out.insert(name.clone(), value);
            }
        }
    }
    for (name, nested) in &block.blocks {
        let prop = field(proposed, name);
        let cfg = field(config, name);
        let pri = field(prior, name);
        let value = match nested.nesting {
            // A block cannot be computed: absent from the configuration means null, whatever
            // Terraform proposes (0.13 and 1.0 propose the prior block).
            Nesting::Single if cfg.is_null() => Value::Null,
            Nesting::Single => plan_block(&nested.block, pri, prop, cfg),
            Nesting::List | Nesting::Set => {
                if prop.is_null() || !prop.is_known() {
                    prop.clone()
                } else {
                    let items = elements(prop)
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let p = elements(pri).get(i).unwrap_or(&NULL);
                            let c = elements(cfg).get(i).unwrap_or(&NULL);
                            plan_block(&nested.block, p, item, c)
                        })
                        .collect();
                    if nested.nesting == Nesting::List {
                        Value::List(items)
                    } else {
                        Value::Set(items)
                    }
                }
            }
            Nesting::Map => match prop {
                Value::Map(items) => Value::Map(
                    items
                        .iter()
                        .map(|(k, item)| {
                            let (p, c) = (field(pri, k), field(cfg, k));
                            (k.clone(), plan_block(&nested.block, p, item, c))
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn replace_paths(
    block: &Block,
    prior: &Value,
    planned: &Value,
    at: &AttrPath,
    out: &mut Vec<AttrPath>,
) {
    for (name, attr) in &block.attributes {
        let p = field(prior, name);
        let n = field(planned, name);
        let needed = match attr.replace {
            Replace::Never => false,
            // An unknown value may turn out different, so it must plan a replacement.
            Replace::Always => p != n,
            Replace::If(rule) => p != n && rule(p, n),
        };
        if needed {
            out.push(at.clone().attr(name));
        }
    }
    for (name, nested) in &block.blocks {
        let p = field(prior, name);
        let n = field(planned, name);
        let path = at.clone().attr(name);
        if nested.replace {
            if p != n && nested.replace_if.is_none_or(|rule| rule(p, n)) {
                out.push(path);
            }
            continue;
        }
        match nested.nesting {
            Nesting::Single => replace_paths(&nested.block, p, n, &path, out),
            Nesting::List => {
                for (i, item) in elements(n).iter().enumerate() {
                    if let Some(before) = elements(p).get(i) {
                        replace_paths(&nested.block, before, item, &path.clone().index(i), out);
                    }
                }
            }
            // Set and map elements have no stable identity to compare attribute by attribute.
            Nesting::Set | Nesting::Map => {}
        }
    }
}

/// Computed attributes declared to follow other attributes become unknown when those change.
fn recompute_on_update(block: &Block, prior: &Value, planned: &mut Value) {
    let Value::Object(fields) = planned else {
        return;
    };
    let changed: Vec<String> = fields
        .iter()
        .filter(|(name, v)| field(prior, name) != *v)
        .map(|(name, _)| name.clone())
        .collect();
    for (name, attr) in &block.attributes {
        if let OnUpdate::RecomputeWhen(triggers) = &attr.on_update {
            if triggers.iter().any(|t| changed.contains(t)) {
                fields.insert(name.clone(), Value::Unknown);
            }
        }
    }
}

/// Runs every attribute validator on the known values of a configuration.
pub fn validate(block: &Block, config: &Value, at: &AttrPath, diags: &mut Diagnostics) {
    if config.is_null() || !config.is_known() {
        return;
    }
    for (name, attr) in &block.attributes {
        let value = field(config, name);
        if value.is_null() || !value.is_known() {
            continue;
        }
        let path = at.clone().attr(name);
        for v in &attr.validators {
            v.validate(value, &path, diags);
        }
    }
    for (name, nested) in &block.blocks {
        let value = field(config, name);
        let path = at.clone().attr(name);
        match nested.nesting {
            Nesting::Single => validate(&nested.block, value, &path, diags),
            Nesting::List | Nesting::Set => {
                for (i, item) in elements(value).iter().enumerate() {
                    validate(&nested.block, item, &path.clone().index(i), diags);
                }
            }
            Nesting::Map => {
                if let Value::Map(items) = value {
                    for (k, item) in items {
                        validate(&nested.block, item, &path.clone().key(k), diags);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{string, NestedBlock};

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn schema() -> Schema {
        Schema::new("t")
            .attr("id", string().computed())
            .attr("name", string().required().replace())
            .attr("size", string().required())
            .attr("tier", string().default("LOW").replace())
            .attr("status", string().computed())
            .attr("nodes", string().computed().recompute_when(&["size"]))
            .attr("standby", string().default_from("name"))
            .block(
                "opt",
                NestedBlock::single(
                    crate::framework::schema::Block::new("o").attr("k", string().default("d")),
                ),
            )
    }

    /// The state of a created object, as the next plan sees it.
    fn running() -> Value {
        obj(&[
            ("id", "1".into()),
            ("name", "a".into()),
            ("size", "s".into()),
            ("tier", "LOW".into()),
            ("status", "RUNNING".into()),
            ("nodes", "n".into()),
            ("standby", "a".into()),
            ("opt", Value::Null),
        ])
    }

    #[test]
    fn create_fills_defaults_and_unknowns() {
        let s = schema();
        let config = obj(&[
            ("name", "a".into()),
            ("size", "s".into()),
            ("opt", obj(&[])),
        ]);
        let p = plan(&s, &Value::Null, &config, &config);
        assert_eq!(field(&p.state, "tier"), &Value::from("LOW"));
        assert_eq!(field(&p.state, "id"), &Value::Unknown);
        assert_eq!(field(field(&p.state, "opt"), "k"), &Value::from("d"));
        assert_eq!(field(&p.state, "standby"), &Value::from("a"));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn update_keeps_prior_computed_and_recomputes_declared() {
        let s = schema();
        let prior = running();
        let config = obj(&[("name", "a".into()), ("size", "m".into())]);
        let mut proposed = prior.clone();
        if let Value::Object(f) = &mut proposed {
            f.insert("size".into(), "m".into());
        }
        let p = plan(&s, &prior, &proposed, &config);
        assert!(p.requires_replace.is_empty());
        assert_eq!(field(&p.state, "status"), &Value::from("RUNNING"));
        assert_eq!(field(&p.state, "id"), &Value::from("1"));
        assert_eq!(field(&p.state, "nodes"), &Value::Unknown);
    }

    #[test]
    fn replace_paths_and_unknown_computed() {
        let s = schema();
        let prior = running();
        let config = obj(&[
            ("name", "b".into()),
            ("size", "s".into()),
            ("tier", "HIGH".into()),
        ]);
        let mut proposed = prior.clone();
        if let Value::Object(f) = &mut proposed {
            f.insert("name".into(), "b".into());
            f.insert("tier".into(), "HIGH".into());
        }
        let p = plan(&s, &prior, &proposed, &config);
        let paths: Vec<String> = p.requires_replace.iter().map(|p| p.to_string()).collect();
        assert_eq!(paths, vec!["name", "tier"]);
        assert_eq!(field(&p.state, "id"), &Value::Unknown);
        assert_eq!(field(&p.state, "tier"), &Value::from("HIGH"));
    }

    #[test]
    fn a_block_removed_from_config_is_planned_away() {
        let s = schema();
        let mut prior = running();
        if let Value::Object(f) = &mut prior {
            f.insert("opt".into(), obj(&[("k", "d".into())]));
        }
        let config = obj(&[("name", "a".into()), ("size", "s".into())]);
        // Terraform 0.13 and 1.0 propose the prior block.
        let p = plan(&s, &prior, &prior, &config);
        assert_eq!(field(&p.state, "opt"), &Value::Null);
    }

    #[test]
    fn no_change_plans_prior() {
        let s = schema();
        let prior = running();
        let config = obj(&[("name", "a".into()), ("size", "s".into())]);
        let p = plan(&s, &prior, &prior, &config);
        assert_eq!(p.state, prior);
    }
}
