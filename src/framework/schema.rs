//! Declarative schemas: attributes and nested blocks with their descriptions, their update
//! behaviour (what a change of each argument does), defaults, semantic equality and validators,
//! so that a vendor resource reads like its table in the spec.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::diagnostics::{AttrPath, Diagnostics};
use super::plan::ChangeRequest;
use super::validators::{self, Validator};
use super::{Type, Value};

/// What changing an argument does (interface.md's conventions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The plan replaces the resource (RequiresReplace).
    Replace,
    /// Update sends the change to the API.
    InPlace,
    /// Update changes state and calls nothing; the plan warns on the attribute.
    StateOnly,
    /// The API can apply no change: a change is a plan-time error on the attribute.
    Fixed,
}

/// Picks the behaviour of one change, e.g. "in place when growing, replace when shrinking". It
/// sees the whole request (configuration, prior, planned, private state, import) and may add
/// diagnostics of its own.
pub type ChangeRule = fn(&ChangeRequest, &mut Diagnostics) -> Change;

/// An argument's declared update behaviour.
#[derive(Clone, Copy)]
pub enum OnChange {
    Always(Change),
    /// Chosen per change by `rule`; `doc` says in words how, for the generated docs.
    Rule {
        rule: ChangeRule,
        doc: &'static str,
    },
}

impl OnChange {
    /// The sentence the generated docs show for this behaviour.
    pub fn doc(&self) -> String {
        match self {
            OnChange::Always(Change::Replace) => "Changing this forces a new resource.".into(),
            OnChange::Always(Change::InPlace) => {
                "Changed in place (the update calls the API).".into()
            }
            OnChange::Always(Change::StateOnly) => {
                "Changing this only updates Terraform state; no API is called (the plan warns)."
                    .into()
            }
            OnChange::Always(Change::Fixed) => {
                "Cannot be changed once applied: a change is an error at plan time.".into()
            }
            OnChange::Rule { doc, .. } => doc.to_string(),
        }
    }
}

/// The builders that declare an argument's update behaviour, shared by attributes and nested
/// blocks (a block declares one behaviour for everything inside it).
pub trait Declare: Sized {
    fn on_change(self, change: OnChange) -> Self;

    /// A change plans a replacement.
    fn replace(self) -> Self {
        self.on_change(OnChange::Always(Change::Replace))
    }
    /// A change is sent to the API by the update.
    fn in_place(self) -> Self {
        self.on_change(OnChange::Always(Change::InPlace))
    }
    /// A change only updates state; the plan warns.
    fn state_only(self) -> Self {
        self.on_change(OnChange::Always(Change::StateOnly))
    }
    /// A change is a plan-time error.
    fn fixed(self) -> Self {
        self.on_change(OnChange::Always(Change::Fixed))
    }
    /// The behaviour is chosen per change by `rule`, described by `doc` in the docs.
    fn change_rule(self, rule: ChangeRule, doc: &'static str) -> Self {
        self.on_change(OnChange::Rule { rule, doc })
    }
}

impl Declare for Attribute {
    fn on_change(mut self, change: OnChange) -> Self {
        self.change = Some(change);
        self
    }
}

impl Declare for NestedBlock {
    fn on_change(mut self, change: OnChange) -> Self {
        self.change = Some(change);
        self
    }
}

/// Whether two values mean the same to the API, though spelled differently (case, version
/// spelling, order). The configured spelling is kept in state.
pub type SemanticEq = fn(&Value, &Value) -> bool;

/// What happens to a computed attribute (left empty in config) when the resource is updated.
#[derive(Clone, Debug, PartialEq)]
pub enum OnUpdate {
    /// The update cannot change it: the plan shows the prior value.
    Keep,
    /// Unknown in the plan whenever one of these sibling attributes changes.
    RecomputeWhen(Vec<String>),
}

