//! `provider "cloudbasic"`: the instance's API endpoint, its key pair, the SigV4 scope, the body
//! encoding and TLS verification, each also from the environment where the spec names a
//! variable.
//!
//! The key pair is optional here: `cloudbasic_instance` creates one (ActivateInstance is
//! unsigned), so a configuration can activate instances with a provider that has none, and pass
//! their keys to another provider block. A signed call without them fails before sending
//! ([`super::client::ApiError::MissingCredentials`]).

use async_trait::async_trait;

use super::body::PayloadFormat;
use super::client::{ClientSettings, CloudBasicClient, MissingKeys};
use super::instance::InstanceResource;
use super::resource::ClusterResource;
use super::signing::{Credentials, Scope};
use super::validate::endpoint_problem;
use crate::framework::resource::AnyResource;
use crate::framework::schema::{boolean, string, Schema};
use crate::framework::settings::{bool_setting, required_setting, string_setting, Configured};
use crate::framework::validators::{not_empty, one_of, Check};
use crate::framework::{
    AttrPath, ConfigureContext, Diagnostic, Diagnostics, Provider, Typed, Value,
};
use crate::http::{HttpClient, HttpSettings};

pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_SERVICE: &str = "cloudbasic";

#[derive(Default)]
pub struct CloudBasicProvider {
    client: Configured<CloudBasicClient>,
}

impl CloudBasicProvider {
    pub fn new() -> Self {
        Self::default()
    }
}

fn endpoint_check(value: &Value) -> Option<String> {
    endpoint_problem(value.as_str()?)
}

