//! Data sources: a typed trait for provider authors and the value-level face the protocol
//! server calls. A data source has no state of its own: every read starts from the
//! configuration and returns it with the computed attributes filled in.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::context::Ctx;
use super::diagnostics::Diagnostics;
use super::model;
use super::plan;
use super::schema::{Schema, SchemaKind};
use super::{Type, Value};

/// A data source, written in terms of its own model struct (one field per attribute).
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Default + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks across attributes; `config` may hold unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Looks the object up. `config` holds the arguments (every computed attribute null);
    /// the result is what the API reported.
    async fn read(&self, ctx: &Ctx, config: Self::Model) -> Result<Self::Model, Diagnostics>;
}

/// The value-level face of a data source, as the protocol server calls it.
#[async_trait]
pub trait AnyDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn ty(&self) -> &Type;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn read(&self, ctx: &Ctx, config: &Value) -> (Value, Diagnostics);
    /// Mistakes in the schema or in the model's fit to it; empty when sound.
    fn check(&self) -> Vec<String>;
}

/// Wraps a typed data source, with its schema built once.
pub struct TypedData<D: DataSource> {
    inner: D,
    schema: Schema,
    ty: Type,
}

impl<D: DataSource> TypedData<D> {
    /// Panics on a schema mistake, as [`super::Typed::boxed`] does for resources.
    pub fn boxed(inner: D) -> Box<dyn AnyDataSource> {
        let schema = inner
            .schema()
            .sound(SchemaKind::DataSource, inner.type_name());
        let ty = schema.ty();
        Box::new(TypedData { inner, schema, ty })
    }
}

#[async_trait]
impl<D: DataSource> AnyDataSource for TypedData<D> {
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

    async fn read(&self, ctx: &Ctx, config: &Value) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        self.validate(config, &mut diags);
        if diags.has_errors() {
            return (Value::Null, diags);
        }
        let wanted = match model::from_value::<D::Model>(config) {
            Ok(m) => m,
            Err(e) => return (Value::Null, Diagnostics::from(e)),
        };
        let result = self.inner.read(ctx, wanted).await;
        diags.extend(ctx.take_warnings());
        match result {
            Ok(found) => match model::to_value(&found, &self.ty) {
                Ok(v) => (v, diags),
                Err(e) => {
                    diags.extend(Diagnostics::from(e));
                    (Value::Null, diags)
                }
            },
            Err(d) => {
                diags.extend(d);
                (Value::Null, diags)
            }
        }
    }

    fn check(&self) -> Vec<String> {
        let mut problems = self.schema.check(SchemaKind::DataSource);
        problems.extend(model::check_model::<D::Model>(&self.ty, &[]));
        problems
    }
}
