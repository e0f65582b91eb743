//! Protocol 5 (Terraform 0.12+).

crate::protocol::service::provider_service! {
    pb: tfplugin5,
    service: ProviderV5,
    get_schema: get_schema,
    validate_resource: validate_resource_type_config,
    validate_data: validate_data_source_config,
    configure: configure,
    stop: stop,
    extra: {
        /// Protocol 5 lets the provider rewrite the config here; it is returned unchanged.
        async fn prepare_provider_config(&self, req: Request<pb::prepare_provider_config::Request>) -> Rpc<pb::prepare_provider_config::Response> {
            let req = req.into_inner();
            let diags = match conv::decode(req.config.as_ref(), self.server.provider_type(), "provider configuration") {
                Ok(config) => self.server.validate_provider(&config),
                Err(d) => d,
            };
            Ok(Response::new(pb::prepare_provider_config::Response {
                prepared_config: req.config,
                diagnostics: conv::diagnostics(diags),
            }))
        }
    }
}
