//! The traits a provider author implements, and the adapter that turns a typed resource into
//! the value-level operations the protocol server needs.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::configure::ConfigureContext;
use super::context::Ctx;
use super::data_source::AnyDataSource;
use super::diagnostics::{Diagnostic, Diagnostics};
use super::model;
use super::plan::{self, PlanContext, PlanInput, Planned};
use super::private::{Import, Private};
use super::schema::{Schema, SchemaKind, TIMEOUTS_BLOCK};
use super::{Type, Value};

/// A failed operation: diagnostics for the user, and the object as far as it got, so that an id
/// the API already returned reaches Terraform's state (which then marks it tainted).
#[derive(Debug)]
pub struct Failure<M> {
    pub diagnostics: Diagnostics,
    pub state: Option<Box<M>>,
}

impl<M> Failure<M> {
    pub fn new(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic::error(summary, detail).into()
    }
    /// Keeps the object in state despite the error.
    pub fn with_state(mut self, state: M) -> Self {
        self.state = Some(Box::new(state));
        self
    }
}

impl<M> From<Diagnostic> for Failure<M> {
    fn from(d: Diagnostic) -> Self {
        Failure {
            diagnostics: d.into(),
            state: None,
        }
    }
}

impl<M> From<Diagnostics> for Failure<M> {
    fn from(diagnostics: Diagnostics) -> Self {
        Failure {
            diagnostics,
            state: None,
        }
    }
}

pub type Outcome<T, M> = Result<T, Failure<M>>;

/// A managed resource, written in terms of its own model struct (one field per attribute).
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Default + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks across attributes that single-attribute validators cannot express. `config` may
    /// hold unknown values: judge only what is known.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// A resource-level plan rule for what crosses attributes, run after every attribute's own
    /// rule: it may add diagnostics or replacement paths, or mark more values unknown.
    fn modify_plan(&self, _context: &PlanContext, _plan: &mut Planned) {}

    async fn create(&self, ctx: &Ctx, plan: Self::Model) -> Outcome<Self::Model, Self::Model>;
    /// `Ok(None)` means the object is gone: Terraform drops it from state and plans a create.
    async fn read(
        &self,
        ctx: &Ctx,
        state: Self::Model,
    ) -> Outcome<Option<Self::Model>, Self::Model>;
    async fn update(
        &self,
        ctx: &Ctx,
        prior: Self::Model,
        plan: Self::Model,
    ) -> Outcome<Self::Model, Self::Model>;
    async fn delete(&self, ctx: &Ctx, state: Self::Model) -> Outcome<(), Self::Model>;

    /// The state Terraform reads after `terraform import <addr> <id>`: by default just the id.
    fn import_stub(&self, id: &str) -> Result<BTreeMap<String, Value>, Diagnostic> {
        Ok(BTreeMap::from([("id".to_string(), Value::from(id))]))
    }

    /// Whether [`Resource::upgrade_state`] rewrites stored states. Terraform upgrades every
    /// resource on every plan: one that keeps its states as they are skips the JSON round trip.
    fn upgrades_state(&self) -> bool {
        false
    }

    /// Rewrites a stored state of schema `version` (an earlier one of ours, or another
    /// provider's after `terraform state replace-provider`) into the current shape. By default
    /// it is taken as it is; attributes the schema no longer has are dropped afterwards.
    fn upgrade_state(
        &self,
        _version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostic> {
        Ok(state)
    }
}

/// A provider: its configuration block and its resources.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The name in `provider "<name>"` and the prefix of its resource types.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Called once per process with the fully known provider block; builds the API client.
    /// Start its HTTP settings from `ctx.http_settings()`: that carries the user agent.
    async fn configure(&self, config: &Value, ctx: &ConfigureContext) -> Diagnostics;
    fn resources(&self) -> Vec<Box<dyn AnyResource>>;
    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        Vec::new()
    }
}

/// The value-level face of a resource, as the protocol server calls it.
#[async_trait]
pub trait AnyResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn ty(&self) -> &Type;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    /// Validation, the schema's plan rules, then the resource's own.
    fn plan(&self, input: &PlanInput) -> Planned;
    async fn create(&self, ctx: &Ctx, planned: &Value) -> (Value, Diagnostics);
    /// Also returns the private state to keep: the Read right after an import records which
    /// arguments the API did not report.
    async fn read(
        &self,
        ctx: &Ctx,
        state: &Value,
        private: &Private,
    ) -> (Value, Diagnostics, Private);
    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> (Value, Diagnostics);
    async fn delete(&self, ctx: &Ctx, state: &Value) -> (Value, Diagnostics);
    fn import_stub(&self, id: &str) -> (Value, Diagnostics);
    /// See [`Resource::upgrade_state`]; `None` when the resource keeps stored states as they are.
    fn upgrade_state(&self, version: i64, state: &[u8]) -> Option<Result<Vec<u8>, Diagnostic>>;
    /// How long an operation on this object may take: `timeouts.<op>` or the schema default.
    fn timeout(&self, state: &Value, op: &str) -> Duration;
    /// Mistakes in the schema or in the model's fit to it; empty when sound.
    fn check(&self) -> Vec<String>;
}

