//! Generic planning, so that no resource has to think about it: defaults, computed values, each
//! argument's declared update behaviour (replace, in place, state only, fixed, or a rule), the
//! import rule, semantic equality, and which computed values an update makes unknown.
//!
//! Terraform's rules (see protocol-facts.md): non-null config values stay as written; only
//! computed attributes with null config may be chosen by the provider; anything known at plan
//! time must come out of apply unchanged.

use std::collections::BTreeMap;

use super::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use super::private::Private;
use super::schema::TIMEOUTS_BLOCK;
use super::schema::{Block, Change, NestedBlock, Nesting, OnChange, OnUpdate, Schema, SemanticEq};
use super::write_only;
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

/// What Terraform sent to PlanResourceChange.
pub struct PlanInput<'a> {
    /// Null for a create.
    pub prior: &'a Value,
    /// Null for a destroy.
    pub proposed: &'a Value,
    pub config: &'a Value,
    pub private: &'a Private,
}

/// The whole resource as a plan rule sees it.
pub struct PlanContext<'a> {
    pub prior: &'a Value,
    pub config: &'a Value,
    pub private: &'a Private,
}

impl PlanContext<'_> {
    /// The prior state came from `terraform import` (or an `import` block) and has not been
    /// applied since.
    pub fn imported(&self) -> bool {
        self.private.imported()
    }
}

/// One argument's change, as a [`super::schema::ChangeRule`] sees it.
pub struct ChangeRequest<'a> {
    pub path: &'a AttrPath,
    pub prior: &'a Value,
    pub planned: &'a Value,
    pub config: &'a Value,
    /// The planned resource as a whole (e.g. to read a sibling such as `action`).
    pub planned_resource: &'a Value,
    pub context: &'a PlanContext<'a>,
}

#[derive(Debug)]
pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diagnostics: Diagnostics,
}

/// Plans one resource instance.
pub fn plan(schema: &Schema, input: &PlanInput) -> Planned {
    let mut out = Planned {
        state: Value::Null,
        requires_replace: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    if input.proposed.is_null() {
        return out;
    }
    out.state = plan_block(&schema.block, input.prior, input.proposed, input.config);
    // Terraform proposes the configured write-only values; no plan may hold them, and no rule
    // below may take their appearance for a change.
    write_only::strip(&schema.block, &mut out.state);
    if input.prior.is_null() {
        return out;
    }
    let context = PlanContext {
        prior: input.prior,
        config: input.config,
        private: input.private,
    };
    let mut walk = Walk {
        context: &context,
        planned_resource: &out.state,
        replace: Vec::new(),
        recorded: Vec::new(),
        state_only: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    walk.block(
        &schema.block,
        input.prior,
        &out.state,
        input.config,
        &AttrPath::default(),
    );
    let Walk {
        replace,
        recorded,
        diagnostics,
        state_only,
        ..
    } = walk;
    out.diagnostics = diagnostics;
    // A replacement makes a new object from the configuration: what would only have been
    // recorded in state is then simply part of the new object, nothing to warn about.
    if replace.is_empty() {
        out.diagnostics.extend(state_only.into());
        if !recorded.is_empty() {
            out.diagnostics.push(import_warning(&recorded));
        }
    }
    if replace.is_empty() {
        recompute_on_update(&schema.block, input.prior, input.config, &mut out.state);
    } else {
        // A replacement is a new object: everything computed is unknown again.
        out.state = plan_block(&schema.block, &Value::Null, &out.state, input.config);
    }
    out.requires_replace = replace;
    out
}

fn import_warning(recorded: &[AttrPath]) -> Diagnostic {
    let names: Vec<String> = recorded.iter().map(|p| format!("`{p}`")).collect();
    Diagnostic::warning(
        "Arguments recorded in state only after import",
        format!(
            "The API does not report {} back, so the import could not read {}. The configured \
             values are recorded in Terraform state without calling the API and without \
             replacing the resource; make sure they match the real object.",
            names.join(", "),
            if names.len() == 1 { "it" } else { "them" },
        ),
    )
}

/// Classifies every changed argument by its declared behaviour.
struct Walk<'a> {
    context: &'a PlanContext<'a>,
    planned_resource: &'a Value,
    replace: Vec<AttrPath>,
    /// Changed arguments the import could not read: recorded in state only.
    recorded: Vec<AttrPath>,
    /// Warnings for state-only changes, shown unless the resource is replaced anyway.
    state_only: Vec<Diagnostic>,
    diagnostics: Diagnostics,
}

/// What a declaration says about one argument.
struct Declared<'s> {
    change: Option<&'s OnChange>,
    semantic_eq: Option<SemanticEq>,
    removal_error: Option<&'static str>,
    fixed_reason: Option<&'static str>,
}

