//! `provider "instaclustr"`: credentials, API host and request spacing, each also from the
//! environment.

use async_trait::async_trait;

use super::client::InstaclustrClient;
use super::data_clusters::AccountClusters;
use super::data_credentials::ClusterCredentials;
use super::resource::ClusterResource;
use crate::framework::data_source::AnyDataSource;
use crate::framework::resource::AnyResource;
use crate::framework::schema::{boolean, string, Schema};
use crate::framework::settings::{bool_setting, required_setting, string_setting, Configured};
use crate::framework::validators::{duration, not_empty};
use crate::framework::{
    AttrPath, ConfigureContext, Diagnostic, Diagnostics, Provider, Typed, TypedData, Value,
};
use crate::http::{HttpClient, HttpSettings};

pub const DEFAULT_API: &str = "https://api.instaclustr.com";
/// The API allows one request per 2.5 s per IP address.
pub const DEFAULT_INTERVAL: &str = "2.5s";

#[derive(Default)]
pub struct InstaclustrProvider {
    client: Configured<InstaclustrClient>,
    /// `allow_duplicate_cluster_names`.
    duplicate_names: Configured<bool>,
}

impl InstaclustrProvider {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Provider for InstaclustrProvider {
    fn type_name(&self) -> &'static str {
        "instaclustr"
    }

    fn schema(&self) -> Schema {
        Schema::new("Manages Instaclustr clusters through the provisioning API.")
            .attr(
                "username",
                string().optional().describe("Instaclustr account username. Environment: IC_USERNAME."),
            )
            .attr(
                "api_key",
                string()
                    .optional()
                    .sensitive()
                    .describe("Provisioning API key. Environment: IC_API_KEY."),
            )
            .attr(
                "api_hostname",
                string()
                    .optional()
                    .validate(not_empty())
                    .describe("Base URL of the API, may include a path prefix. Environment: IC_API_HOSTNAME. Default https://api.instaclustr.com."),
            )
            .attr(
                "request_interval",
                string().optional().validate(duration()).describe(
                    "Minimum spacing between requests, e.g. \"2.5s\" (the API's per-IP limit, the default). It holds across all provider processes of one user on this host that talk to the same `api_hostname` (parallel `terraform` runs, `terragrunt run-all`), not just within one; each process spaces its own requests by its own setting, and processes aimed at other hostnames never wait for each other. Environment: IC_REQUEST_INTERVAL. 429 answers are retried after `Retry-After` either way.",
                ),
            )
            .attr(
                "allow_duplicate_cluster_names",
                boolean().optional().describe(
                    "Create a cluster even when the account already has a live cluster with the same `cluster_name` (default false). Without it, such a cluster stops the create with its id and the `terraform import` command, because it is what an interrupted earlier create leaves behind. Set it for accounts that reuse names on purpose. Environment: IC_ALLOW_DUPLICATE_CLUSTER_NAMES.",
                ),
            )
    }

    async fn configure(&self, config: &Value, ctx: &ConfigureContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let username = required_setting(config, "username", "IC_USERNAME");
        let api_key = required_setting(config, "api_key", "IC_API_KEY");
        let base_url = string_setting(config, "api_hostname", Some("IC_API_HOSTNAME"))
            .unwrap_or_else(|| DEFAULT_API.to_string());
        let interval_text = string_setting(config, "request_interval", Some("IC_REQUEST_INTERVAL"))
            .unwrap_or_else(|| DEFAULT_INTERVAL.to_string());
        let interval = match crate::framework::validators::parse_duration(&interval_text) {
            Ok(d) => Some(d),
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid request_interval",
                        format!("{interval_text:?}: {e}"),
                    )
                    .at(AttrPath::root("request_interval")),
                );
                None
            }
        };
        let duplicates = bool_setting(
            config,
            "allow_duplicate_cluster_names",
            "IC_ALLOW_DUPLICATE_CLUSTER_NAMES",
        );
        let (username, api_key, interval, duplicates) =
            match (username, api_key, interval, duplicates) {
                (Ok(u), Ok(k), Some(i), Ok(d)) => (u, k, i, d),
                (u, k, _, d) => {
                    diags.extend(
                        u.err()
                            .into_iter()
                            .chain(k.err())
                            .chain(d.err())
                            .collect::<Vec<_>>()
                            .into(),
                    );
                    return diags;
                }
            };
        self.duplicate_names.set(duplicates);
        let settings = HttpSettings {
            base_url,
            request_interval: interval,
            ..ctx.http_settings()
        };
        match HttpClient::new(settings) {
            Ok(http) => self.client.set(
                InstaclustrClient::new(http, username, api_key).with_request_interval(interval),
            ),
            Err(e) => diags.error("Cannot build the HTTP client", e.to_string()),
        }
        diags
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![Typed::boxed(ClusterResource::new(
            self.client.clone(),
            self.duplicate_names.clone(),
        ))]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        vec![
            TypedData::boxed(ClusterCredentials::new(self.client.clone())),
            TypedData::boxed(AccountClusters::new(self.client.clone())),
        ]
    }
}
