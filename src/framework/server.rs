//! The provider as the protocol layer sees it: value-level operations keyed by resource type,
//! with no knowledge of which protocol version is talking.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use super::configure::ConfigureContext;
use super::context::Ctx;
use super::data_source::AnyDataSource;
use super::diagnostics::{Diagnostic, Diagnostics};
use super::plan::{self, PlanInput, Planned};
use super::private::Private;
use super::resource::{AnyResource, Provider};
use super::schema::Schema;
use super::write_only;
use super::{Type, Value};

/// How long one data source read may take, waits for rate limits included.
const DATA_SOURCE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// What the Terraform on the other end announced it can do (`ClientCapabilities`); an older
/// Terraform announces nothing, which reads as all false.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCapabilities {
    /// Terraform 1.11+: it keeps write-only values out of plan and state.
    pub write_only_attributes_allowed: bool,
}

pub struct Server {
    provider: Box<dyn Provider>,
    provider_schema: Schema,
    provider_ty: Type,
    resources: BTreeMap<&'static str, Box<dyn AnyResource>>,
    data_sources: BTreeMap<&'static str, Box<dyn AnyDataSource>>,
    stop: CancellationToken,
    /// Set when Terraform configured the provider with values known only after apply: plans
    /// go ahead without a client, and any operation that needs one fails with this.
    unknown_config: OnceLock<Diagnostic>,
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
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d))
            .collect();
        Arc::new(Server {
            provider: Box::new(provider),
            provider_schema,
            provider_ty,
            resources,
            data_sources,
            stop: CancellationToken::new(),
            unknown_config: OnceLock::new(),
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

    pub fn data_sources(&self) -> impl Iterator<Item = (&'static str, &dyn AnyDataSource)> {
        self.data_sources.iter().map(|(k, v)| (*k, v.as_ref()))
    }

    pub fn data_source(&self, type_name: &str) -> Result<&dyn AnyDataSource, Diagnostics> {
        self.data_sources
            .get(type_name)
            .map(|d| d.as_ref())
            .ok_or_else(|| {
                Diagnostic::error(
                    "Unknown data source",
                    format!(
                        "The provider {} has no data source {type_name:?}.",
                        self.provider.type_name()
                    ),
                )
                .into()
            })
    }

    pub fn validate_data_source(&self, type_name: &str, config: &Value) -> Diagnostics {
        match self.data_source(type_name) {
            Ok(d) => {
                let mut diags = Diagnostics::new();
                d.validate(config, &mut diags);
                diags
            }
            Err(d) => d,
        }
    }

    /// Reads a data source: the configuration with its computed attributes filled in.
    pub async fn read_data_source(&self, type_name: &str, config: &Value) -> (Value, Diagnostics) {
        let d = match self.data_source(type_name) {
            Ok(d) => d,
            Err(diags) => return (Value::Null, diags),
        };
        if let Some(diags) = self.unconfigured() {
            return (Value::Null, diags);
        }
        register_secrets(d.schema(), [config]);
        let ctx = Ctx::new(&self.stop, DATA_SOURCE_TIMEOUT);
        let (state, diags) = d.read(&ctx, config).await;
        register_secrets(d.schema(), [&state]);
        (state, diags)
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

    /// A provider block with unknown values (credentials from a resource not created yet) is
    /// accepted: planning needs no API. The operations that do fail, naming what is unknown.
    /// `terraform_version` is the ConfigureProvider request's (empty when not announced).
    pub async fn configure(&self, config: &Value, terraform_version: &str) -> Diagnostics {
        register_secrets(&self.provider_schema, [config]);
        if config.is_wholly_known() {
            let ctx = ConfigureContext::new(self.provider.type_name(), terraform_version);
            return self.provider.configure(config, &ctx).await;
        }
        let unknown: Vec<String> = config
            .entries()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_wholly_known())
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        let _ = self.unknown_config.set(Diagnostic::error(
            "Provider configuration is not known yet",
            format!(
                "The provider {} block's {} will be known only after apply, but this operation needs the API. \
                 Apply the resources it depends on first (e.g. with -target), then run again.",
                self.provider.type_name(),
                unknown.join(", ")
            ),
        ));
        Diagnostics::new()
    }

    /// The error for an operation that needs the API while the configuration is unknown.
    fn unconfigured(&self) -> Option<Diagnostics> {
        self.unknown_config.get().map(|d| d.clone().into())
    }

    /// Validation by the schema and the resource; a write-only value from a Terraform that
    /// cannot keep it out of plan and state is an error first of all.
    pub fn validate_resource(
        &self,
        type_name: &str,
        config: &Value,
        client: ClientCapabilities,
    ) -> Diagnostics {
        match self.resource(type_name) {
            Ok(r) => {
                let mut diags = Diagnostics::new();
                if !client.write_only_attributes_allowed {
                    write_only::refuse_unsupported(
                        &r.schema().block,
                        config,
                        &Default::default(),
                        &mut diags,
                    );
                }
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
        let upgraded = r.upgrade_state(version, json).transpose()?;
        let bytes = upgraded.as_deref().unwrap_or(json);
        let options = super::json::DecodeOptions {
            ignore_undefined_attributes: true,
        };
        let mut state = super::json::decode_with(bytes, r.ty(), options).map_err(|e| {
            Diagnostic::error(
                "Stored state does not match the resource schema",
                e.to_string(),
            )
        })?;
        write_only::strip(&r.schema().block, &mut state);
        Ok(state)
    }

    pub async fn read(
        &self,
        type_name: &str,
        state: &Value,
        private: &Private,
    ) -> (Value, Diagnostics, Private) {
        let r = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (state.clone(), d, private.clone()),
        };
        if state.is_null() {
            return (Value::Null, Diagnostics::new(), Private::default());
        }
        if let Some(d) = self.unconfigured() {
            return (state.clone(), d, private.clone());
        }
        register_secrets(r.schema(), [state]);
        let ctx =
            Ctx::new(&self.stop, r.timeout(state, "read")).for_import(private.is_import_pending());
        let (mut new_state, diags, private) = r.read(&ctx, state, private).await;
        write_only::strip(&r.schema().block, &mut new_state);
        (new_state, diags, private)
    }

    /// The plan, or the diagnostics that stop it (a warning-only plan carries its warnings).
    pub fn plan(&self, type_name: &str, input: &PlanInput) -> Result<Planned, Diagnostics> {
        let r = self.resource(type_name)?;
        register_secrets(r.schema(), [input.prior, input.config]);
        let mut planned = r.plan(input);
        if planned.diagnostics.has_errors() {
            return Err(planned.diagnostics);
        }
        write_only::strip(&r.schema().block, &mut planned.state);
        Ok(planned)
    }

    /// Create, update or delete, depending on which side is null. Create and update receive
    /// the plan with the write-only values of `config` (the plan never holds them); the state
    /// returned holds none.
    pub async fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> (Value, Diagnostics) {
        let r = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (prior.clone(), d),
        };
        if let Some(d) = self.unconfigured() {
            return (prior.clone(), d);
        }
        register_secrets(r.schema(), [prior, planned, config]);
        let block = &r.schema().block;
        let (mut state, diags) = match (prior.is_null(), planned.is_null()) {
            (true, true) => (Value::Null, Diagnostics::new()),
            (true, false) => {
                let ctx = Ctx::new(&self.stop, r.timeout(planned, "create"));
                let wanted = write_only::with_configured(block, planned, config);
                r.create(&ctx, &wanted).await
            }
            (false, true) => {
                let ctx = Ctx::new(&self.stop, r.timeout(prior, "delete"));
                r.delete(&ctx, prior).await
            }
            (false, false) => {
                let ctx = Ctx::new(&self.stop, r.timeout(planned, "update"));
                let wanted = write_only::with_configured(block, planned, config);
                r.update(&ctx, prior, &wanted).await
            }
        };
        write_only::strip(block, &mut state);
        (state, diags)
    }

    /// The import stub, with the private state that tells the next Read it follows an import.
    pub fn import(&self, type_name: &str, id: &str) -> (Value, Diagnostics, Private) {
        match self.resource(type_name) {
            Ok(r) => {
                let (mut state, diags) = r.import_stub(id);
                write_only::strip(&r.schema().block, &mut state);
                (state, diags, Private::import_pending())
            }
            Err(d) => (Value::Null, d, Private::default()),
        }
    }

    /// StopProvider: every wait in progress returns promptly with an "interrupted" error.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

/// Every value of a sensitive attribute is registered with the HTTP room's secret register, so
/// that no log line, error text or diagnostic can show it, whichever way it travels.
fn register_secrets<'a>(schema: &Schema, values: impl IntoIterator<Item = &'a Value>) {
    let mut found = Vec::new();
    for v in values {
        plan::sensitive_strings(&schema.block, v, &mut found);
    }
    for secret in found {
        crate::http::secrets::register(&secret);
    }
}