impl Walk<'_> {
    fn block(
        &mut self,
        block: &Block,
        prior: &Value,
        planned: &Value,
        config: &Value,
        at: &AttrPath,
    ) {
        for (name, attr) in &block.attributes {
            let (p, n) = (field(prior, name), field(planned, name));
            // Unchanged: nothing to classify, and no path to build (the common case of a plan).
            if !attr.is_argument() || p == n {
                continue;
            }
            // Moving a secret to its configured write-only twin is no removal.
            let moved_to_twin = block.attributes.iter().any(|(twin, a)| {
                a.plain_twin.as_deref() == Some(name.as_str()) && !field(config, twin).is_null()
            });
            let declared = Declared {
                change: attr.change.as_ref(),
                semantic_eq: attr.semantic_eq,
                removal_error: attr.removal_error.filter(|_| !moved_to_twin),
                fixed_reason: attr.fixed_reason,
            };
            self.argument(&declared, p, n, field(config, name), &at.clone().attr(name));
        }
        for (name, nested) in &block.blocks {
            let (p, n, c) = (
                field(prior, name),
                field(planned, name),
                field(config, name),
            );
            if p == n || (name == TIMEOUTS_BLOCK && at.steps().is_empty()) {
                continue;
            }
            let path = at.clone().attr(name);
            if nested.change.is_some() {
                let declared = Declared {
                    change: nested.change.as_ref(),
                    semantic_eq: nested.semantic_eq,
                    removal_error: None,
                    fixed_reason: None,
                };
                self.argument(&declared, p, n, c, &path);
            } else {
                self.nested(nested, p, n, c, &path);
            }
        }
    }

    /// A block without a declaration of its own: its arguments speak for themselves, element by
    /// element (list by position, set by value, map by key).
    fn nested(&mut self, nested: &NestedBlock, p: &Value, n: &Value, c: &Value, path: &AttrPath) {
        match nested.nesting {
            Nesting::Single => self.block(&nested.block, p, n, c, path),
            Nesting::List => {
                let len = elements(p).len().max(elements(n).len());
                for i in 0..len {
                    let get = |v: &Value| elements(v).get(i).cloned().unwrap_or(Value::Null);
                    let (pi, ni, ci) = (get(p), get(n), get(c));
                    self.block(&nested.block, &pi, &ni, &ci, &path.clone().index(i));
                }
            }
            Nesting::Set => {
                // An element is its value: unchanged elements are in both sets, a changed one
                // is the removal of the old and the addition of the new. Set elements have no
                // path of their own, so everything lands on the set.
                let (replace, recorded, diags, warned) = (
                    self.replace.len(),
                    self.recorded.len(),
                    self.diagnostics.0.len(),
                    self.state_only.len(),
                );
                let removed = elements(p).iter().filter(|e| !elements(n).contains(e));
                let added = elements(n).iter().filter(|e| !elements(p).contains(e));
                for e in removed {
                    self.block(&nested.block, e, &NULL, &NULL, path);
                }
                for e in added {
                    self.block(&nested.block, &NULL, e, e, path);
                }
                let onto_set = |p: &mut AttrPath| *p = path.clone();
                self.replace[replace..].iter_mut().for_each(onto_set);
                self.recorded[recorded..].iter_mut().for_each(onto_set);
                for d in self.diagnostics.0[diags..]
                    .iter_mut()
                    .chain(&mut self.state_only[warned..])
                {
                    d.path = Some(path.clone());
                }
                dedup_tail(&mut self.replace, replace);
                dedup_tail(&mut self.recorded, recorded);
            }
            Nesting::Map => {
                let mut keys: Vec<&String> = Vec::new();
                for v in [p, n] {
                    keys.extend(v.entries().into_iter().flat_map(|m| m.keys()));
                }
                keys.sort();
                keys.dedup();
                for k in keys {
                    self.block(
                        &nested.block,
                        field(p, k),
                        field(n, k),
                        field(c, k),
                        &path.clone().key(k),
                    );
                }
            }
        }
    }

    fn argument(
        &mut self,
        declared: &Declared,
        prior: &Value,
        planned: &Value,
        config: &Value,
        path: &AttrPath,
    ) {
        if prior == planned {
            return;
        }
        if let Some(eq) = declared.semantic_eq {
            if prior.is_wholly_known() && planned.is_wholly_known() && eq(prior, planned) {
                // Terraform still shows the new spelling as an update; say that it sends nothing.
                self.state_only.push(
                    Diagnostic::warning(
                        format!("{path} means the same as before"),
                        format!("The new value of {path} is another way of writing the current one: the plan records the new spelling in state and sends nothing to the API."),
                    )
                    .at(path.clone()),
                );
                return;
            }
        }
        let change = match declared.change {
            // Inside a block that declares for all of it, or timeouts: nothing to classify.
            None => return,
            Some(OnChange::Always(c)) => *c,
            Some(OnChange::Rule { rule, .. }) => {
                let request = ChangeRequest {
                    path,
                    prior,
                    planned,
                    config,
                    planned_resource: self.planned_resource,
                    context: self.context,
                };
                rule(&request, &mut self.diagnostics)
            }
        };
        if change != Change::InPlace
            && only_unreported_differ(self.context.private, prior, planned, path)
        {
            self.recorded.push(path.clone());
            return;
        }
        match change {
            Change::Replace => self.replace.push(path.clone()),
            Change::InPlace => {
                if let Some(why) = declared.removal_error {
                    if planned.is_null() && !prior.is_null() {
                        self.diagnostics.push(
                            Diagnostic::error(
                                format!("{path} cannot be removed"),
                                format!("Removing {path} from the configuration cannot be applied: {why}"),
                            )
                            .at(path.clone()),
                        );
                    }
                }
            }
            Change::StateOnly => self.state_only.push(
                Diagnostic::warning(
                    format!("Changing {path} only updates Terraform state"),
                    format!("No API applies a change of {path}: the new value is recorded in state, and nothing is sent."),
                )
                .at(path.clone()),
            ),
            // An unknown value is judged again at apply time, once known.
            Change::Fixed if !planned.is_wholly_known() => {}
            Change::Fixed => {
                let why = declared.fixed_reason.unwrap_or("the API offers no way to change it");
                self.diagnostics.push(
                    Diagnostic::error(
                        format!("{path} cannot be changed"),
                        format!("{path} cannot be changed once applied: {why}. Restore the previous value."),
                    )
                    .at(path.clone()),
                )
            }
        }
    }
}