#[derive(Clone)]
pub struct Attribute {
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    pub default: Option<Value>,
    /// Defaults to the value of this sibling attribute (e.g. a server that defaults to another).
    pub default_from: Option<String>,
    /// How a change is applied; every argument must declare one (checked by [`Schema::check`]).
    pub change: Option<OnChange>,
    /// For an in-place argument that no API can remove: why, for the plan-time error.
    pub removal_error: Option<&'static str>,
    /// Why a change is impossible, for the plan-time error of a fixed change.
    pub fixed_reason: Option<&'static str>,
    pub semantic_eq: Option<SemanticEq>,
    /// Keys of a map argument that the API may not report back: after an import, a state
    /// without one of them says nothing about it (see [`Attribute::unreported_keys`]).
    pub unreported_keys: &'static [&'static str],
    pub on_update: OnUpdate,
    pub validators: Vec<Arc<dyn Validator>>,
    /// Terraform 1.11+ keeps the value out of plan and state: it exists only in the
    /// configuration, which the apply receives (see [`super::write_only`]).
    pub write_only: bool,
    /// For a write-only attribute: the plain sibling that older Terraform uses instead.
    pub plain_twin: Option<String>,
    /// For a version attribute: the write-only sibling a change of this value sends again.
    pub version_of: Option<String>,
    /// Siblings that cannot be set together with this attribute (a plan-time error on it).
    pub conflicts_with: Vec<String>,
}

fn attribute(ty: Type) -> Attribute {
    Attribute {
        ty,
        description: String::new(),
        required: false,
        optional: false,
        computed: false,
        sensitive: false,
        deprecated: false,
        default: None,
        default_from: None,
        change: None,
        removal_error: None,
        fixed_reason: None,
        semantic_eq: None,
        unreported_keys: &[],
        on_update: OnUpdate::Keep,
        validators: Vec::new(),
        write_only: false,
        plain_twin: None,
        version_of: None,
        conflicts_with: Vec::new(),
    }
}

pub fn string() -> Attribute {
    attribute(Type::String)
}
pub fn number() -> Attribute {
    attribute(Type::Number)
}
pub fn boolean() -> Attribute {
    attribute(Type::Bool)
}
pub fn map_of(element: Type) -> Attribute {
    attribute(Type::Map(Box::new(element)))
}
pub fn list_of(element: Type) -> Attribute {
    attribute(Type::List(Box::new(element)))
}
pub fn set_of(element: Type) -> Attribute {
    attribute(Type::Set(Box::new(element)))
}

impl Attribute {
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
    /// A default must be shown in the plan, so Terraform has to let the provider fill the value:
    /// the attribute becomes optional and computed.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self.optional = true;
        self.computed = true;
        self
    }
    /// Like `default`, but the default is whatever the sibling attribute `other` is planned to be.
    pub fn default_from(mut self, other: &str) -> Self {
        self.default_from = Some(other.to_string());
        self.optional = true;
        self.computed = true;
        self
    }
    /// An in-place argument that cannot be removed once set: removing it is a plan-time error
    /// saying `why`.
    pub fn no_removal(mut self, why: &'static str) -> Self {
        self.removal_error = Some(why);
        self
    }
    /// The reason a fixed change (declared, or picked by a rule) cannot be applied, shown in
    /// the plan-time error instead of the generic one.
    pub fn fixed_because(mut self, why: &'static str) -> Self {
        self.fixed_reason = Some(why);
        self
    }
    /// Two values that `eq` finds equal are the same to the API; the configured one is kept.
    pub fn semantic_eq(mut self, eq: SemanticEq) -> Self {
        self.semantic_eq = Some(eq);
        self
    }
    /// For a map argument read back in part: the keys a read may leave out. After an import,
    /// those missing from state count as unreported, so a configured one is recorded in state
    /// only instead of planning a replacement.
    pub fn unreported_keys(mut self, keys: &'static [&'static str]) -> Self {
        self.unreported_keys = keys;
        self
    }
    pub fn recompute_when(mut self, attrs: &[&str]) -> Self {
        self.on_update = OnUpdate::RecomputeWhen(attrs.iter().map(|s| s.to_string()).collect());
        self
    }
    pub fn validate(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(v));
        self
    }
    pub fn describe(mut self, text: &str) -> Self {
        self.description = text.to_string();
        self
    }
    /// Never stored in plan or state (Terraform 1.11+): the value exists only in the
    /// configuration. Terraform cannot see it change, so it declares no update behaviour; a
    /// [`Attribute::version_of`] sibling says when to send it again.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    /// The write-only twin of the plain attribute `plain`: the two conflict, and an older
    /// Terraform that sends a value here is told to use `plain` instead.
    pub fn write_only_twin_of(mut self, plain: &str) -> Self {
        self.plain_twin = Some(plain.to_string());
        self.conflicts_with.push(plain.to_string());
        self.write_only()
    }
    /// The version of the write-only sibling `write_only`: a change of this value (in place)
    /// is how Terraform learns that the write-only value is to be sent again.
    pub fn version_of(mut self, write_only: &str) -> Self {
        self.version_of = Some(write_only.to_string());
        self.in_place()
    }
    /// Setting this together with any of `others` is a plan-time error on this attribute.
    pub fn conflicts_with(mut self, others: &[&str]) -> Self {
        self.conflicts_with
            .extend(others.iter().map(|s| s.to_string()));
        self
    }

    /// Set by the user (required or optional), as opposed to only computed.
    pub fn is_argument(&self) -> bool {
        self.required || self.optional
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Clone)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: u32,
    pub max_items: u32,
    /// The behaviour of any change inside the block, as one argument. Without it, each
    /// argument inside declares its own.
    pub change: Option<OnChange>,
    pub semantic_eq: Option<SemanticEq>,
}

