//! The gRPC Provider service of both protocol versions as a thin translator onto
//! `framework::Server`. The two versions differ only in a few RPC names and in provider-config
//! validation, so one macro writes the shared RPCs for both.

macro_rules! provider_service {
    (
        pb: $pb:ident,
        service: $svc:ident,
        get_schema: $get_schema:ident,
        validate_resource: $validate_resource:ident,
        validate_data: $validate_data:ident,
        configure: $configure:ident,
        stop: $stop:ident,
        extra: { $($extra:tt)* }
    ) => {
        use std::collections::HashMap;
        use std::sync::Arc;

        use tonic::{Request, Response, Status};

        use crate::protocol::pb::$pb::provider_server::Provider;
        use crate::framework::server::Server;

        mod conv {
            crate::protocol::wire::wire_conversions!($pb);
        }
        use conv::pb;

        type Rpc<T> = Result<Response<T>, Status>;

        pub struct $svc {
            pub server: Arc<Server>,
        }

        fn unsupported(what: &str) -> Vec<pb::Diagnostic> {
            conv::diagnostics(
                crate::framework::diagnostics::Diagnostic::error(
                    format!("{what} is not supported"),
                    format!("This provider does not offer {what}."),
                )
                .into(),
            )
        }

        fn capabilities() -> pb::ServerCapabilities {
            pb::ServerCapabilities {
                plan_destroy: false,
                get_provider_schema_optional: false,
                move_resource_state: false,
            }
        }

        #[tonic::async_trait]
        impl Provider for $svc {
            $($extra)*

            async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
                Ok(Response::new(pb::get_metadata::Response {
                    server_capabilities: Some(capabilities()),
                    resources: self
                        .server
                        .resources()
                        .map(|(name, _)| pb::get_metadata::ResourceMetadata { type_name: name.to_string() })
                        .collect(),
                    data_sources: self
                        .server
                        .data_sources()
                        .map(|(name, _)| pb::get_metadata::DataSourceMetadata { type_name: name.to_string() })
                        .collect(),
                    ..Default::default()
                }))
            }

            async fn $get_schema(&self, _: Request<pb::get_provider_schema::Request>) -> Rpc<pb::get_provider_schema::Response> {
                Ok(Response::new(pb::get_provider_schema::Response {
                    provider: Some(conv::schema(self.server.provider_schema())),
                    resource_schemas: self
                        .server
                        .resources()
                        .map(|(name, r)| (name.to_string(), conv::schema(r.schema())))
                        .collect(),
                    data_source_schemas: self
                        .server
                        .data_sources()
                        .map(|(name, d)| (name.to_string(), conv::schema(d.schema())))
                        .collect(),
                    server_capabilities: Some(capabilities()),
                    ..Default::default()
                }))
            }

            async fn $validate_resource(&self, req: Request<pb::$validate_resource::Request>) -> Rpc<pb::$validate_resource::Response> {
                let req = req.into_inner();
                // Absent before protocol 5.8/6.8 (Terraform 1.11): nothing announced.
                let client = crate::framework::server::ClientCapabilities {
                    write_only_attributes_allowed: req
                        .client_capabilities
                        .as_ref()
                        .is_some_and(|c| c.write_only_attributes_allowed),
                };
                tracing::debug!(
                    type_name = req.type_name.as_str(),
                    write_only_attributes_allowed = client.write_only_attributes_allowed,
                    "validating a resource configuration"
                );
                let diags = match self.server.resource(&req.type_name) {
                    Err(d) => d,
                    Ok(r) => match conv::decode(req.config.as_ref(), r.ty(), "configuration") {
                        Ok(config) => self.server.validate_resource(&req.type_name, &config, client),
                        Err(d) => d,
                    },
                };
                Ok(Response::new(pb::$validate_resource::Response { diagnostics: conv::diagnostics(diags) }))
            }

            async fn $validate_data(&self, req: Request<pb::$validate_data::Request>) -> Rpc<pb::$validate_data::Response> {
                let req = req.into_inner();
                let diags = match self.server.data_source(&req.type_name) {
                    Err(d) => d,
                    Ok(ds) => match conv::decode(req.config.as_ref(), ds.ty(), "configuration") {
                        Ok(config) => self.server.validate_data_source(&req.type_name, &config),
                        Err(d) => d,
                    },
                };
                Ok(Response::new(pb::$validate_data::Response { diagnostics: conv::diagnostics(diags) }))
            }

            async fn upgrade_resource_state(&self, req: Request<pb::upgrade_resource_state::Request>) -> Rpc<pb::upgrade_resource_state::Response> {
                let req = req.into_inner();
                let json = req.raw_state.map(|r| r.json).unwrap_or_default();
                let result = if json.is_empty() {
                    Err(crate::framework::diagnostics::Diagnostic::error(
                        "Stored state is in an unsupported format",
                        "Only JSON states (Terraform 0.12 and newer) can be read by this provider.",
                    )
                    .into())
                } else {
                    self.server
                        .upgrade_state(&req.type_name, req.version, &json)
                        .and_then(|v| Ok((conv::encode(&v, self.server.resource(&req.type_name)?.ty())?, v)))
                };
                Ok(Response::new(match result {
                    Ok((dv, _)) => pb::upgrade_resource_state::Response { upgraded_state: Some(dv), diagnostics: vec![] },
                    Err(d) => pb::upgrade_resource_state::Response { upgraded_state: None, diagnostics: conv::diagnostics(d) },
                }))
            }

            async fn get_resource_identity_schemas(&self, _: Request<pb::get_resource_identity_schemas::Request>) -> Rpc<pb::get_resource_identity_schemas::Response> {
                Ok(Response::new(pb::get_resource_identity_schemas::Response {
                    identity_schemas: HashMap::new(),
                    diagnostics: vec![],
                }))
            }

            async fn upgrade_resource_identity(&self, _: Request<pb::upgrade_resource_identity::Request>) -> Rpc<pb::upgrade_resource_identity::Response> {
                Ok(Response::new(pb::upgrade_resource_identity::Response {
                    upgraded_identity: None,
                    diagnostics: unsupported("resource identity"),
                }))
            }

            async fn $configure(&self, req: Request<pb::$configure::Request>) -> Rpc<pb::$configure::Response> {
                let req = req.into_inner();
                let diags = match conv::decode(req.config.as_ref(), self.server.provider_type(), "provider configuration") {
                    Err(d) => d,
                    Ok(config) => self.server.configure(&config, &req.terraform_version).await,
                };
                Ok(Response::new(pb::$configure::Response { diagnostics: conv::diagnostics(diags) }))
            }

            async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
                let req = req.into_inner();
                let mut resp = pb::read_resource::Response { private: req.private.clone(), ..Default::default() };
                let r = match self.server.resource(&req.type_name) {
                    Ok(r) => r,
                    Err(d) => {
                        resp.diagnostics = conv::diagnostics(d);
                        return Ok(Response::new(resp));
                    }
                };
                let private = crate::framework::Private::from_bytes(&req.private);
                let result = async {
                    let state = conv::decode(req.current_state.as_ref(), r.ty(), "current state")?;
                    let (new_state, diags, private) = self.server.read(&req.type_name, &state, &private).await;
                    Ok::<_, crate::framework::diagnostics::Diagnostics>((conv::encode(&new_state, r.ty())?, diags, private))
                }
                .await;
                match result {
                    Ok((dv, diags, private)) => {
                        resp.new_state = Some(dv);
                        resp.private = private.to_bytes();
                        resp.diagnostics = conv::diagnostics(diags);
                    }
                    Err(d) => {
                        resp.new_state = req.current_state;
                        resp.diagnostics = conv::diagnostics(d);
                    }
                }
                Ok(Response::new(resp))
            }

            async fn plan_resource_change(&self, req: Request<pb::plan_resource_change::Request>) -> Rpc<pb::plan_resource_change::Response> {
                let req = req.into_inner();
                let private = crate::framework::Private::from_bytes(&req.prior_private);
                let result = (|| {
                    let r = self.server.resource(&req.type_name)?;
                    let ty = r.ty();
                    let prior = conv::decode(req.prior_state.as_ref(), ty, "prior state")?;
                    let proposed = conv::decode(req.proposed_new_state.as_ref(), ty, "proposed state")?;
                    let config = conv::decode(req.config.as_ref(), ty, "configuration")?;
                    let input = crate::framework::plan::PlanInput { prior: &prior, proposed: &proposed, config: &config, private: &private };
                    let planned = self.server.plan(&req.type_name, &input)?;
                    Ok::<_, crate::framework::diagnostics::Diagnostics>((conv::encode(&planned.state, ty)?, planned.requires_replace, planned.diagnostics))
                })();
                Ok(Response::new(match result {
                    Ok((state, replace, diags)) => pb::plan_resource_change::Response {
                        planned_state: Some(state),
                        requires_replace: replace.iter().map(conv::path).collect(),
                        planned_private: req.prior_private,
                        diagnostics: conv::diagnostics(diags),
                        ..Default::default()
                    },
                    Err(d) => pb::plan_resource_change::Response {
                        diagnostics: conv::diagnostics(d),
                        ..Default::default()
                    },
                }))
            }

            async fn apply_resource_change(&self, req: Request<pb::apply_resource_change::Request>) -> Rpc<pb::apply_resource_change::Response> {
                let req = req.into_inner();
                let r = match self.server.resource(&req.type_name) {
                    Ok(r) => r,
                    Err(d) => {
                        return Ok(Response::new(pb::apply_resource_change::Response {
                            new_state: req.prior_state,
                            diagnostics: conv::diagnostics(d),
                            ..Default::default()
                        }))
                    }
                };
                let ty = r.ty();
                // The configuration is where write-only values travel: the plan never holds them.
                let decoded = conv::decode(req.prior_state.as_ref(), ty, "prior state").and_then(|prior| {
                    let planned = conv::decode(req.planned_state.as_ref(), ty, "planned state")?;
                    Ok((prior, planned, conv::decode(req.config.as_ref(), ty, "configuration")?))
                });
                let (prior, planned, config) = match decoded {
                    Ok(v) => v,
                    Err(d) => {
                        return Ok(Response::new(pb::apply_resource_change::Response {
                            new_state: req.prior_state,
                            diagnostics: conv::diagnostics(d),
                            ..Default::default()
                        }))
                    }
                };
                let (new_state, mut diags) = self.server.apply(&req.type_name, &prior, &planned, &config).await;
                let encoded = match conv::encode(&new_state, ty) {
                    Ok(dv) => Some(dv),
                    Err(d) => {
                        diags.extend(d);
                        req.prior_state
                    }
                };
                // What a successful apply wrote is what the configuration asked for: an import is
                // history. A failed one leaves the import's record for the next plan.
                let private = crate::framework::Private::from_bytes(&req.planned_private);
                let private = if diags.has_errors() { private } else { private.after_apply() };
                Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: encoded,
                    private: private.to_bytes(),
                    diagnostics: conv::diagnostics(diags),
                    ..Default::default()
                }))
            }

            async fn import_resource_state(&self, req: Request<pb::import_resource_state::Request>) -> Rpc<pb::import_resource_state::Response> {
                let req = req.into_inner();
                let result = (|| {
                    let r = self.server.resource(&req.type_name)?;
                    let (state, diags, private) = self.server.import(&req.type_name, &req.id);
                    if diags.has_errors() {
                        return Err(diags);
                    }
                    Ok((conv::encode(&state, r.ty())?, diags, private))
                })();
                Ok(Response::new(match result {
                    Ok((state, diags, private)) => pb::import_resource_state::Response {
                        imported_resources: vec![pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(state),
                            private: private.to_bytes(),
                            ..Default::default()
                        }],
                        diagnostics: conv::diagnostics(diags),
                        ..Default::default()
                    },
                    Err(d) => pb::import_resource_state::Response {
                        diagnostics: conv::diagnostics(d),
                        ..Default::default()
                    },
                }))
            }

            async fn move_resource_state(&self, _: Request<pb::move_resource_state::Request>) -> Rpc<pb::move_resource_state::Response> {
                Ok(Response::new(pb::move_resource_state::Response {
                    diagnostics: unsupported("moving state between resource types"),
                    ..Default::default()
                }))
            }

            async fn read_data_source(&self, req: Request<pb::read_data_source::Request>) -> Rpc<pb::read_data_source::Response> {
                let req = req.into_inner();
                let result = async {
                    let ds = self.server.data_source(&req.type_name)?;
                    let config = conv::decode(req.config.as_ref(), ds.ty(), "configuration")?;
                    let (state, diags) = self.server.read_data_source(&req.type_name, &config).await;
                    if diags.has_errors() {
                        return Err(diags);
                    }
                    Ok::<_, crate::framework::diagnostics::Diagnostics>((conv::encode(&state, ds.ty())?, diags))
                }
                .await;
                Ok(Response::new(match result {
                    Ok((state, diags)) => pb::read_data_source::Response {
                        state: Some(state),
                        diagnostics: conv::diagnostics(diags),
                        ..Default::default()
                    },
                    Err(d) => pb::read_data_source::Response {
                        diagnostics: conv::diagnostics(d),
                        ..Default::default()
                    },
                }))
            }

            async fn validate_ephemeral_resource_config(&self, _: Request<pb::validate_ephemeral_resource_config::Request>) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
                Ok(Response::new(pb::validate_ephemeral_resource_config::Response { diagnostics: unsupported("ephemeral resources") }))
            }

            async fn open_ephemeral_resource(&self, _: Request<pb::open_ephemeral_resource::Request>) -> Rpc<pb::open_ephemeral_resource::Response> {
                Ok(Response::new(pb::open_ephemeral_resource::Response {
                    diagnostics: unsupported("ephemeral resources"),
                    ..Default::default()
                }))
            }

            async fn renew_ephemeral_resource(&self, _: Request<pb::renew_ephemeral_resource::Request>) -> Rpc<pb::renew_ephemeral_resource::Response> {
                Ok(Response::new(pb::renew_ephemeral_resource::Response {
                    diagnostics: unsupported("ephemeral resources"),
                    ..Default::default()
                }))
            }

            async fn close_ephemeral_resource(&self, _: Request<pb::close_ephemeral_resource::Request>) -> Rpc<pb::close_ephemeral_resource::Response> {
                Ok(Response::new(pb::close_ephemeral_resource::Response { diagnostics: unsupported("ephemeral resources") }))
            }

            async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
                Ok(Response::new(pb::get_functions::Response::default()))
            }

            async fn call_function(&self, req: Request<pb::call_function::Request>) -> Rpc<pb::call_function::Response> {
                Ok(Response::new(pb::call_function::Response {
                    result: None,
                    error: Some(pb::FunctionError {
                        text: format!("this provider has no function {:?}", req.into_inner().name),
                        function_argument: None,
                    }),
                }))
            }

            async fn $stop(&self, _: Request<pb::$stop::Request>) -> Rpc<pb::$stop::Response> {
                tracing::info!("stop requested: cancelling operations in progress");
                self.server.stop();
                Ok(Response::new(pb::$stop::Response::default()))
            }
        }
    };
}

pub(crate) use provider_service;