/// Whether every difference between `prior` and `planned` lies in what the import could not read
/// (for a block declared as one argument, the differences may sit deep inside it).
fn only_unreported_differ(
    private: &Private,
    prior: &Value,
    planned: &Value,
    path: &AttrPath,
) -> bool {
    if private.unreported(path) || prior == planned {
        return true;
    }
    if !private.imported() {
        return false;
    }
    let all = |pairs: Vec<(AttrPath, &Value, &Value)>| {
        pairs
            .iter()
            .all(|(p, a, b)| a == b || only_unreported_differ(private, a, b, p))
    };
    match (prior, planned) {
        (Value::Object(a), Value::Object(b)) | (Value::Map(a), Value::Map(b)) => {
            let object = matches!(prior, Value::Object(_));
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            all(keys
                .into_iter()
                .map(|k| {
                    let p = if object {
                        path.clone().attr(k)
                    } else {
                        path.clone().key(k)
                    };
                    (p, field(prior, k), field(planned, k))
                })
                .collect())
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() => all(a
            .iter()
            .zip(b)
            .enumerate()
            .map(|(i, (x, y))| (path.clone().index(i), x, y))
            .collect()),
        _ => false,
    }
}

/// Drops repeats among `v[from..]`, keeping the first of each.
fn dedup_tail(v: &mut Vec<AttrPath>, from: usize) {
    let mut seen: Vec<AttrPath> = v[..from].to_vec();
    let tail = v.split_off(from);
    for p in tail {
        if !seen.contains(&p) {
            seen.push(p.clone());
            v.push(p);
        }
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
                            let (p, c) = if nested.nesting == Nesting::List {
                                (
                                    elements(pri).get(i).unwrap_or(&NULL),
                                    elements(cfg).get(i).unwrap_or(&NULL),
                                )
                            } else {
                                (
                                    same_element(&nested.block, elements(pri), item),
                                    same_element(&nested.block, elements(cfg), item),
                                )
                            };
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

/// The element of a set that is `item` as far as the user can say: the same values in every
/// attribute that is not purely computed.
fn same_element<'a>(block: &Block, candidates: &'a [Value], item: &Value) -> &'a Value {
    let key = |v: &Value| -> Vec<Value> {
        block
            .attributes
            .iter()
            .filter(|(_, a)| a.is_argument())
            .map(|(n, _)| field(v, n).clone())
            .chain(block.blocks.keys().map(|n| field(v, n).clone()))
            .collect()
    };
    let wanted = key(item);
    candidates
        .iter()
        .find(|c| key(c) == wanted)
        .unwrap_or(&NULL)
}

/// Computed attributes declared to follow other attributes become unknown when those change,
/// at any depth: a nested element's computed attribute follows its own siblings. An optional
/// one follows them only while the configuration leaves it unset.
fn recompute_on_update(block: &Block, prior: &Value, config: &Value, planned: &mut Value) {
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
            if triggers.iter().any(|t| changed.contains(t)) && field(config, name).is_null() {
                fields.insert(name.clone(), Value::Unknown);
            }
        }
    }
    for (name, nested) in &block.blocks {
        let Some(child) = fields.get_mut(name) else {
            continue;
        };
        let before = field(prior, name);
        let configured = field(config, name);
        match (nested.nesting, child) {
            (Nesting::Single, c) => recompute_on_update(&nested.block, before, configured, c),
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let p = elements(before).get(i).unwrap_or(&NULL);
                    let c = elements(configured).get(i).unwrap_or(&NULL);
                    recompute_on_update(&nested.block, p, c, item);
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (k, item) in items.iter_mut() {
                    recompute_on_update(
                        &nested.block,
                        field(before, k),
                        field(configured, k),
                        item,
                    );
                }
            }
            // A changed set element is a new element; unchanged ones have nothing to recompute.
            _ => {}
        }
    }
}

