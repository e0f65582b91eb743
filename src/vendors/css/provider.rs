//! `provider "css"`: region and endpoints, project, and either IAM password credentials or a
//! ready token; each also from the environment (HCL wins).

use std::sync::Arc;

use async_trait::async_trait;

use super::client::CssClient;
use super::data_cluster::ClusterLookup;
use super::resource::ClusterResource;
use super::token::{PasswordLogin, Secret, TokenSource};
use crate::framework::data_source::AnyDataSource;
use crate::framework::resource::AnyResource;
use crate::framework::schema::{boolean, string, Schema};
use crate::framework::settings::{bool_setting, required_setting, string_setting, Configured};
use crate::framework::validators::{matches, not_empty};
use crate::framework::{
    AttrPath, ConfigureContext, Diagnostic, Diagnostics, Provider, Typed, TypedData, Value,
};
use crate::http::{HttpClient, HttpSettings};

/// Region names are host name labels (`cn-north-4`): they go into the default endpoints.
const REGION_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

#[derive(Default)]
pub struct CssProvider {
    client: Configured<CssClient>,
}

impl CssProvider {
    pub fn new() -> Self {
        Self::default()
    }
}

/// An endpoint from HCL or its variable, else derived from the region.
fn endpoint(
    config: &Value,
    attr: &str,
    env: &str,
    region: Option<&str>,
    host: &str,
) -> Result<String, Diagnostic> {
    if let Some(url) = string_setting(config, attr, Some(env)) {
        return Ok(url);
    }
    match region {
        Some(region) => Ok(format!("https://{host}.{region}.myhuaweicloud.com")),
        None => Err(Diagnostic::error(
            format!("Missing provider setting {attr}"),
            format!(
                "Set `region` (or CSS_REGION) for the default endpoints, or set `{attr}` in the \
                 provider block or the environment variable {env}."
            ),
        )
        .at(AttrPath::root(attr))),
    }
}

/// IAM's base URL: the API lives under `/v3`, which users of Huawei tools often include in the
/// endpoint already; it is not added twice.
fn iam_base(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    trimmed.strip_suffix("/v3").unwrap_or(trimmed).to_string()
}

/// `auth_token` when set (HCL or environment); else the three password settings, all of them.
fn credentials(config: &Value) -> Result<Credentials, Diagnostic> {
    if let Some(token) = string_setting(config, "auth_token", Some("CSS_AUTH_TOKEN")) {
        return Ok(Credentials::Token(Secret::new(token)));
    }
    let wanted = [
        ("domain_name", "CSS_DOMAIN_NAME"),
        ("user_name", "CSS_USER_NAME"),
        ("password", "CSS_PASSWORD"),
    ];
    let values: Vec<Option<String>> = wanted
        .iter()
        .map(|(attr, env)| string_setting(config, attr, Some(env)))
        .collect();
    match values.as_slice() {
        [Some(domain), Some(user), Some(password)] => Ok(Credentials::Password {
            domain_name: domain.clone(),
            user_name: user.clone(),
            password: Secret::new(password.clone()),
        }),
        _ => {
            let missing: Vec<(&str, &str)> = wanted
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|(w, _)| *w)
                .collect();
            let names: Vec<String> = missing
                .iter()
                .map(|(attr, env)| format!("`{attr}` (or {env})"))
                .collect();
            let first = missing.first().map(|(attr, _)| *attr).unwrap_or("password");
            Err(Diagnostic::error(
                format!("Missing provider setting {first}"),
                format!(
                    "CSS needs IAM credentials: set {} in the provider block or the environment, \
                     or give a ready token in `auth_token` (or CSS_AUTH_TOKEN).",
                    names.join(", ")
                ),
            )
            .at(AttrPath::root(first)))
        }
    }
}

enum Credentials {
    Token(Secret),
    Password {
        domain_name: String,
        user_name: String,
        password: Secret,
    },
}

