//! `cloudbasic_cluster`: one Multi-AZ HA cluster between the provider's instance
//! (`local_server`) and a remote instance.
//!
//! The API can create, alter and delete a cluster but never describe one, so this resource is
//! write-only and says so: Read returns the state Terraform already holds (it cannot notice a
//! change made outside Terraform), and import records only what its id names. Nothing here
//! invents a read.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{AlterCluster, ApiError, CloudBasicClient, CreateCluster, DeleteCluster};
use super::validate::{host, HOST_RULE};
use crate::framework::schema::{number, string, Schema};
use crate::framework::settings::Configured;
use crate::framework::validators::{int_between, not_empty, Check};
use crate::framework::{AttrPath, Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

/// One field per attribute. Everything except `local_server` is optional here because an
/// imported resource knows nothing but its id until the next apply.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Cluster {
    pub id: Option<String>,
    pub local_server: String,
    pub remote_server: Option<String>,
    pub port: Option<i64>,
    pub remote_public_key: Option<String>,
    pub remote_private_key: Option<String>,
    pub standalone_server: Option<String>,
}

pub struct ClusterResource {
    client: Configured<CloudBasicClient>,
}

impl ClusterResource {
    pub fn new(client: Configured<CloudBasicClient>) -> Self {
        ClusterResource { client }
    }

    fn client(&self) -> Result<&CloudBasicClient, Failure<Cluster>> {
        self.client.get().map_err(Failure::from)
    }
}

fn host_check(value: &Value) -> Option<String> {
    let text = value.as_str()?;
    (!host(text)).then(|| format!("{text:?} is not {HOST_RULE}."))
}

fn schema() -> Schema {
    Schema::new(
        "A CloudBasic Multi-AZ HA cluster between the instance whose API the provider talks to \
         (`local_server`) and a remote instance. The API cannot describe a cluster, so the \
         resource never reads one back: see \"No read action\" below.",
    )
    .attr(
        "id",
        string().computed().describe("Equals `local_server`; also the import id."),
    )
    .attr(
        "local_server",
        string()
            .required()
            .replace()
            .validate(Check(host_check))
            .describe(
                "IPv4 address, IPv6 address or DNS name of this instance (the one at the provider's `endpoint`), sent as `localServer`.",
            ),
    )
    .attr(
        "remote_server",
        string().required().validate(not_empty()).describe(
            "IP address or DNS name of the remote instance, sent as `remoteServer`. Changed in place with AlterCluster.",
        ),
    )
    .attr(
        "port",
        number()
            .required()
            .validate(int_between(1, 65535))
            .describe(
                "Port of the cluster communication, 1–65535 (the vendor's defaults: 81, or 444 with TLS). Changed in place with AlterCluster.",
            ),
    )
    .attr(
        "remote_public_key",
        string().required().validate(not_empty()).describe(
            "API public key of the remote instance (from its ActivateInstance or CreateUser), sent as `publicKey`. Changed in place with AlterCluster.",
        ),
    )
    .attr(
        "remote_private_key",
        string().required().sensitive().validate(not_empty()).describe(
            "API private key paired with `remote_public_key`, sent as `privateKey`. Changed in place with AlterCluster.",
        ),
    )
    .attr(
        "standalone_server",
        string()
            .default_from("local_server")
            .validate(Check(host_check))
            .describe(
                "The server that stays primary when the cluster is destroyed, sent as `standaloneServer` to DeleteCluster. Defaults to `local_server`. Changing it only changes state.",
            ),
    )
}

/// The attribute an API field name stands for, so that an error lands on the line the user
/// wrote.
fn attribute_for(field: &str) -> Option<&'static str> {
    Some(match field.to_ascii_lowercase().as_str() {
        "remoteserver" => "remote_server",
        "localserver" => "local_server",
        "port" => "port",
        "publickey" => "remote_public_key",
        "privatekey" => "remote_private_key",
        "standaloneserver" => "standalone_server",
        _ => return None,
    })
}

/// One diagnostic per problem the API named, on the attribute it concerns; the request id goes
/// into every detail so the vendor's support can find the call.
fn api_failure(action: &str, err: &ApiError) -> Failure<Cluster> {
    let problems = err.problems();
    if problems.is_empty() || !matches!(err, ApiError::Rejected { .. }) {
        return Failure::new(format!("CloudBasic: {action} failed"), err.to_string());
    }
    let diagnostics: Vec<Diagnostic> = problems
        .iter()
        .map(|p| {
            let attribute = p.field.as_deref().and_then(attribute_for);
            let summary = match (&p.field, attribute) {
                (Some(field), Some(attr)) => {
                    format!("CloudBasic rejected {attr} ({field}): {}", p.message)
                }
                (Some(field), None) => format!("CloudBasic rejected {field}: {}", p.message),
                (None, _) => format!("CloudBasic rejected the request: {}", p.message),
            };
            let d = Diagnostic::error(summary, format!("{err}."));
            match attribute {
                Some(attr) => d.at(AttrPath::root(attr)),
                None => d,
            }
        })
        .collect();
    Diagnostics::from(diagnostics).into()
}