impl NestedBlock {
    /// Zero or one block; `required()` makes it exactly one.
    pub fn single(block: Block) -> Self {
        NestedBlock {
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
            change: None,
            semantic_eq: None,
        }
    }
    pub fn list(block: Block) -> Self {
        NestedBlock {
            nesting: Nesting::List,
            ..NestedBlock::single(block)
        }
    }
    pub fn set(block: Block) -> Self {
        NestedBlock {
            nesting: Nesting::Set,
            ..NestedBlock::single(block)
        }
    }
    pub fn map(block: Block) -> Self {
        NestedBlock {
            nesting: Nesting::Map,
            ..NestedBlock::single(block)
        }
    }
    pub fn required(mut self) -> Self {
        self.min_items = 1;
        if self.nesting == Nesting::Single {
            self.max_items = 1;
        }
        self
    }
    pub fn min(mut self, n: u32) -> Self {
        self.min_items = n;
        self
    }
    pub fn max(mut self, n: u32) -> Self {
        self.max_items = n;
        self
    }
    pub fn semantic_eq(mut self, eq: SemanticEq) -> Self {
        self.semantic_eq = Some(eq);
        self
    }

    pub fn ty(&self) -> Type {
        let object = self.block.ty();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::List(Box::new(object)),
            Nesting::Set => Type::Set(Box::new(object)),
            Nesting::Map => Type::Map(Box::new(object)),
        }
    }
}

#[derive(Clone, Default)]
pub struct Block {
    pub description: String,
    pub deprecated: bool,
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

impl Block {
    /// An object of this block's attributes, all null but `pairs`: a configuration as a unit
    /// test writes it.
    #[cfg(test)]
    pub fn object_with(&self, pairs: &[(&str, Value)]) -> Value {
        let mut fields: BTreeMap<String, Value> = self
            .attributes
            .keys()
            .map(|k| (k.clone(), Value::Null))
            .collect();
        for (k, v) in pairs {
            fields.insert(k.to_string(), v.clone());
        }
        Value::Object(fields)
    }

    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Block::default()
        }
    }
    pub fn attr(mut self, name: &str, attribute: Attribute) -> Self {
        self.attributes.insert(name.to_string(), attribute);
        self
    }
    pub fn block(mut self, name: &str, block: NestedBlock) -> Self {
        self.blocks.insert(name.to_string(), block);
        self
    }

    /// The cty object type of one instance of this block.
    pub fn ty(&self) -> Type {
        let mut fields = BTreeMap::new();
        for (name, a) in &self.attributes {
            fields.insert(name.clone(), a.ty.clone());
        }
        for (name, b) in &self.blocks {
            fields.insert(name.clone(), b.ty());
        }
        Type::Object(fields)
    }
}