/// Wraps a typed resource, with its schema built once.
pub struct Typed<R: Resource> {
    inner: R,
    schema: Schema,
    ty: Type,
}

impl<R: Resource> Typed<R> {
    /// Panics on a schema mistake (see [`Schema::check`]): a provider author's bug, which every
    /// test that builds the provider reports at once.
    pub fn boxed(inner: R) -> Box<dyn AnyResource> {
        let schema = inner
            .schema()
            .sound(SchemaKind::Resource, inner.type_name());
        let ty = schema.ty();
        Box::new(Typed { inner, schema, ty })
    }

    fn decode(&self, v: &Value) -> Result<R::Model, Diagnostics> {
        model::from_value(v).map_err(Diagnostics::from)
    }

    /// The model back as a value of the schema's type, carrying over what the model does not
    /// hold (the `timeouts` block) from `like`.
    fn encode(&self, m: &R::Model, like: &Value) -> Result<Value, Diagnostics> {
        let mut v = model::to_value(m, &self.ty).map_err(Diagnostics::from)?;
        if let (Value::Object(out), Value::Object(src)) = (&mut v, like) {
            if let Some(t) = src.get(TIMEOUTS_BLOCK) {
                if self.schema.block.blocks.contains_key(TIMEOUTS_BLOCK) {
                    out.insert(TIMEOUTS_BLOCK.to_string(), t.clone());
                }
            }
        }
        Ok(v)
    }

    /// Turns a CRUD result into (state, diagnostics); on failure the partial state (if any)
    /// or `fallback` is kept.
    fn finish<T>(
        &self,
        ctx: &Ctx,
        result: Outcome<T, R::Model>,
        like: &Value,
        fallback: Value,
        ok: impl FnOnce(T) -> Result<Value, Diagnostics>,
    ) -> (Value, Diagnostics) {
        let mut diags = ctx.take_warnings();
        match result {
            Ok(v) => match ok(v) {
                Ok(state) => (state, diags),
                Err(d) => {
                    diags.extend(d);
                    (fallback, diags)
                }
            },
            Err(f) => {
                diags.extend(f.diagnostics);
                let state = match f.state {
                    Some(m) => match self.encode(&m, like) {
                        Ok(v) => v,
                        Err(d) => {
                            diags.extend(d);
                            fallback
                        }
                    },
                    None => fallback,
                };
                (state, diags)
            }
        }
    }
}

