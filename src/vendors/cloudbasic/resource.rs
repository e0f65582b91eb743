//! `cloudbasic_cluster`: one Multi-AZ HA cluster between the provider's instance
//! (`local_server`) and a remote instance.
//!
//! The API can create, alter and delete a cluster but never describe one, so this resource is
//! write-only and says so: Read returns the state Terraform already holds (it cannot notice a
//! change made outside Terraform), and import records only what its id names. Nothing here
//! invents a read.
//!
//! The one thing the API does tell is that a local server already has a cluster (a 400 on
//! `LocalServer`). After a CreateCluster without a clear answer (5xx, timeout, reset, a success
//! body that is no answer), CreateCluster is sent again: success means the first did not act;
//! that refusal means it did (most likely), and the cluster is adopted with an AlterCluster that
//! sets the configured remote settings, so state and API agree.

use std::time::Duration;

use async_trait::async_trait;

use super::body::Problem;
use super::client::{ApiError, CloudBasicClient};
use super::model::{
    alter_request, attribute_for, create_request, delete_request, remote_settings_changed, Cluster,
};
use super::schema::schema;
use super::validate::{host, HOST_RULE};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::{AttrPath, Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

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

    /// After an ambiguous CreateCluster (`first`) whose repeat was refused because the local
    /// server already has a cluster (`refusal`): that cluster is most likely the first attempt's.
    /// No action can read it, so AlterCluster sets the configured remote settings on it, and
    /// what state records is what the API holds.
    async fn adopt(
        &self,
        ctx: &Ctx,
        client: &CloudBasicClient,
        state: Cluster,
        first: &ApiError,
        refusal: &Problem,
    ) -> Outcome<Cluster, Cluster> {
        let local = state.local_server.clone();
        let alter = alter_request(&state)?;
        if let Err(e) = client.alter_cluster(&alter, ctx.cancel_token()).await {
            // The cluster exists with settings nobody knows: keep it (tainted), so the next
            // apply dissolves it and creates it as configured.
            let mut f = api_failure("AlterCluster", &e);
            for d in &mut f.diagnostics.0 {
                d.detail.push_str(&format!(
                    "\n\nCreateCluster got no clear answer ({first}), and sending it again was refused because {local} \
                     already has a cluster ({refusal}). Setting the configured remote settings on that cluster failed, so it \
                     is kept in state as tainted: the next apply deletes it (DeleteCluster) and creates it again."
                ));
            }
            return Err(f.with_state(state));
        }
        tracing::info!(local_server = %local, remote_server = %alter.remote_server, port = alter.port, "existing cluster adopted and altered");
        ctx.warn(
            format!("CloudBasic: adopted the cluster that already exists on {local}"),
            format!(
                "CreateCluster got no clear answer ({first}). Sent again, it was refused because {local} already has a \
                 cluster ({refusal}), most likely the one the first CreateCluster made. The API cannot describe a cluster, \
                 so that cluster was adopted and AlterCluster was sent with the configured remote_server, port, \
                 remote_public_key and remote_private_key: what Terraform state records is now what the API holds. If \
                 someone else had made that cluster, its remote settings were replaced."
            ),
        );
        Ok(state)
    }
}

/// CreateCluster and DeleteCluster are sent at most this often while their answers stay
/// ambiguous.
pub(super) const ACTION_ATTEMPTS: u32 = 4;

/// The first pause between two CreateCluster attempts; it doubles after each.
#[cfg(not(test))]
const PAUSE: Duration = Duration::from_secs(1);
#[cfg(test)]
const PAUSE: Duration = Duration::from_millis(5);

/// Waits before attempt `attempt` (2, 3, …): 1 s, 2 s, 4 s; returns early on cancellation.
pub(super) async fn pause(ctx: &Ctx, attempt: u32) {
    let delay = PAUSE * (1u32 << attempt.saturating_sub(2).min(4));
    tokio::select! {
        _ = ctx.cancel_token().cancelled() => {}
        _ = tokio::time::sleep(delay) => {}
    }
}

/// A first CreateCluster refused because `local_server` already has a cluster: nothing of this
/// apply made it, so it is not taken over without the user saying so (import).
fn already_clustered_failure(local_server: &str, err: &ApiError) -> Failure<Cluster> {
    Diagnostic::error(
        format!("CloudBasic: {local_server} already has a cluster"),
        format!(
            "{err}.\n\nIf that cluster is the one this resource describes, bring it under Terraform with \
             `terraform import <address of this cloudbasic_cluster> {local_server}` (the next apply then sets \
             remote_server, port and the keys in place); otherwise dissolve it first or choose another local_server."
        ),
    )
    .at(AttrPath::root("local_server"))
    .into()
}