/// Default durations of the `timeouts` block; `None` leaves that operation out of the block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub read: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
}

#[derive(Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
    pub timeouts: Option<Timeouts>,
}

impl Schema {
    pub fn new(description: &str) -> Self {
        Schema {
            version: 0,
            block: Block::new(description),
            timeouts: None,
        }
    }
    pub fn version(mut self, v: i64) -> Self {
        self.version = v;
        self
    }
    pub fn attr(mut self, name: &str, attribute: Attribute) -> Self {
        self.block = self.block.attr(name, attribute);
        self
    }
    pub fn block(mut self, name: &str, block: NestedBlock) -> Self {
        self.block = self.block.block(name, block);
        self
    }
    /// Adds the conventional `timeouts` block with one optional duration per operation. Its
    /// changes only ever update state, without a warning.
    pub fn timeouts(mut self, defaults: Timeouts) -> Self {
        let mut block =
            Block::new("How long each operation may take, as durations like \"30m\" or \"1h30m\".");
        let ops = [
            ("create", defaults.create),
            ("read", defaults.read),
            ("update", defaults.update),
            ("delete", defaults.delete),
        ];
        for (op, default) in ops {
            if let Some(d) = default {
                let text = format!(
                    "Time allowed for {op} (default {}).",
                    humantime::format_duration(d)
                );
                block = block.attr(
                    op,
                    string()
                        .optional()
                        .describe(&text)
                        .validate(validators::duration()),
                );
            }
        }
        self.timeouts = Some(defaults);
        self.block(TIMEOUTS_BLOCK, NestedBlock::single(block))
    }

    pub fn ty(&self) -> Type {
        self.block.ty()
    }

    /// Mistakes a resource author can make in a schema, one sentence each; empty when sound.
    /// Resource schemas must declare every argument's update behaviour; provider schemas have
    /// no updates.
    /// The schema itself, after a panic on any mistake [`Schema::check`] finds: a provider
    /// author's bug, which every test that builds the provider reports at once.
    pub fn sound(self, kind: SchemaKind, what: &str) -> Schema {
        let problems = self.check(kind);
        assert!(
            problems.is_empty(),
            "schema of {what} is unsound: {}",
            problems.join("; ")
        );
        self
    }