#[async_trait]
impl<R: Resource> AnyResource for Typed<R> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn ty(&self) -> &Type {
        &self.ty
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        plan::validate(&self.schema.block, config, &Default::default(), diags);
        self.inner.validate(config, diags);
    }

    fn plan(&self, input: &PlanInput) -> Planned {
        let mut diagnostics = Diagnostics::new();
        self.validate(input.config, &mut diagnostics);
        if diagnostics.has_errors() {
            return Planned {
                state: Value::Null,
                requires_replace: Vec::new(),
                diagnostics,
            };
        }
        let mut planned = plan::plan(&self.schema, input);
        if !input.proposed.is_null() {
            let context = PlanContext {
                prior: input.prior,
                config: input.config,
                private: input.private,
            };
            self.inner.modify_plan(&context, &mut planned);
        }
        diagnostics.extend(std::mem::take(&mut planned.diagnostics));
        planned.diagnostics = diagnostics;
        planned
    }

    /// Apply returns what the API reported; only a value the API spells differently but means
    /// the same (semantic equality) takes the planned spelling. Anything else that differs from
    /// the plan reaches Terraform, which reports it as an inconsistent result.
    async fn create(&self, ctx: &Ctx, planned: &Value) -> (Value, Diagnostics) {
        let plan = match self.decode(planned) {
            Ok(m) => m,
            Err(d) => return (Value::Null, d),
        };
        let result = self.inner.create(ctx, plan).await;
        self.finish(ctx, result, planned, Value::Null, |m| {
            let mut v = self.encode(&m, planned)?;
            plan::keep_spelling(&self.schema.block, planned, &mut v);
            Ok(v)
        })
    }

    async fn read(
        &self,
        ctx: &Ctx,
        state: &Value,
        private: &Private,
    ) -> (Value, Diagnostics, Private) {
        let current = match self.decode(state) {
            Ok(m) => m,
            Err(d) => return (state.clone(), d, private.clone()),
        };
        let result = self.inner.read(ctx, current).await;
        let importing = private.is_import_pending();
        let (v, diags) = self.finish(ctx, result, state, state.clone(), |found| match found {
            None => Ok(Value::Null),
            Some(m) => {
                let mut v = self.encode(&m, state)?;
                // An import stub holds no spelling worth keeping: state takes the API's.
                if !importing {
                    plan::keep_spelling(&self.schema.block, state, &mut v);
                }
                Ok(v)
            }
        });
        let private = self.private_after_read(private, &v);
        (v, diags, private)
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> (Value, Diagnostics) {
        let (before, after) = match (self.decode(prior), self.decode(planned)) {
            (Ok(b), Ok(a)) => (b, a),
            (Err(d), _) | (_, Err(d)) => return (prior.clone(), d),
        };
        let result = self.inner.update(ctx, before, after).await;
        self.finish(ctx, result, planned, prior.clone(), |m| {
            let mut v = self.encode(&m, planned)?;
            plan::keep_spelling(&self.schema.block, planned, &mut v);
            Ok(v)
        })
    }

    async fn delete(&self, ctx: &Ctx, state: &Value) -> (Value, Diagnostics) {
        let current = match self.decode(state) {
            Ok(m) => m,
            Err(d) => return (state.clone(), d),
        };
        let result = self.inner.delete(ctx, current).await;
        // A failed delete leaves the object in state, so nothing is forgotten.
        self.finish(ctx, result, state, state.clone(), |()| Ok(Value::Null))
    }

    fn import_stub(&self, id: &str) -> (Value, Diagnostics) {
        match self.inner.import_stub(id) {
            Ok(fields) => {
                let mut all: BTreeMap<String, Value> = match &self.ty {
                    Type::Object(attrs) => attrs.keys().map(|k| (k.clone(), Value::Null)).collect(),
                    _ => BTreeMap::new(),
                };
                all.extend(fields);
                (Value::Object(all), Diagnostics::new())
            }
            Err(d) => (Value::Null, d.into()),
        }
    }

    fn upgrade_state(&self, version: i64, state: &[u8]) -> Option<Result<Vec<u8>, Diagnostic>> {
        if !self.inner.upgrades_state() {
            return None;
        }
        let rewrite = || {
            let stored: serde_json::Value = serde_json::from_slice(state)
                .map_err(|e| Diagnostic::error("Stored state is not valid JSON", e.to_string()))?;
            let upgraded = self.inner.upgrade_state(version, stored)?;
            serde_json::to_vec(&upgraded).map_err(|e| {
                Diagnostic::error("Upgraded state could not be encoded", e.to_string())
            })
        };
        Some(rewrite())
    }

    fn timeout(&self, state: &Value, op: &str) -> Duration {
        let configured = match state {
            Value::Object(f) => match f.get(TIMEOUTS_BLOCK) {
                Some(Value::Object(t)) => t
                    .get(op)
                    .and_then(|v| v.as_str())
                    .and_then(|s| super::validators::parse_duration(s).ok()),
                _ => None,
            },
            _ => None,
        };
        let defaults = self.schema.timeouts.unwrap_or_default();
        let default = match op {
            "create" => defaults.create,
            "read" => defaults.read,
            "update" => defaults.update,
            "delete" => defaults.delete,
            _ => None,
        };
        configured
            .or(default)
            .unwrap_or(Duration::from_secs(20 * 60))
    }

    fn check(&self) -> Vec<String> {
        let mut problems = self.schema.check(SchemaKind::Resource);
        let exempt: &[&str] = if self.schema.block.blocks.contains_key(TIMEOUTS_BLOCK) {
            &[TIMEOUTS_BLOCK]
        } else {
            &[]
        };
        problems.extend(model::check_model::<R::Model>(&self.ty, exempt));
        problems
    }
}

impl<R: Resource> Typed<R> {
    /// The Read right after an import records the arguments the API left out (null in what it
    /// read); later Reads forget those the state has learnt since.
    fn private_after_read(&self, private: &Private, state: &Value) -> Private {
        let mut out = private.clone();
        let still_null = |v: &Value| {
            let mut nulls = Vec::new();
            plan::null_arguments(&self.schema.block, v, &Default::default(), &mut nulls);
            nulls
        };
        out.import = match &private.import {
            None => None,
            _ if state.is_null() => None,
            Some(Import::Pending) => Some(Import::Read {
                unreported: still_null(state),
            }),
            Some(Import::Read { unreported }) => {
                let nulls = still_null(state);
                Some(Import::Read {
                    unreported: unreported
                        .iter()
                        .filter(|u| nulls.contains(u))
                        .cloned()
                        .collect(),
                })
            }
        };
        if matches!(&out.import, Some(Import::Read { unreported }) if unreported.is_empty()) {
            out.import = None;
        }
        out
    }
}