fn api_failure(action: &str, err: &ApiError) -> Failure<Cluster> {
    failure_on_attributes(action, err, attribute_for)
}

/// One diagnostic per problem the API named, on the attribute `attribute_for` maps its field
/// to; the request id goes into every detail so the vendor's support can find the call. A
/// signed call without a key pair is one diagnostic that says how to set it.
pub(super) fn failure_on_attributes<M>(
    action: &str,
    err: &ApiError,
    attribute_for: fn(&str) -> Option<&'static str>,
) -> Failure<M> {
    if matches!(err, ApiError::MissingCredentials { .. }) {
        return Failure::new(
            "Missing CloudBasic credentials: access_key and secret_key",
            format!("{err}."),
        );
    }
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
        let request = create_request(&plan)?;
        let mut state = plan;
        state.id = Some(state.local_server.clone());
        if state.standalone_server.is_none() {
            state.standalone_server = Some(state.local_server.clone());
        }
        // The first ambiguous answer (the API may have acted without saying so), if any.
        let mut ambiguous: Option<ApiError> = None;
        for attempt in 1..=ACTION_ATTEMPTS {
            if attempt > 1 {
                pause(ctx, attempt).await;
            }
            let err = match client.create_cluster(&request, ctx.cancel_token()).await {
                Ok(()) => {
                    tracing::info!(local_server = %request.local_server, remote_server = %request.remote_server, attempt, "cluster created");
                    return Ok(state);
                }
                Err(e) => e,
            };
            if err.is_cancelled() {
                // Cancelled before sending: nothing new to fear unless an earlier try was unclear.
                match ambiguous {
                    Some(_) => break,
                    None => return Err(api_failure("CreateCluster", &err)),
                }
            }
            match (&ambiguous, err.already_clustered()) {
                (Some(first), Some(refusal)) => {
                    return self.adopt(ctx, client, state, first, refusal).await
                }
                (None, Some(_)) => {
                    return Err(already_clustered_failure(&request.local_server, &err))
                }
                _ => {}
            }
            if err.outcome_unknown() {
                tracing::info!(local_server = %request.local_server, attempt, error = %err, "CreateCluster got no clear answer; sending it again to find out");
                ambiguous.get_or_insert(err);
            } else if ambiguous.is_some() && err.never_sent() {
                tracing::info!(local_server = %request.local_server, attempt, error = %err, "CreateCluster could not be sent again");
            } else {
                return Err(api_failure("CreateCluster", &err));
            }
        }
        let first = ambiguous.map(|e| e.to_string()).unwrap_or_default();
        // Still no answer: the cluster may exist. Keeping it in state (Terraform then marks it
        // tainted) means the next apply dissolves it before creating again, rather than
        // forgetting a live cluster.
        Err(Failure::new(
            "CloudBasic: CreateCluster may or may not have been applied",
            format!(
                "{first}. Repeating it brought no clear answer either. The cluster is kept in state as tainted: \
                 the next apply deletes it (DeleteCluster) and creates it again."
            ),
        )
        .with_state(state))
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
        let request = alter_request(&plan)?;
        client
            .alter_cluster(&request, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("AlterCluster", &e))?;
        tracing::info!(local_server = %plan.local_server, remote_server = %request.remote_server, port = request.port, "cluster altered");
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Cluster) -> Outcome<(), Cluster> {
        let client = self.client()?;
        let request = delete_request(&state);
        // DeleteCluster is not repeated by the HTTP layer, but repeating it here after an unclear
        // answer is safe: if the first one acted, the repeat answers "not part of a cluster".
        let mut unclear = false;
        for attempt in 1..=ACTION_ATTEMPTS {
            if attempt > 1 {
                pause(ctx, attempt).await;
            }
            match client.delete_cluster(&request, ctx.cancel_token()).await {
                Ok(_) => break,
                // The cluster is gone: after an unclear answer, most likely through our own
                // first DeleteCluster; otherwise it went outside Terraform (or never existed,
                // after a tainted create), which deserves a word. Failing would leave a
                // resource no destroy could ever remove from state.
                Err(err) if err.not_clustered() => {
                    if !unclear {
                        ctx.warn(
                            "CloudBasic: there was no cluster to delete",
                            format!(
                                "DeleteCluster answered that {} is not part of a cluster \
                                 ({err}), so the cluster is already gone; it is removed from \
                                 state.",
                                state.local_server
                            ),
                        );
                    }
                    return Ok(());
                }
                Err(err) if err.outcome_unknown() && attempt < ACTION_ATTEMPTS => {
                    tracing::info!(local_server = %state.local_server, attempt, error = %err, "DeleteCluster got no clear answer; sending it again to find out");
                    unclear = true;
                }
                Err(err) => return Err(api_failure("DeleteCluster", &err)),
            }
        }
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
    use crate::http::testing::{Reply, TestServer};
    use crate::http::{HttpClient, HttpSettings};
    use crate::vendors::cloudbasic::body::PayloadFormat;
    use crate::vendors::cloudbasic::client::ClientSettings;
    use crate::vendors::cloudbasic::signing::{Credentials, Scope};
    use tokio_util::sync::CancellationToken;

    const ALREADY: &str = r#"{"errors":["{LocalServer}:This instance is already clustered with 10.0.0.9 (as 10.0.0.1)"],"requestId":7}"#;

    async fn resource(replies: Vec<Reply>) -> (TestServer, ClusterResource) {
        resource_with(HttpSettings::default(), replies).await
    }

    async fn resource_with(
        settings: HttpSettings,
        replies: Vec<Reply>,
    ) -> (TestServer, ClusterResource) {
        let server = TestServer::script(replies).await;
        let http = HttpClient::new(HttpSettings {
            base_url: server.base.clone(),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..settings
        })
        .unwrap();
        let client = CloudBasicClient::new(
            http,
            ClientSettings {
                credentials: Ok(Credentials::new("LOCALPUB", "local-secret")),
                scope: Scope {
                    region: "us-east-1".into(),
                    service: "cloudbasic".into(),
                },
                format: PayloadFormat::Json,
            },
        );
        let configured = Configured::default();
        configured.set(client);
        (server, ClusterResource::new(configured))
    }

    fn plan() -> Cluster {
        Cluster {
            id: None,
            local_server: "10.0.0.1".into(),
            remote_server: Some("10.0.0.2".into()),
            port: Some(81),
            remote_public_key: Some("REMOTEPUB".into()),
            remote_private_key: Some("remote-private".into()),
            standalone_server: None,
        }
    }

    fn ctx() -> Ctx {
        Ctx::new(&CancellationToken::new(), Duration::from_secs(60))
    }

    fn actions(server: &TestServer) -> Vec<String> {
        server
            .requests()
            .iter()
            .map(|r| r.path.trim_start_matches("/api/").to_string())
            .collect()
    }

    /// The answer to the first CreateCluster was lost after the API acted: the repeat is
    /// refused as already clustered, the cluster is adopted, AlterCluster sets the configured
    /// remote settings on it, and a warning says so.
    #[tokio::test]
    async fn an_ambiguous_create_refused_as_already_clustered_is_adopted() {
        for (name, settings, first) in [
            (
                "503",
                HttpSettings::default(),
                Reply::json(503, r#"{"errors":["busy"],"requestId":0}"#),
            ),
            (
                "unreadable 200",
                HttpSettings::default(),
                Reply::status(200).body("OK then"),
            ),
            (
                "timeout",
                HttpSettings {
                    timeout: Duration::from_millis(300),
                    ..HttpSettings::default()
                },
                Reply::json(200, r#"{"requestId":1}"#).delay(Duration::from_secs(2)),
            ),
        ] {
            let (server, r) = resource_with(
                settings,
                vec![
                    first,
                    Reply::json(400, ALREADY),
                    Reply::json(200, r#"{"requestId":9}"#),
                ],
            )
            .await;
            let ctx = ctx();
            let state = r
                .create(&ctx, plan())
                .await
                .unwrap_or_else(|f| panic!("{name}: {:?}", f.diagnostics));
            assert_eq!(state.id.as_deref(), Some("10.0.0.1"), "{name}");
            assert_eq!(
                state.standalone_server.as_deref(),
                Some("10.0.0.1"),
                "{name}"
            );
            assert_eq!(
                actions(&server),
                ["CreateCluster", "CreateCluster", "AlterCluster"],
                "{name}"
            );
            assert_eq!(
                server.requests()[2].json(),
                serde_json::json!({"remoteServer":"10.0.0.2","port":81,"publicKey":"REMOTEPUB","privateKey":"remote-private"}),
                "{name}"
            );
            let warnings = ctx.take_warnings();
            let w: Vec<_> = warnings.iter().collect();
            assert_eq!(w.len(), 1, "{name}: {w:?}");
            assert_eq!(
                w[0].summary, "CloudBasic: adopted the cluster that already exists on 10.0.0.1",
                "{name}"
            );
            assert!(
                w[0].detail
                    .contains("AlterCluster was sent with the configured remote_server, port")
                    && w[0].detail.contains("already clustered with 10.0.0.9"),
                "{name}: {}",
                w[0].detail
            );
            assert!(!w[0].detail.contains("remote-private"), "{name}");
        }
    }

    /// The repeat succeeds: the first attempt did not act after all; nothing else is sent.
    #[tokio::test]
    async fn an_ambiguous_create_whose_repeat_succeeds() {
        let (server, r) = resource(vec![
            Reply::status(502).body("<html>bad gateway</html>"),
            Reply::json(200, r#"{"requestId":2}"#),
        ])
        .await;
        let ctx = ctx();
        r.create(&ctx, plan())
            .await
            .map_err(|f| f.diagnostics)
            .unwrap();
        assert_eq!(actions(&server), ["CreateCluster", "CreateCluster"]);
        assert!(ctx.take_warnings().is_empty());
    }

    /// Refused as already clustered at the first try: an error that says to import.
    #[tokio::test]
    async fn a_first_already_clustered_refusal_says_import() {
        let (server, r) = resource(vec![Reply::json(400, ALREADY)]).await;
        let failure = r.create(&ctx(), plan()).await.err().expect("create fails");
        assert!(failure.state.is_none());
        let d = &failure.diagnostics.0[0];
        assert_eq!(d.summary, "CloudBasic: 10.0.0.1 already has a cluster");
        assert!(
            d.detail
                .contains("`terraform import <address of this cloudbasic_cluster> 10.0.0.1`"),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("request id 7"), "{}", d.detail);
        assert_eq!(d.path, Some(AttrPath::root("local_server")));
        assert_eq!(server.count(), 1);
    }

    /// A delete that finds no cluster succeeds with a warning (the cluster is gone already);
    /// any other refusal still fails the delete.
    #[tokio::test]
    async fn deleting_a_cluster_that_is_gone_succeeds_with_a_warning() {
        let gone = r#"{"errors":["This instance is not part of a cluster"],"requestId":9}"#;
        let mut state = plan();
        state.id = Some("10.0.0.1".into());
        let (server, r) = resource(vec![Reply::json(400, gone)]).await;
        let ctx = ctx();
        r.delete(&ctx, state.clone())
            .await
            .map_err(|f| f.diagnostics)
            .unwrap();
        assert_eq!(actions(&server), ["DeleteCluster"]);
        let warnings = ctx.take_warnings();
        assert_eq!(warnings.iter().count(), 1, "{warnings:?}");

        // An unclear answer, then "gone": our own first DeleteCluster acted; no warning.
        let (server, r) = resource(vec![Reply::status(503), Reply::json(400, gone)]).await;
        let ctx = self::ctx();
        r.delete(&ctx, state.clone())
            .await
            .map_err(|f| f.diagnostics)
            .unwrap();
        assert_eq!(actions(&server), ["DeleteCluster", "DeleteCluster"]);
        assert!(ctx.take_warnings().is_empty());

        let refused = r#"{"errors":["{StandaloneServer}:Invalid value"],"requestId":10}"#;
        let (_server, r) = resource(vec![Reply::json(400, refused)]).await;
        assert!(r.delete(&ctx, state).await.is_err());
    }

    /// Definite refusals are not repeated; answers that stay unclear keep the cluster tainted.
    #[tokio::test]
    async fn definite_and_lasting_unclear_answers() {
        let (server, r) = resource(vec![Reply::json(
            400,
            r#"{"errors":["{Port}:Invalid value for Port"],"requestId":3}"#,
        )])
        .await;
        let failure = r.create(&ctx(), plan()).await.err().expect("create fails");
        assert!(failure.state.is_none());
        assert_eq!(server.count(), 1);

        let (server, r) = resource(vec![Reply::status(503)]).await;
        let failure = r.create(&ctx(), plan()).await.err().expect("create fails");
        assert!(failure.state.is_some(), "kept as tainted");
        assert_eq!(server.count(), ACTION_ATTEMPTS as usize);
        assert!(failure.diagnostics.0[0].summary.contains("may or may not"));

        // 501: the API says it can never do it; not repeated, nothing kept.
        let (server, r) = resource(vec![Reply::status(501)]).await;
        let failure = r.create(&ctx(), plan()).await.err().expect("create fails");
        assert!(failure.state.is_none());
        assert_eq!(server.count(), 1);
    }

    /// The adopted cluster refuses the configured remote settings: kept tainted, with the story.
    #[tokio::test]
    async fn adoption_whose_alter_fails_keeps_the_cluster_tainted() {
        let (server, r) = resource(vec![
            Reply::status(500),
            Reply::json(400, ALREADY),
            Reply::json(
                400,
                r#"{"errors":["{PublicKey}:Unknown key"],"requestId":5}"#,
            ),
        ])
        .await;
        let failure = r.create(&ctx(), plan()).await.err().expect("create fails");
        assert!(failure.state.is_some());
        assert_eq!(
            actions(&server),
            ["CreateCluster", "CreateCluster", "AlterCluster"]
        );
        let d = &failure.diagnostics.0[0];
        assert!(
            d.detail.contains("kept in state as tainted"),
            "{}",
            d.detail
        );
    }

    #[test]
    fn rejected_fields_land_on_their_attributes() {
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
}