/// Runs every attribute validator on the known values of a configuration. A validator of a
/// sensitive attribute never gets to show its value: any quote of it is cut from the message.
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
        let mut found = Diagnostics::new();
        for v in &attr.validators {
            v.validate(value, &path, &mut found);
        }
        if attr.sensitive {
            if let Some(secret) = value.as_str().filter(|s| !s.is_empty()) {
                for d in &mut found.0 {
                    d.summary = d.summary.replace(secret, "(sensitive value)");
                    d.detail = d.detail.replace(secret, "(sensitive value)");
                }
            }
        }
        diags.extend(found);
    }
    conflicts(block, config, at, diags);
    write_only::check_versions(block, config, at, diags);
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

/// Two siblings set that cannot be set together, on the attribute that declares the conflict.
/// An unknown value may still turn out null: it is judged once known.
fn conflicts(block: &Block, config: &Value, at: &AttrPath, diags: &mut Diagnostics) {
    let set = |name: &str| {
        let v = field(config, name);
        !v.is_null() && v.is_known()
    };
    for (name, attr) in &block.attributes {
        if !set(name) {
            continue;
        }
        for other in attr.conflicts_with.iter().filter(|o| set(o)) {
            let (path, other_path) = (at.clone().attr(name), at.clone().attr(other));
            let detail = if attr.plain_twin.as_deref() == Some(other.as_str()) {
                format!(
                    "{path} is the write-only form of {other_path} (Terraform 1.11 and later): \
                     set one of them, not both."
                )
            } else {
                format!("Set {path} or {other_path}, not both.")
            };
            diags.push(
                Diagnostic::error(format!("{path} conflicts with {other_path}"), detail).at(path),
            );
        }
    }
}

