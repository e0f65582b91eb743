//! Protocol 6 (Terraform 1.0+, OpenTofu).

crate::protocol::service::provider_service! {
    pb: tfplugin6,
    service: ProviderV6,
    get_schema: get_provider_schema,
    validate_resource: validate_resource_config,
    validate_data: validate_data_resource_config,
    configure: configure_provider,
    stop: stop_provider,
    extra: {
        async fn validate_provider_config(&self, req: Request<pb::validate_provider_config::Request>) -> Rpc<pb::validate_provider_config::Response> {
            let req = req.into_inner();
            let diags = match conv::decode(req.config.as_ref(), self.server.provider_type(), "provider configuration") {
                Ok(config) => self.server.validate_provider(&config),
                Err(d) => d,
            };
            Ok(Response::new(pb::validate_provider_config::Response { diagnostics: conv::diagnostics(diags) }))
        }
    }
}