#[async_trait]
impl Provider for CssProvider {
    fn type_name(&self) -> &'static str {
        "css"
    }

    fn schema(&self) -> Schema {
        Schema::new("Manages Huawei Cloud Search Service (CSS) clusters, authenticating with IAM tokens.")
            .attr(
                "region",
                string()
                    .optional()
                    .validate(matches(REGION_PATTERN, "a region name such as \"cn-north-4\""))
                    .describe("Region, e.g. `cn-north-4`, used for the default endpoints. Environment: CSS_REGION."),
            )
            .attr(
                "iam_endpoint",
                string()
                    .optional()
                    .validate(not_empty())
                    .describe("Base URL of IAM, may include a path prefix. Environment: CSS_IAM_ENDPOINT. Default `https://iam.<region>.myhuaweicloud.com`."),
            )
            .attr(
                "endpoint",
                string()
                    .optional()
                    .validate(not_empty())
                    .describe("Base URL of the CSS API, may include a path prefix. Environment: CSS_ENDPOINT. Default `https://css.<region>.myhuaweicloud.com`."),
            )
            .attr(
                "project_id",
                string()
                    .optional()
                    .validate(not_empty())
                    .describe("Project the clusters belong to (and the IAM token is scoped to). Required. Environment: CSS_PROJECT_ID."),
            )
            .attr(
                "domain_name",
                string()
                    .optional()
                    .describe("IAM domain (account) name, for token auth with `user_name` and `password`. Environment: CSS_DOMAIN_NAME."),
            )
            .attr(
                "user_name",
                string()
                    .optional()
                    .describe("IAM user name. Environment: CSS_USER_NAME."),
            )
            .attr(
                "password",
                string()
                    .optional()
                    .sensitive()
                    .describe("IAM user password. Environment: CSS_PASSWORD."),
            )
            .attr(
                "auth_token",
                string()
                    .optional()
                    .sensitive()
                    .describe("A ready IAM token, used instead of `domain_name`, `user_name` and `password` (which are then ignored); it cannot be renewed. Environment: CSS_AUTH_TOKEN."),
            )
            .attr(
                "insecure",
                boolean()
                    .optional()
                    .describe("Skip TLS certificate verification (default false). Environment: CSS_INSECURE."),
            )
    }

    async fn configure(&self, config: &Value, ctx: &ConfigureContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let region = string_setting(config, "region", Some("CSS_REGION"));
        if let Some(r) = &region {
            if !regex_is_region(r) {
                diags.push(
                    Diagnostic::error(
                        "Invalid region",
                        format!("{r:?} is not a region name such as \"cn-north-4\" (from CSS_REGION or the provider block)."),
                    )
                    .at(AttrPath::root("region")),
                );
                return diags;
            }
        }
        let project = required_setting(config, "project_id", "CSS_PROJECT_ID");
        let creds = credentials(config);
        let css_url = endpoint(config, "endpoint", "CSS_ENDPOINT", region.as_deref(), "css");
        // IAM is only needed for password credentials.
        let iam_url = match &creds {
            Ok(Credentials::Password { .. }) => Some(endpoint(
                config,
                "iam_endpoint",
                "CSS_IAM_ENDPOINT",
                region.as_deref(),
                "iam",
            )),
            _ => None,
        };
        let insecure = bool_setting(config, "insecure", "CSS_INSECURE");
        let (project, creds, css_url, iam_url, insecure) =
            match (project, creds, css_url, iam_url.transpose(), insecure) {
                (Ok(p), Ok(c), Ok(u), Ok(i), Ok(s)) => (p, c, u, i, s),
                (p, c, u, i, s) => {
                    let problems = [p.err(), c.err(), u.err(), i.err(), s.err()];
                    for d in problems.into_iter().flatten() {
                        diags.push(d);
                    }
                    return diags;
                }
            };
        let settings = HttpSettings {
            base_url: css_url,
            insecure,
            ..ctx.http_settings()
        };
        let http = match HttpClient::new(settings) {
            Ok(http) => http,
            Err(e) => {
                diags.error("Cannot build the HTTP client for endpoint", e.to_string());
                return diags;
            }
        };
        let tokens = match creds {
            Credentials::Token(token) => TokenSource::fixed(token),
            Credentials::Password {
                domain_name,
                user_name,
                password,
            } => {
                let iam_url = iam_url.map(|u| iam_base(&u)).unwrap_or_default();
                let iam = match http.with_base_url(&iam_url) {
                    Ok(iam) => iam,
                    Err(e) => {
                        diags.error(
                            "Cannot build the HTTP client for iam_endpoint",
                            e.to_string(),
                        );
                        return diags;
                    }
                };
                TokenSource::password(
                    iam,
                    PasswordLogin {
                        domain_name,
                        user_name,
                        password,
                        project_id: project.clone(),
                    },
                )
            }
        };
        self.client
            .set(CssClient::new(http, project, Arc::new(tokens)));
        diags
    }

    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        vec![Typed::boxed(ClusterResource::new(self.client.clone()))]
    }

    fn data_sources(&self) -> Vec<Box<dyn AnyDataSource>> {
        vec![TypedData::boxed(ClusterLookup::new(self.client.clone()))]
    }
}