/// A model's required value, or a diagnostic naming the attribute (only reachable when state
/// came from an import and the configuration does not set it).
fn need<T: Clone>(value: &Option<T>, attr: &str) -> Result<T, Failure<Cluster>> {
    value.clone().ok_or_else(|| {
        Diagnostic::error(
            format!("Missing {attr}"),
            format!("`{attr}` must be set in the configuration."),
        )
        .at(AttrPath::root(attr))
        .into()
    })
}

fn port(m: &Cluster) -> Result<u16, Failure<Cluster>> {
    let raw = need(&m.port, "port")?;
    u16::try_from(raw).ok().filter(|p| *p > 0).ok_or_else(|| {
        Diagnostic::error(
            "Invalid port",
            format!("{raw} is not a port from 1 to 65535."),
        )
        .at(AttrPath::root("port"))
        .into()
    })
}

/// Whether an update must call AlterCluster: any of the settings it carries changed.
fn remote_settings_changed(prior: &Cluster, plan: &Cluster) -> bool {
    prior.remote_server != plan.remote_server
        || prior.port != plan.port
        || prior.remote_public_key != plan.remote_public_key
        || prior.remote_private_key != plan.remote_private_key
}

#[async_trait]
impl Resource for ClusterResource {
    type Model = Cluster;

    fn type_name(&self) -> &'static str {
        "cloudbasic_cluster"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn create(&self, ctx: &Ctx, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let client = self.client()?;
        let request = CreateCluster {
            remote_server: need(&plan.remote_server, "remote_server")?,
            local_server: plan.local_server.clone(),
            port: port(&plan)?,
            public_key: need(&plan.remote_public_key, "remote_public_key")?,
            private_key: need(&plan.remote_private_key, "remote_private_key")?,
        };
        let mut state = plan;
        state.id = Some(state.local_server.clone());
        if state.standalone_server.is_none() {
            state.standalone_server = Some(state.local_server.clone());
        }
        match client.create_cluster(&request, ctx.cancel_token()).await {
            Ok(()) => {
                tracing::info!(local_server = %request.local_server, remote_server = %request.remote_server, "cluster created");
                Ok(state)
            }
            // No answer after sending: the cluster may exist. Keeping it in state (Terraform
            // then marks it tainted) means the next apply dissolves it before creating again,
            // rather than forgetting a live cluster.
            Err(e) if e.outcome_unknown() => Err(Failure::new(
                "CloudBasic: CreateCluster may or may not have been applied",
                format!(
                    "{e}. The cluster is kept in state as tainted: the next apply deletes it \
                     (DeleteCluster) and creates it again."
                ),
            )
            .with_state(state)),
            Err(e) => Err(api_failure("CreateCluster", &e)),
        }
    }

    /// There is no read action: the prior state is all there is to know. A cluster changed or
    /// dissolved outside Terraform is therefore not noticed (see the resource documentation).
    async fn read(&self, _ctx: &Ctx, state: Cluster) -> Outcome<Option<Cluster>, Cluster> {
        let mut state = state;
        if state.id.is_none() && !state.local_server.is_empty() {
            state.id = Some(state.local_server.clone());
        }
        Ok(Some(state))
    }

