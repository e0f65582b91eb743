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
        check_block(
            &self.block,
            &AttrPath::default(),
            kind == SchemaKind::Resource,
            &mut problems,
        );
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

fn check_block(block: &Block, at: &AttrPath, needs_change: bool, out: &mut Vec<String>) {
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
            }
        }
        match (&a.change, a.is_argument()) {
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
        check_block(
            &nested.block,
            &path,
            needs_change && nested.change.is_none(),
            out,
        );
    }
}