/// Every known string value of a sensitive attribute in `value`, at any depth: what must never
/// appear in a log line or a diagnostic.
pub fn sensitive_strings(block: &Block, value: &Value, out: &mut Vec<String>) {
    if !value.is_known() || value.is_null() {
        return;
    }
    for (name, attr) in &block.attributes {
        if attr.sensitive {
            collect_strings(field(value, name), out);
        }
    }
    for (name, nested) in &block.blocks {
        let v = field(value, name);
        match nested.nesting {
            Nesting::Single => sensitive_strings(&nested.block, v, out),
            Nesting::List | Nesting::Set => {
                for item in elements(v) {
                    sensitive_strings(&nested.block, item, out);
                }
            }
            Nesting::Map => {
                for item in v.entries().into_iter().flat_map(|m| m.values()) {
                    sensitive_strings(&nested.block, item, out);
                }
            }
        }
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter().for_each(|i| collect_strings(i, out))
        }
        Value::Map(m) | Value::Object(m) => m.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// The paths of arguments that are null in `value`: after an import, what the API did not
/// report back. A null block counts as one argument.
pub fn null_arguments(block: &Block, value: &Value, at: &AttrPath, out: &mut Vec<String>) {
    for (name, attr) in &block.attributes {
        if !attr.is_argument() {
            continue;
        }
        let v = field(value, name);
        if v.is_null() {
            out.push(at.clone().attr(name).to_string());
        } else if let Some(entries) = v.entries() {
            for key in attr.unreported_keys {
                if !entries.contains_key(*key) {
                    out.push(at.clone().attr(name).key(key).to_string());
                }
            }
        }
    }
    for (name, nested) in &block.blocks {
        if name == TIMEOUTS_BLOCK && at.steps().is_empty() {
            continue;
        }
        let path = at.clone().attr(name);
        let v = field(value, name);
        if v.is_null() {
            out.push(path.to_string());
            continue;
        }
        match nested.nesting {
            Nesting::Single => null_arguments(&nested.block, v, &path, out),
            Nesting::List => {
                for (i, item) in elements(v).iter().enumerate() {
                    null_arguments(&nested.block, item, &path.clone().index(i), out);
                }
            }
            Nesting::Map => {
                for (k, item) in v.entries().into_iter().flatten() {
                    null_arguments(&nested.block, item, &path.clone().key(k), out);
                }
            }
            // Set elements have no paths of their own; the set was reported as a whole.
            Nesting::Set => {}
        }
    }
}

/// Where `fresh` (what the API reported) and `kept` (the configuration's or state's spelling)
/// differ only in spelling, as an attribute's semantic equality decides, `fresh` takes the
/// kept spelling, so Terraform never sees a change that is not one.
pub fn keep_spelling(block: &Block, kept: &Value, fresh: &mut Value) {
    let Value::Object(fields) = fresh else { return };
    for (name, attr) in &block.attributes {
        let Some(eq) = attr.semantic_eq else { continue };
        let before = field(kept, name);
        if let Some(now) = fields.get_mut(name) {
            if before.is_wholly_known() && now.is_wholly_known() && before != now && eq(before, now)
            {
                *now = before.clone();
            }
        }
    }
    for (name, nested) in &block.blocks {
        let before = field(kept, name);
        let Some(now) = fields.get_mut(name) else {
            continue;
        };
        if let Some(eq) = nested.semantic_eq {
            if before.is_wholly_known() && now.is_wholly_known() && before != now && eq(before, now)
            {
                *now = before.clone();
                continue;
            }
        }
        match (nested.nesting, now) {
            (Nesting::Single, n) => keep_spelling(&nested.block, before, n),
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    keep_spelling(
                        &nested.block,
                        elements(before).get(i).unwrap_or(&NULL),
                        item,
                    );
                }
            }
            (Nesting::Map, Value::Map(items)) => {
                for (k, item) in items.iter_mut() {
                    keep_spelling(&nested.block, field(before, k), item);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::private::Import;
    use crate::framework::schema::{
        map_of, number, string, Block, Declare, NestedBlock, SchemaKind,
    };
    use crate::framework::Type;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn with(mut v: Value, name: &str, value: Value) -> Value {
        if let Value::Object(f) = &mut v {
            f.insert(name.to_string(), value);
        }
        v
    }

    fn grows(req: &ChangeRequest, _: &mut Diagnostics) -> Change {
        match (req.prior.as_i64(), req.planned.as_i64()) {
            (Some(a), Some(b)) if b >= a => Change::InPlace,
            _ => Change::Replace,
        }
    }

    fn schema() -> Schema {
        Schema::new("t")
            .attr("id", string().computed())
            .attr("name", string().required().replace())
            .attr("size", string().required().in_place())
            .attr(
                "count",
                number().optional().change_rule(grows, "grow in place"),
            )
            .attr("tier", string().default("LOW").replace())
            .attr("note", string().optional().state_only())
            .attr("zone", string().optional().fixed())
            .attr(
                "secret",
                string()
                    .optional()
                    .in_place()
                    .no_removal("no API removes it"),
            )
            .attr("status", string().computed())
            .attr("nodes", string().computed().recompute_when(&["size"]))
            .attr("standby", string().default_from("name").state_only())
            .block(
                "opt",
                NestedBlock::single(Block::new("o").attr("k", string().default("d"))).replace(),
            )
            .block(
                "item",
                NestedBlock::list(
                    Block::new("i")
                        .attr("v", string().required().in_place())
                        .attr("w", string().optional().replace())
                        .attr("c", string().computed().recompute_when(&["v"])),
                ),
            )
    }

    /// The state of a created object, as the next plan sees it.
    fn running() -> Value {
        obj(&[
            ("id", "1".into()),
            ("name", "a".into()),
            ("size", "s".into()),
            ("count", Value::from(2i64)),
            ("tier", "LOW".into()),
            ("note", Value::Null),
            ("zone", "z1".into()),
            ("secret", "pw".into()),
            ("status", "RUNNING".into()),
            ("nodes", "n".into()),
            ("standby", "a".into()),
            ("opt", Value::Null),
            (
                "item",
                Value::list([obj(&[
                    ("v", "x".into()),
                    ("w", Value::Null),
                    ("c", "cx".into()),
                ])]),
            ),
        ])
    }

    fn config_of(state: &Value) -> Value {
        let mut c = state.clone();
        for k in ["id", "status", "nodes", "standby", "tier"] {
            c = with(c, k, Value::Null);
        }
        c
    }

    /// Plans `state` with `config` changed by `edit`, as Terraform proposes it.
    fn plan_edit(private: &Private, edit: impl Fn(Value) -> Value) -> Planned {
        let prior = running();
        let config = edit(config_of(&prior));
        let mut proposed = config.clone();
        for k in ["id", "status", "nodes", "standby", "tier"] {
            if field(&config, k).is_null() {
                proposed = with(proposed, k, field(&prior, k).clone());
            }
        }
        plan(
            &schema(),
            &PlanInput {
                prior: &prior,
                proposed: &proposed,
                config: &config,
                private,
            },
        )
    }

    fn paths(p: &Planned) -> Vec<String> {
        p.requires_replace.iter().map(|p| p.to_string()).collect()
    }

    fn messages(p: &Planned) -> Vec<(bool, String)> {
        p.diagnostics
            .iter()
            .map(|d| {
                (
                    d.severity == crate::framework::diagnostics::Severity::Error,
                    d.path.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn the_test_schema_is_sound() {
        assert_eq!(schema().check(SchemaKind::Resource), Vec::<String>::new());
        let bad = Schema::new("b").attr("x", string().optional());
        assert_eq!(bad.check(SchemaKind::Resource).len(), 1);
        assert!(bad.check(SchemaKind::Provider).is_empty());
    }

    #[test]
    fn create_fills_defaults_and_unknowns() {
        let s = schema();
        let config = obj(&[
            ("name", "a".into()),
            ("size", "s".into()),
            ("opt", obj(&[])),
        ]);
        let p = plan(
            &s,
            &PlanInput {
                prior: &Value::Null,
                proposed: &config,
                config: &config,
                private: &Private::default(),
            },
        );
        assert_eq!(field(&p.state, "tier"), &Value::from("LOW"));
        assert_eq!(field(&p.state, "id"), &Value::Unknown);
        assert_eq!(field(field(&p.state, "opt"), "k"), &Value::from("d"));
        assert_eq!(field(&p.state, "standby"), &Value::from("a"));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn no_change_plans_prior() {
        let p = plan_edit(&Private::default(), |c| c);
        assert_eq!(p.state, running());
        assert!(p.diagnostics.is_empty() && p.requires_replace.is_empty());
    }

    #[test]
    fn in_place_keeps_computed_and_recomputes_declared() {
        let p = plan_edit(&Private::default(), |c| with(c, "size", "m".into()));
        assert!(p.requires_replace.is_empty() && p.diagnostics.is_empty());
        assert_eq!(field(&p.state, "status"), &Value::from("RUNNING"));
        assert_eq!(field(&p.state, "nodes"), &Value::Unknown);
    }

    #[test]
    fn replace_applies_to_adding_changing_and_removing() {
        let p = plan_edit(&Private::default(), |c| with(c, "name", "b".into()));
        assert_eq!(paths(&p), ["name"]);
        // standby follows name (state only), but a new object needs no such warning.
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(field(&p.state, "id"), &Value::Unknown);
        let p = plan_edit(&Private::default(), |c| {
            with(c, "opt", obj(&[("k", "e".into())]))
        });
        assert_eq!(paths(&p), ["opt"]);
        let p = plan_edit(&Private::default(), |c| {
            with(
                c,
                "item",
                Value::list([obj(&[("v", "x".into()), ("w", "set".into())])]),
            )
        });
        assert_eq!(paths(&p), ["item[0].w"]);
    }

    #[test]
    fn rules_pick_per_change() {
        let p = plan_edit(&Private::default(), |c| with(c, "count", Value::from(3i64)));
        assert!(p.requires_replace.is_empty());
        let p = plan_edit(&Private::default(), |c| with(c, "count", Value::from(1i64)));
        assert_eq!(paths(&p), ["count"]);
        let p = plan_edit(&Private::default(), |c| with(c, "count", Value::Null));
        assert_eq!(paths(&p), ["count"], "removal follows the rule too");
    }

    #[test]
    fn state_only_warns_fixed_and_removal_fail() {
        let p = plan_edit(&Private::default(), |c| with(c, "note", "hi".into()));
        assert_eq!(messages(&p), [(false, "note".to_string())]);
        let p = plan_edit(&Private::default(), |c| with(c, "zone", "z2".into()));
        assert_eq!(messages(&p), [(true, "zone".to_string())]);
        let p = plan_edit(&Private::default(), |c| with(c, "zone", Value::Unknown));
        assert!(p.diagnostics.is_empty(), "judged at apply, once known");
        let p = plan_edit(&Private::default(), |c| with(c, "secret", Value::Null));
        assert_eq!(messages(&p), [(true, "secret".to_string())]);
        let p = plan_edit(&Private::default(), |c| with(c, "secret", "new".into()));
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn nested_recompute_follows_siblings() {
        let p = plan_edit(&Private::default(), |c| {
            with(
                c,
                "item",
                Value::list([obj(&[("v", "y".into()), ("w", Value::Null)])]),
            )
        });
        assert!(p.requires_replace.is_empty());
        let item = &elements(field(&p.state, "item"))[0];
        assert_eq!(field(item, "c"), &Value::Unknown);
        assert_eq!(field(&p.state, "nodes"), &Value::from("n"));
    }

    #[test]
    fn the_first_plan_after_import_never_replaces() {
        let private = Private {
            import: Some(Import::Read {
                unreported: ["name", "note", "secret", "opt", "standby"]
                    .map(String::from)
                    .to_vec(),
            }),
        };
        let p = plan_edit(&private, |c| {
            let c = with(c, "name", "b".into());
            let c = with(c, "note", "n".into());
            let c = with(c, "secret", "s2".into());
            with(c, "opt", obj(&[("k", "d".into())]))
        });
        assert!(p.requires_replace.is_empty(), "{:?}", paths(&p));
        // One warning listing what is recorded in state only; the in-place secret is sent.
        assert_eq!(messages(&p), [(false, String::new())]);
        let text = &p.diagnostics.0[0].detail;
        assert!(
            text.contains("`name`") && text.contains("`note`") && text.contains("`opt`"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        // What the API did report follows the normal rules.
        let p = plan_edit(&private, |c| with(c, "zone", "z9".into()));
        assert_eq!(messages(&p), [(true, "zone".to_string())]);
    }

    #[test]
    fn map_keys_a_read_may_leave_out_count_as_unreported_after_import() {
        let s = Schema::new("t").attr(
            "m",
            map_of(Type::String)
                .required()
                .replace()
                .unreported_keys(&["account"]),
        );
        let map = |pairs: &[(&str, &str)]| {
            obj(&[(
                "m",
                Value::map(pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v)))),
            )])
        };
        let read = map(&[("name", "AWS")]);
        let mut unreported = Vec::new();
        null_arguments(&s.block, &read, &Default::default(), &mut unreported);
        assert_eq!(unreported, [r#"m["account"]"#]);
        let imported = Private {
            import: Some(Import::Read { unreported }),
        };
        let run = |private: &Private, config: &Value| {
            plan(
                &s,
                &PlanInput {
                    prior: &read,
                    proposed: config,
                    config,
                    private,
                },
            )
        };
        let config = map(&[("name", "AWS"), ("account", "a")]);
        assert!(run(&imported, &config).requires_replace.is_empty());
        assert_eq!(paths(&run(&Private::default(), &config)), ["m"]);
        let other = map(&[("name", "GCP"), ("account", "a")]);
        assert_eq!(paths(&run(&imported, &other)), ["m"]);
    }

    #[test]
    fn inside_a_block_declared_as_one_only_unreadable_parts_may_differ() {
        let s = Schema::new("t").block(
            "p",
            NestedBlock::single(
                Block::new("p")
                    .attr("name", string().required())
                    .attr("key", string().optional()),
            )
            .replace(),
        );
        let block =
            |name: &str, key: Value| obj(&[("p", obj(&[("name", name.into()), ("key", key)]))]);
        let prior = block("AWS", Value::Null);
        let imported = Private {
            import: Some(Import::Read {
                unreported: vec!["p.key".into()],
            }),
        };
        let run = |private: &Private, config: &Value| {
            plan(
                &s,
                &PlanInput {
                    prior: &prior,
                    proposed: config,
                    config,
                    private,
                },
            )
        };
        let with_key = block("AWS", "k".into());
        assert!(run(&imported, &with_key).requires_replace.is_empty());
        assert_eq!(paths(&run(&Private::default(), &with_key)), ["p"]);
        // A readable part that differs still replaces.
        assert_eq!(paths(&run(&imported, &block("GCP", "k".into()))), ["p"]);
    }

    #[test]
    fn semantic_equality_is_no_change() {
        fn same_case(a: &Value, b: &Value) -> bool {
            a.as_str().map(str::to_lowercase) == b.as_str().map(str::to_lowercase)
        }
        let s = Schema::new("t")
            .attr("v", string().required().replace().semantic_eq(same_case))
            .attr("c", string().computed().recompute_when(&["v"]));
        let prior = obj(&[("v", "ABC".into()), ("c", "x".into())]);
        let config = obj(&[("v", "abc".into()), ("c", Value::Null)]);
        let proposed = with(config.clone(), "c", "x".into());
        let p = plan(
            &s,
            &PlanInput {
                prior: &prior,
                proposed: &proposed,
                config: &config,
                private: &Private::default(),
            },
        );
        assert!(p.requires_replace.is_empty());
        assert_eq!(
            messages(&p),
            [(false, "v".to_string())],
            "a respelling says it sends nothing"
        );
        let mut fresh = obj(&[("v", "Abc".into()), ("c", "y".into())]);
        keep_spelling(&s.block, &config, &mut fresh);
        assert_eq!(field(&fresh, "v"), &Value::from("abc"));
    }

    #[test]
    fn set_elements_are_matched_by_value() {
        let inner = || {
            Block::new("e")
                .attr("k", string().required().replace())
                .attr("id", string().computed())
        };
        let s = Schema::new("t").block("e", NestedBlock::set(inner()));
        let el = |k: &str, id: Value| obj(&[("k", k.into()), ("id", id)]);
        let prior = obj(&[("e", Value::set([el("a", "1".into()), el("b", "2".into())]))]);
        // The same elements in another order: nothing changes.
        let config = obj(&[(
            "e",
            Value::set([el("b", Value::Null), el("a", Value::Null)]),
        )]);
        let proposed = obj(&[("e", Value::set([el("b", "2".into()), el("a", "1".into())]))]);
        let p = plan(
            &s,
            &PlanInput {
                prior: &prior,
                proposed: &proposed,
                config: &config,
                private: &Private::default(),
            },
        );
        assert!(p.requires_replace.is_empty());
        // A new element replaces, and its computed id is unknown.
        let config = obj(&[(
            "e",
            Value::set([el("a", Value::Null), el("c", Value::Null)]),
        )]);
        let proposed = obj(&[("e", Value::set([el("a", "1".into()), el("c", Value::Null)]))]);
        let p = plan(
            &s,
            &PlanInput {
                prior: &prior,
                proposed: &proposed,
                config: &config,
                private: &Private::default(),
            },
        );
        assert_eq!(paths(&p), ["e"]);
    }

    #[test]
    fn map_blocks_replace_per_key() {
        let s = Schema::new("t").block(
            "m",
            NestedBlock::map(
                Block::new("e")
                    .attr("k", string().required().replace())
                    .attr("v", string().optional().in_place()),
            ),
        );
        let el = |k: &str, v: &str| obj(&[("k", k.into()), ("v", v.into())]);
        let prior = obj(&[("m", Value::map([("x", el("a", "1")), ("y", el("b", "1"))]))]);
        let config = obj(&[("m", Value::map([("x", el("a", "2")), ("y", el("c", "1"))]))]);
        let p = plan(
            &s,
            &PlanInput {
                prior: &prior,
                proposed: &config,
                config: &config,
                private: &Private::default(),
            },
        );
        assert_eq!(paths(&p), ["m[\"y\"].k"]);
    }
}