    async fn update(&self, ctx: &Ctx, prior: Cluster, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let mut state = plan.clone();
        state.id = Some(plan.local_server.clone());
        // standalone_server is only used on destroy: a change of it alone is state only.
        if !remote_settings_changed(&prior, &plan) {
            return Ok(state);
        }
        let client = self.client()?;
        let request = AlterCluster {
            remote_server: need(&plan.remote_server, "remote_server")?,
            port: port(&plan)?,
            public_key: need(&plan.remote_public_key, "remote_public_key")?,
            private_key: need(&plan.remote_private_key, "remote_private_key")?,
        };
        client
            .alter_cluster(&request, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("AlterCluster", &e))?;
        tracing::info!(local_server = %plan.local_server, remote_server = %request.remote_server, port = request.port, "cluster altered");
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Cluster) -> Outcome<(), Cluster> {
        let client = self.client()?;
        let standalone = state
            .standalone_server
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| state.local_server.clone());
        // The API wants the remote instance's keys only when the call goes to the server that
        // leaves the cluster, i.e. when the other server is to stay primary.
        let keys = if standalone == state.local_server {
            None
        } else {
            state
                .remote_public_key
                .clone()
                .zip(state.remote_private_key.clone())
        };
        let request = DeleteCluster {
            standalone_server: standalone,
            keys,
        };
        client
            .delete_cluster(&request, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("DeleteCluster", &e))?;
        tracing::info!(local_server = %state.local_server, standalone_server = %request.standalone_server, "cluster deleted");
        Ok(())
    }

    /// The import id is `local_server`: that is all an import can know, since the API cannot be
    /// asked for the rest. The next plan fills the remote settings in place (AlterCluster).
    fn import_stub(
        &self,
        id: &str,
    ) -> Result<std::collections::BTreeMap<String, Value>, Diagnostic> {
        let id = id.trim();
        if !host(id) {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!(
                    "{id:?} is not {HOST_RULE}. Import a cloudbasic_cluster by its local_server, \
                     e.g. `terraform import cloudbasic_cluster.example 10.0.1.15`."
                ),
            ));
        }
        Ok(std::collections::BTreeMap::from([
            ("id".to_string(), Value::from(id)),
            ("local_server".to_string(), Value::from(id)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::plan::plan;
    use crate::framework::resource::Typed;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn config() -> Value {
        object(&[
            ("local_server", "10.0.0.1".into()),
            ("remote_server", "10.0.0.2".into()),
            ("port", Value::from(81i64)),
            ("remote_public_key", "PUB".into()),
            ("remote_private_key", "PRIV".into()),
        ])
    }

    fn errors(config: &Value) -> Vec<String> {
        let r = Typed::boxed(ClusterResource::new(Configured::default()));
        let mut d = Diagnostics::new();
        r.validate(config, &mut d);
        d.iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    fn with(mut v: Value, name: &str, value: Value) -> Value {
        if let Value::Object(f) = &mut v {
            f.insert(name.to_string(), value);
        }
        v
    }

    #[test]
    fn validation_names_the_attribute() {
        assert!(errors(&config()).is_empty());
        assert_eq!(
            errors(&with(config(), "port", Value::from(70000i64))),
            ["port"]
        );
        assert_eq!(errors(&with(config(), "port", Value::from(0i64))), ["port"]);
        assert_eq!(
            errors(&with(config(), "remote_public_key", "".into())),
            ["remote_public_key"]
        );
        assert_eq!(
            errors(&with(config(), "remote_private_key", " ".into())),
            ["remote_private_key"]
        );
        assert_eq!(
            errors(&with(config(), "local_server", "not a host!".into())),
            ["local_server"]
        );
        assert_eq!(
            errors(&with(config(), "local_server", "::1".into())),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(&with(config(), "standalone_server", "-bad".into())),
            ["standalone_server"]
        );
        assert!(errors(&with(config(), "port", Value::Unknown)).is_empty());
    }

    #[test]
    fn standalone_defaults_to_local_and_only_local_replaces() {
        let s = schema();
        let created = plan(&s, &Value::Null, &config(), &config());
        assert_eq!(
            created.state.get("standalone_server"),
            Some(&Value::from("10.0.0.1"))
        );
        assert_eq!(created.state.get("id"), Some(&Value::Unknown));

        let prior = with(
            with(config(), "id", "10.0.0.1".into()),
            "standalone_server",
            "10.0.0.1".into(),
        );
        let moved = with(prior.clone(), "port", Value::from(444i64));
        let p = plan(
            &s,
            &prior,
            &moved,
            &with(config(), "port", Value::from(444i64)),
        );
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.state.get("id"), Some(&Value::from("10.0.0.1")));

        let relocated_cfg = with(config(), "local_server", "10.0.0.9".into());
        let relocated = with(
            with(prior.clone(), "local_server", "10.0.0.9".into()),
            "standalone_server",
            Value::Null,
        );
        let p = plan(&s, &prior, &relocated, &relocated_cfg);
        let paths: Vec<String> = p.requires_replace.iter().map(|p| p.to_string()).collect();
        assert_eq!(paths, ["local_server"]);
        assert_eq!(
            p.state.get("standalone_server"),
            Some(&Value::from("10.0.0.9"))
        );
    }

    #[test]
    fn api_fields_map_to_attributes() {
        assert_eq!(attribute_for("RemoteServer"), Some("remote_server"));
        assert_eq!(attribute_for("PrivateKey"), Some("remote_private_key"));
        assert_eq!(attribute_for("Whatever"), None);
        let err = ApiError::Rejected {
            action: "CreateCluster",
            status: 400,
            request_id: Some("20".into()),
            problems: vec![super::super::body::Problem::parse(
                "{Port}:Invalid value for Port",
            )],
        };
        let failure = api_failure("CreateCluster", &err);
        let d = &failure.diagnostics.0[0];
        assert_eq!(d.path, Some(AttrPath::root("port")));
        assert!(d.summary.contains("port") && d.summary.contains("Invalid value for Port"));
        assert!(d.detail.contains("request id 20"), "{}", d.detail);
    }

    #[test]
    fn import_needs_a_host() {
        let r = ClusterResource::new(Configured::default());
        let stub = r.import_stub("db-a.example.com").unwrap();
        assert_eq!(stub["local_server"], Value::from("db-a.example.com"));
        assert_eq!(stub["id"], Value::from("db-a.example.com"));
        assert!(r.import_stub("no spaces allowed").is_err());
    }

    #[test]
    fn only_remote_settings_call_the_api() {
        let prior = Cluster {
            id: Some("a".into()),
            local_server: "a".into(),
            remote_server: Some("b".into()),
            port: Some(81),
            remote_public_key: Some("P".into()),
            remote_private_key: Some("S".into()),
            standalone_server: Some("a".into()),
        };
        let mut plan = prior.clone();
        plan.standalone_server = Some("b".into());
        assert!(!remote_settings_changed(&prior, &plan));
        plan.remote_private_key = Some("S2".into());
        assert!(remote_settings_changed(&prior, &plan));
    }
}