#[async_trait]
impl Provider for CloudBasicProvider {
    fn type_name(&self) -> &'static str {
        "cloudbasic"
    }

    fn schema(&self) -> Schema {
        Schema::new("Activates CloudBasic instances and manages their Multi-AZ HA clusters through an instance's REST API (SigV4-signed, except ActivateInstance).")
            .attr(
                "endpoint",
                string().optional().validate(Check(endpoint_check)).describe(
                    "Base URL of the local instance's API, e.g. `http://10.0.0.5:82` (HTTPS: port 445); may include a path prefix. Required here or in CLOUDBASIC_ENDPOINT.",
                ),
            )
            .attr(
                "access_key",
                string().optional().describe(
                    "API public key of the local instance (ActivateInstance or CreateUser `publicKey`; e.g. a `cloudbasic_instance`'s `access_key`). Environment: CLOUDBASIC_ACCESS_KEY. Needed by every signed call (`cloudbasic_cluster`), not by `cloudbasic_instance`: a provider block without it can activate instances; a signed call without it fails before any request.",
                ),
            )
            .attr(
                "secret_key",
                string().optional().sensitive().describe(
                    "API private key paired with `access_key` (`privateKey`; e.g. a `cloudbasic_instance`'s `secret_key`). Environment: CLOUDBASIC_SECRET_KEY. Needed by every signed call, like `access_key`.",
                ),
            )
            .attr(
                "region",
                string().optional().describe(
                    "Region of the SigV4 credential scope. Environment: CLOUDBASIC_REGION. Default `us-east-1`.",
                ),
            )
            .attr(
                "signing_service",
                string()
                    .optional()
                    .validate(not_empty())
                    .describe("Service name of the SigV4 credential scope. Default `cloudbasic`."),
            )
            .attr(
                "payload_format",
                string()
                    .optional()
                    .validate(one_of(&PayloadFormat::NAMES))
                    .describe("Encoding of request and response bodies: `json` (default) or `xml`."),
            )
            .attr(
                "insecure",
                boolean().optional().describe(
                    "Skip TLS certificate verification (instances often serve a self-signed certificate). Environment: CLOUDBASIC_INSECURE. Default false.",
                ),
            )
    }

    async fn configure(&self, config: &Value, ctx: &ConfigureContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let endpoint = required_setting(config, "endpoint", "CLOUDBASIC_ENDPOINT");
        // Not needed to activate an instance: checked by the first signed call.
        let access_key = string_setting(config, "access_key", Some("CLOUDBASIC_ACCESS_KEY"));
        let secret_key = string_setting(config, "secret_key", Some("CLOUDBASIC_SECRET_KEY"));
        let region = string_setting(config, "region", Some("CLOUDBASIC_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        let service = string_setting(config, "signing_service", None)
            .unwrap_or_else(|| DEFAULT_SERVICE.to_string());
        let format_name = string_setting(config, "payload_format", None);
        let format = match format_name.as_deref().map(PayloadFormat::parse) {
            None => Some(PayloadFormat::Json),
            Some(Some(f)) => Some(f),
            Some(None) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid payload_format",
                        format!(
                            "{:?} is not `json` or `xml`.",
                            format_name.unwrap_or_default()
                        ),
                    )
                    .at(AttrPath::root("payload_format")),
                );
                None
            }
        };
        let insecure = bool_setting(config, "insecure", "CLOUDBASIC_INSECURE")
            .map_err(|d| diags.push(d))
            .ok();
        // The environment variable is not checked at plan time like the HCL value is.
        if let Ok(url) = &endpoint {
            if let Some(problem) = endpoint_problem(url) {
                diags.push(
                    Diagnostic::error("Invalid endpoint", problem).at(AttrPath::root("endpoint")),
                );
            }
        }
        let endpoint = match endpoint {
            Ok(e) => e,
            Err(d) => {
                diags.push(d);
                return diags;
            }
        };
        let credentials = match (access_key, secret_key) {
            (Some(a), Some(s)) => Ok(Credentials::new(a, s)),
            (a, s) => Err(MissingKeys {
                access_key: a.is_none(),
                secret_key: s.is_none(),
            }),
        };
        let (Some(format), Some(insecure)) = (format, insecure) else {
            return diags;
        };
        if diags.has_errors() {
            return diags;
        }
        let settings = HttpSettings {
            base_url: endpoint,
            insecure,
            ..ctx.http_settings()
        };
        match HttpClient::new(settings) {
            Ok(http) => self.client.set(CloudBasicClient::new(
                http,
                ClientSettings {
                    credentials,
                    scope: Scope { region, service },
                    format,
                },
            )),
            Err(e) => diags.push(
                Diagnostic::error("Cannot build the HTTP client", e.to_string())
                    .at(AttrPath::root("endpoint")),
            ),
        }
        diags
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![
            Typed::boxed(ClusterResource::new(self.client.clone())),
            Typed::boxed(InstanceResource::new(self.client.clone())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terraform() -> ConfigureContext {
        ConfigureContext::new("cloudbasic", "1.11.4")
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        CloudBasicProvider::new().schema().block.object_with(pairs)
    }

    // Environment variables are process-wide, so every case that depends on them runs in this
    // one test.
    #[tokio::test]
    async fn only_the_endpoint_is_required_and_env_fills_in() {
        for var in [
            "CLOUDBASIC_ENDPOINT",
            "CLOUDBASIC_ACCESS_KEY",
            "CLOUDBASIC_SECRET_KEY",
        ] {
            std::env::remove_var(var);
        }
        let p = CloudBasicProvider::new();
        let diags = p.configure(&config(&[]), &terraform()).await;
        let texts: Vec<String> = diags
            .iter()
            .map(|d| format!("{} {}", d.summary, d.detail))
            .collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(
            texts[0].contains("endpoint") && texts[0].contains("CLOUDBASIC_ENDPOINT"),
            "{texts:?}"
        );

        // No key pair at all: configured (activation needs none); signed calls will refuse.
        let p = CloudBasicProvider::new();
        let diags = p
            .configure(
                &config(&[("endpoint", "http://127.0.0.1:1".into())]),
                &terraform(),
            )
            .await;
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(p.client.get().unwrap().endpoint(), "http://127.0.0.1:1");

        std::env::set_var("CLOUDBASIC_SECRET_KEY", "from-env");
        let p = CloudBasicProvider::new();
        let diags = p
            .configure(
                &config(&[
                    ("endpoint", "http://127.0.0.1:1/cloudbasic".into()),
                    ("access_key", "AK".into()),
                    ("payload_format", "xml".into()),
                ]),
                &terraform(),
            )
            .await;
        std::env::remove_var("CLOUDBASIC_SECRET_KEY");
        assert!(diags.is_empty(), "{diags:?}");
        let client = p.client.get().unwrap();
        assert_eq!(client.format(), PayloadFormat::Xml);
        assert!(!format!("{client:?}").contains("from-env"));

        let p = CloudBasicProvider::new();
        let diags = p
            .configure(
                &config(&[
                    ("endpoint", "10.0.0.5:82".into()),
                    ("access_key", "AK".into()),
                    ("secret_key", "SK".into()),
                ]),
                &terraform(),
            )
            .await;
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert_eq!(diags.0[0].path, Some(AttrPath::root("endpoint")));
    }
}
