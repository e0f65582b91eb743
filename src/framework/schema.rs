//! Declarative schemas: attributes and nested blocks with their descriptions, plan rules
//! (defaults, requires-replace, what an update recomputes) and validators, so that a vendor
//! resource reads like its table in the spec.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::validators::{self, Validator};
use super::{Type, Value};

/// Decides at plan time whether a change of this attribute needs a new resource.
pub type ReplaceIf = fn(prior: &Value, planned: &Value) -> bool;

#[derive(Clone)]
pub enum Replace {
    Never,
    Always,
    /// Replace only when the function says so, e.g. a shrinking node count.
    If(ReplaceIf),
}

/// What happens to a computed attribute (left empty in config) when the resource is updated.
#[derive(Clone, Debug, PartialEq)]
pub enum OnUpdate {
    /// The update cannot change it: the plan shows the prior value.
    Keep,
    /// Unknown in the plan whenever one of these attributes changes.
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
    pub replace: Replace,
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
        replace: Replace::Never,
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
    pub fn replace(mut self) -> Self {
        self.replace = Replace::Always;
        self
    }
    pub fn replace_if(mut self, rule: ReplaceIf) -> Self {
        self.replace = Replace::If(rule);
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
    pub replace: bool,
    /// With `replace`: only changes this rule accepts force a new resource; others update.
    pub replace_if: Option<ReplaceIf>,
}

impl NestedBlock {
    /// Zero or one block; `required()` makes it exactly one.
    pub fn single(block: Block) -> Self {
        NestedBlock {
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
            replace: false,
            replace_if: None,
        }
    }
    pub fn list(block: Block) -> Self {
        NestedBlock {
            nesting: Nesting::List,
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
    pub fn replace(mut self) -> Self {
        self.replace = true;
        self
    }
    /// Replace only when `rule(prior, planned)` says so, e.g. when an argument the API cannot
    /// read back appears after an import.
    pub fn replace_if(mut self, rule: ReplaceIf) -> Self {
        self.replace = true;
        self.replace_if = Some(rule);
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
    /// Adds the conventional `timeouts` block with one optional duration per operation.
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
}

pub const TIMEOUTS_BLOCK: &str = "timeouts";