    pub fn check(&self, kind: SchemaKind) -> Vec<String> {
        let mut problems = Vec::new();
        let place = Place {
            kind,
            needs_change: kind == SchemaKind::Resource,
            in_set: false,
        };
        check_block(&self.block, &AttrPath::default(), place, &mut problems);
        problems
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    Resource,
    DataSource,
    Provider,
}

pub const TIMEOUTS_BLOCK: &str = "timeouts";

/// A string no validator has any reason to repeat unless it quotes its input.
const SENTINEL: &str = "clusterform-sentinel-value-7Qz";

/// Where a block sits, as far as its attributes' rules depend on it.
#[derive(Clone, Copy)]
struct Place {
    kind: SchemaKind,
    /// Each argument must declare its update behaviour (no enclosing block declares one).
    needs_change: bool,
    /// Inside a set-nested block, where an element is its value.
    in_set: bool,
}

fn check_block(block: &Block, at: &AttrPath, place: Place, out: &mut Vec<String>) {
    let needs_change = place.needs_change;
    for (name, a) in &block.attributes {
        let path = at.clone().attr(name);
        let mut problem = |text: &str| out.push(format!("{path}: {text}"));
        if !a.required && !a.optional && !a.computed {
            problem("neither required, optional nor computed");
        }
        if a.required && (a.optional || a.computed) {
            problem("required cannot be combined with optional, computed or a default");
        }
        if let Some(d) = &a.default {
            if !d.conforms(&a.ty) {
                problem("the default does not have the attribute's type");
            }
        }
        if let Some(source) = &a.default_from {
            if !block.attributes.contains_key(source) {
                problem(&format!(
                    "default_from names no sibling attribute {source:?}"
                ));
            }
        }
        if let OnUpdate::RecomputeWhen(triggers) = &a.on_update {
            for t in triggers {
                if !block.attributes.contains_key(t) && !block.blocks.contains_key(t) {
                    problem(&format!("recompute_when names no sibling {t:?}"));
                }
                if block.attributes.get(t).is_some_and(|s| s.write_only) {
                    problem(&format!("recompute_when names the write-only {t:?}, which never changes in a plan (name its version attribute)"));
                }
            }
        }
        check_write_only(block, a, place, &mut problem);
        // A missing plain twin is reported as such, below.
        for other in a
            .conflicts_with
            .iter()
            .filter(|o| a.plain_twin.as_ref() != Some(o))
        {
            if !block.attributes.contains_key(other) && !block.blocks.contains_key(other) {
                problem(&format!("conflicts_with names no sibling {other:?}"));
            }
        }
        match (&a.change, a.is_argument()) {
            (None, true) if a.write_only => {}
            (Some(_), true) if a.write_only => problem("write-only, yet it declares an update behaviour: Terraform never sees its changes (a version_of sibling carries them)"),
            (None, true) if needs_change => problem("an argument without a declared update behaviour (replace, in place, state only, fixed or a rule)"),
            (Some(_), false) => problem("only computed, yet it declares an update behaviour"),
            _ => {}
        }
        if a.removal_error.is_some()
            && (a.required || !matches!(a.change, Some(OnChange::Always(Change::InPlace))))
        {
            problem("no_removal applies to optional in-place arguments only");
        }
        if a.sensitive && a.ty == Type::String {
            let mut diags = Diagnostics::new();
            for v in &a.validators {
                v.validate(&Value::from(SENTINEL), &path, &mut diags);
            }
            if diags
                .iter()
                .any(|d| d.summary.contains(SENTINEL) || d.detail.contains(SENTINEL))
            {
                problem("a validator of this sensitive attribute quotes the value");
            }
        }
    }
    for (name, nested) in &block.blocks {
        let path = at.clone().attr(name);
        if name == TIMEOUTS_BLOCK && at.steps().is_empty() {
            continue;
        }
        if nested.max_items != 0 && nested.min_items > nested.max_items {
            out.push(format!("{path}: min_items is above max_items"));
        }
        let inner = Place {
            needs_change: needs_change && nested.change.is_none(),
            in_set: place.in_set || nested.nesting == Nesting::Set,
            ..place
        };
        check_block(&nested.block, &path, inner, out);
    }
}

/// The rules of write-only attributes and of the version attributes that rotate them.
fn check_write_only(block: &Block, a: &Attribute, place: Place, problem: &mut impl FnMut(&str)) {
    if a.write_only {
        if place.kind != SchemaKind::Resource {
            problem("write-only, but only managed resources have write-only attributes");
        }
        if !a.optional || a.required {
            problem(
                "write-only attributes must be optional: Terraform before 1.11 cannot send them",
            );
        }
        let defaulted = a.default.is_some() || a.default_from.is_some();
        if defaulted {
            problem("write-only attributes cannot have a default: a default would have to be in the plan");
        }
        if a.computed && !defaulted {
            problem("write-only attributes cannot be computed: nothing of them is ever in state");
        }
        if place.in_set {
            problem(
                "write-only attributes cannot sit inside a set, whose elements are their values",
            );
        }
        if a.on_update != OnUpdate::Keep {
            problem("write-only, yet recomputed: nothing of it is ever in state");
        }
    }
    if let Some(plain) = &a.plain_twin {
        match block.attributes.get(plain) {
            None => problem(&format!(
                "write_only_twin_of names no sibling attribute {plain:?}"
            )),
            Some(p) if p.write_only => {
                problem(&format!("its plain twin {plain:?} is write-only too"))
            }
            Some(_) => {}
        }
    }
    if let Some(secret) = &a.version_of {
        match block.attributes.get(secret) {
            Some(s) if s.write_only => {}
            _ => problem(&format!(
                "version_of names no write-only sibling {secret:?}"
            )),
        }
        if a.write_only || !a.optional || a.computed {
            problem("a version attribute must be optional, neither computed nor write-only");
        }
    }
}