fn regex_is_region(text: &str) -> bool {
    regex::Regex::new(REGION_PATTERN).is_ok_and(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terraform() -> ConfigureContext {
        ConfigureContext::new("css", "1.11.4")
    }

    fn config(pairs: &[(&str, &str)]) -> Value {
        let mut all: Vec<(String, Value)> = [
            "region",
            "iam_endpoint",
            "endpoint",
            "project_id",
            "domain_name",
            "user_name",
            "password",
            "auth_token",
            "insecure",
        ]
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect();
        for (k, v) in pairs {
            if let Some(slot) = all.iter_mut().find(|(name, _)| name == k) {
                slot.1 = Value::from(*v);
            }
        }
        Value::object(all)
    }

    // Environment variables are process-wide: these tests only use settings from HCL and
    // assume no CSS_* variable is set in the test environment.
    #[tokio::test]
    async fn missing_credentials_name_every_missing_setting_once() {
        if std::env::vars().any(|(k, _)| k.starts_with("CSS_")) {
            return;
        }
        let p = CssProvider::new();
        let diags = p
            .configure(
                &config(&[
                    ("project_id", "p"),
                    ("region", "cn-north-4"),
                    ("user_name", "u"),
                ]),
                &terraform(),
            )
            .await;
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        let d = &diags.0[0];
        assert!(
            d.detail.contains("`domain_name` (or CSS_DOMAIN_NAME)"),
            "{d:?}"
        );
        assert!(d.detail.contains("`password` (or CSS_PASSWORD)"), "{d:?}");
        assert!(!d.detail.contains("`user_name`"), "{d:?}");
        assert_eq!(d.path, Some(AttrPath::root("domain_name")));
    }

    #[tokio::test]
    async fn a_token_needs_no_iam_endpoint_and_endpoints_need_a_region() {
        if std::env::vars().any(|(k, _)| k.starts_with("CSS_")) {
            return;
        }
        let p = CssProvider::new();
        let diags = p
            .configure(
                &config(&[
                    ("project_id", "p"),
                    ("auth_token", "t"),
                    ("endpoint", "http://127.0.0.1:9/css"),
                ]),
                &terraform(),
            )
            .await;
        assert!(diags.0.is_empty(), "{diags:?}");

        let p = CssProvider::new();
        let diags = p
            .configure(
                &config(&[("project_id", "p"), ("auth_token", "t")]),
                &terraform(),
            )
            .await;
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert!(diags.0[0].detail.contains("CSS_ENDPOINT"));
    }

    #[test]
    fn iam_base_does_not_double_v3() {
        assert_eq!(iam_base("https://iam.x.com/v3/"), "https://iam.x.com");
        assert_eq!(iam_base("http://127.0.0.1:1/iam"), "http://127.0.0.1:1/iam");
        assert!(regex_is_region("cn-north-4"));
        assert!(!regex_is_region("cn north"));
    }
}
