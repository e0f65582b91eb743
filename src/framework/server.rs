//! The provider as the protocol layer sees it: value-level operations keyed by resource type,
//! with no knowledge of which protocol version is talking.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::context::Ctx;
use super::diagnostics::{Diagnostic, Diagnostics};
use super::plan::{self, Planned};
use super::resource::{AnyResource, Provider};
use super::schema::Schema;
use super::{Type, Value};

pub struct Server {
    provider: Box<dyn Provider>,
    provider_schema: Schema,
    provider_ty: Type,
    resources: BTreeMap<&'static str, Box<dyn AnyResource>>,
    stop: CancellationToken,
}

impl Server {
    /// Builds every schema once: Terraform starts several provider processes per command and
    /// asks each for the schema first.
    pub fn new(provider: impl Provider) -> Arc<Self> {
        let provider_schema = provider.schema();
        let provider_ty = provider_schema.ty();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect();
        Arc::new(Server {
            provider: Box::new(provider),
            provider_schema,
            provider_ty,
            resources,
            stop: CancellationToken::new(),
        })
    }

    pub fn provider_name(&self) -> &'static str {
        self.provider.type_name()
    }
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }
    pub fn provider_type(&self) -> &Type {
        &self.provider_ty
    }
    pub fn resources(&self) -> impl Iterator<Item = (&'static str, &dyn AnyResource)> {
        self.resources.iter().map(|(k, v)| (*k, v.as_ref()))
    }

    pub fn resource(&self, type_name: &str) -> Result<&dyn AnyResource, Diagnostics> {
        self.resources
            .get(type_name)
            .map(|r| r.as_ref())
            .ok_or_else(|| {
                Diagnostic::error(
                    "Unknown resource type",
                    format!(
                        "The provider {} has no resource type {type_name:?}.",
                        self.provider.type_name()
                    ),
                )
                .into()
            })
    }

    pub fn validate_provider(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        plan::validate(
            &self.provider_schema.block,
            config,
            &Default::default(),
            &mut diags,
        );
        self.provider.validate(config, &mut diags);
        diags
    }

    pub async fn configure(&self, config: &Value) -> Diagnostics {
        self.provider.configure(config).await
    }

    pub fn validate_resource(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.resource(type_name) {
            Ok(r) => {
                let mut diags = Diagnostics::new();
                r.validate(config, &mut diags);
                diags
            }
            Err(d) => d,
        }
    }

    /// Reads a stored state (JSON, any earlier schema version) into the current schema's shape.
    /// Attributes that the current schema no longer has are dropped.
    pub fn upgrade_state(
        &self,
        type_name: &str,
        version: i64,
        json: &[u8],
    ) -> Result<Value, Diagnostics> {
        let r = self.resource(type_name)?;
        if version > r.schema().version {
            return Err(Diagnostic::error(
                "State written by a newer provider",
                format!(
                    "The state of this {type_name} has schema version {version}, newer than this provider's {}. Upgrade the provider.",
                    r.schema().version
                ),
            )
            .into());
        }
        let options = super::json::DecodeOptions {
            ignore_undefined_attributes: true,
        };
        super::json::decode_with(json, r.ty(), options).map_err(|e| {
            Diagnostic::error(
                "Stored state does not match the resource schema",
                e.to_string(),
            )
            .into()
        })
    }

    pub async fn read(&self, type_name: &str, state: &Value) -> (Value, Diagnostics) {
        let r = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (state.clone(), d),
        };
        if state.is_null() {
            return (Value::Null, Diagnostics::new());
        }
        let ctx = Ctx::new(&self.stop, r.timeout(state, "read"));
        r.read(&ctx, state).await
    }

    pub fn plan(
        &self,
        type_name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> Result<Planned, Diagnostics> {
        let r = self.resource(type_name)?;
        let mut diags = Diagnostics::new();
        r.validate(config, &mut diags);
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(plan::plan(r.schema(), prior, proposed, config))
    }

    /// Create, update or delete, depending on which side is null.
    pub async fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> (Value, Diagnostics) {
        let r = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (prior.clone(), d),
        };
        match (prior.is_null(), planned.is_null()) {
            (true, true) => (Value::Null, Diagnostics::new()),
            (true, false) => {
                let ctx = Ctx::new(&self.stop, r.timeout(planned, "create"));
                r.create(&ctx, planned).await
            }
            (false, true) => {
                let ctx = Ctx::new(&self.stop, r.timeout(prior, "delete"));
                r.delete(&ctx, prior).await
            }
            (false, false) => {
                let ctx = Ctx::new(&self.stop, r.timeout(planned, "update"));
                r.update(&ctx, prior, planned).await
            }
        }
    }

    pub fn import(&self, type_name: &str, id: &str) -> (Value, Diagnostics) {
        match self.resource(type_name) {
            Ok(r) => r.import_stub(id),
            Err(d) => (Value::Null, d),
        }
    }

    /// StopProvider: every wait in progress returns promptly with an "interrupted" error.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}
