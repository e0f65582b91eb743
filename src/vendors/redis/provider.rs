//! `provider "redis"`: TLS settings for talking to nodes, and the credentials reads fall back on
//! when a resource has none of its own (after import). Each setting also comes from the
//! environment; HCL wins.

use std::time::Duration;

use async_trait::async_trait;

use super::client::{Credentials, RedisClient};
use super::data_node::NodeDataSource;
use super::resource::BootstrapResource;
use crate::framework::data_source::AnyDataSource;
use crate::framework::resource::AnyResource;
use crate::framework::schema::{boolean, string, Schema};
use crate::framework::settings::{bool_setting, string_setting, Configured};
use crate::framework::{
    AttrPath, ConfigureContext, Diagnostic, Diagnostics, Provider, Typed, TypedData, Value,
};
use crate::http::{HttpClient, HttpSettings};

/// What to do about a node certificate that is not trusted, for the end of a diagnostic.
pub(crate) const UNTRUSTED_CERTIFICATE_HINT: &str = "\n\nThe node's TLS certificate is not trusted (Redis Enterprise nodes ship self-signed certificates). \
     Set ca_cert_pem in the provider block (or REDIS_CA_CERT_PEM) to the CA that signed it, \
     or insecure = true (REDIS_INSECURE) to skip verification.";

/// Attempts per request (the shared default is 6).
const NODE_ATTEMPTS: u32 = 10;

/// Longest backoff between two attempts (the shared default is 30 s).
const NODE_RETRY_CAP: Duration = Duration::from_secs(8);

#[derive(Default)]
pub struct RedisProvider {
    client: Configured<RedisClient>,
}

impl RedisProvider {
    pub fn new() -> Self {
        Self::default()
    }
}

/// The provider's credentials: both halves or neither (then resources use their own).
fn provider_credentials(config: &Value) -> Result<Option<Credentials>, Diagnostic> {
    let username = string_setting(config, "username", Some("REDIS_USERNAME"));
    let password = string_setting(config, "password", Some("REDIS_PASSWORD"));
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some(Credentials { username, password })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Diagnostic::error(
            "Missing provider setting password",
            "username is set, so password is needed too: set `password` in the provider block or the environment variable REDIS_PASSWORD.",
        )
        .at(AttrPath::root("password"))),
        (None, Some(_)) => Err(Diagnostic::error(
            "Missing provider setting username",
            "password is set, so username is needed too: set `username` in the provider block or the environment variable REDIS_USERNAME.",
        )
        .at(AttrPath::root("username"))),
    }
}

#[async_trait]
impl Provider for RedisProvider {
    fn type_name(&self) -> &'static str {
        "redis"
    }

    fn schema(&self) -> Schema {
        Schema::new("Bootstraps Redis Enterprise Software clusters through the nodes' REST API.")
            .attr(
                "username",
                string().optional().describe(
                    "Cluster administrator user, for resources without credentials of their own (after `terraform import`) and `redis_node` data sources that set none. Environment: REDIS_USERNAME.",
                ),
            )
            .attr(
                "password",
                string()
                    .optional()
                    .sensitive()
                    .describe("Password of `username`. Environment: REDIS_PASSWORD."),
            )
            .attr(
                "insecure",
                boolean().optional().describe(
                    "Skip TLS certificate verification (nodes ship self-signed certificates). Environment: REDIS_INSECURE. Default false.",
                ),
            )
            .attr(
                "ca_cert_pem",
                string().optional().describe(
                    "PEM bundle of CA certificates to trust for the nodes' HTTPS, in addition to the system's, e.g. `file(\"proxy_cert.pem\")`. Environment: REDIS_CA_CERT_PEM.",
                ),
            )
    }

    async fn configure(&self, config: &Value, ctx: &ConfigureContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let credentials = provider_credentials(config).map_err(|d| diags.push(d)).ok();
        let insecure = bool_setting(config, "insecure", "REDIS_INSECURE")
            .map_err(|d| diags.push(d))
            .ok();
        let ca_cert_pem = string_setting(config, "ca_cert_pem", Some("REDIS_CA_CERT_PEM"));
        let (Some(credentials), Some(insecure)) = (credentials, insecure) else {
            return diags;
        };
        if insecure && ca_cert_pem.is_some() {
            diags.push(
                Diagnostic::warning(
                    "ca_cert_pem is ignored",
                    "insecure = true turns certificate verification off, so the CA bundle in ca_cert_pem is not used.",
                )
                .at(AttrPath::root("ca_cert_pem")),
            );
        }
        let settings = HttpSettings {
            // Every resource names its own node; see `RedisClient::node`.
            base_url: String::new(),
            insecure,
            ca_cert_pem,
            // A node answers 503 while its services start and has no rate limit to respect:
            // more attempts per call, with shorter pauses (under a minute of backoff at worst;
            // a 429's Retry-After is honoured all the same).
            max_attempts: NODE_ATTEMPTS,
            retry_cap: NODE_RETRY_CAP,
            ..ctx.http_settings()
        };
        match HttpClient::new(settings) {
            Ok(http) => self.client.set(RedisClient::new(http, credentials)),
            Err(e) => diags.push(
                Diagnostic::error("Cannot build the HTTP client", e.to_string())
                    .at(AttrPath::root("ca_cert_pem")),
            ),
        }
        diags
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![Typed::boxed(BootstrapResource::new(self.client.clone()))]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        vec![TypedData::boxed(NodeDataSource::new(self.client.clone()))]
    }
}
