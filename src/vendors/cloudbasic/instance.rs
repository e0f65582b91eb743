//! `cloudbasic_instance`: activates one CloudBasic instance (ActivateInstance, unsigned) and
//! exports the administrator's key pair it returns, so that the same configuration can sign
//! with it (a provider block's `access_key`/`secret_key`) or name it as a cluster's remote keys.
//!
//! An instance is activated once and no action reads, changes or undoes an activation: every
//! argument but `endpoint` is fixed (a change is a plan-time error), Read keeps the prior
//! state, Delete only forgets (with a warning), and import is refused because the key pair
//! cannot be read back.
//!
//! An ActivateInstance without a clear answer (5xx, timeout, reset, a body that is no answer) is
//! sent again: the API refuses a second activation of the same instance, so a repeat can do no
//! harm, and it tells the two cases apart. Success means the first did not act (and the keys
//! are those of the repeat); "already activated" means the first most likely did, and its key
//! pair is lost, which the error says, with what to do instead. Success is never reported
//! without both keys.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{ActivateInstance, ApiError, CloudBasicClient};
use super::resource::{failure_on_attributes, pause, ACTION_ATTEMPTS};
use super::validate::endpoint_problem;
use crate::framework::plan::{PlanContext, Planned};
use crate::framework::schema::{boolean, string, Declare, Schema};
use crate::framework::settings::Configured;
use crate::framework::validators::{matches, not_empty, Check};
use crate::framework::{Ctx, Diagnostic, Failure, Outcome, Resource, Value};

const FIXED: &str =
    "an instance is activated once, and the CloudBasic API can change nothing of an activation";

fn endpoint_check(value: &Value) -> Option<String> {
    endpoint_problem(value.as_str()?)
}

fn eula_check(value: &Value) -> Option<String> {
    (value.as_bool() == Some(false)).then(|| {
        "must be true: CloudBasic activates an instance only when its End User License \
         Agreement is accepted (`agreeToEula`)."
            .to_string()
    })
}

pub fn schema() -> Schema {
    Schema::new(
        "Activates a CloudBasic instance (ActivateInstance, which needs no signature) and exports \
         the API key pair it returns, so that one apply can activate both instances of an HA pair \
         and cluster them. An activation can be neither read, changed nor undone: see \"An \
         activation is for good\" below.",
    )
    .attr(
        "id",
        string().computed().describe("Equals `instance_id`."),
    )
    .attr(
        "endpoint",
        string()
            .optional()
            .computed()
            .state_only()
            .validate(Check(endpoint_check))
            .describe(
                "Base URL of this instance's API, where ActivateInstance is sent, e.g. `http://10.0.0.5:82`; may include a path prefix. Default: the provider's `endpoint`, shown in the plan. Reference it in the provider block that signs with this instance's keys. Changing it later (a new URL for the same instance, e.g. HTTPS on 445) only updates state.",
            ),
    )
    .attr(
        "instance_id",
        string()
            .required()
            .fixed()
            .fixed_because(FIXED)
            .validate(not_empty())
            .describe("EC2 instance id of the instance, sent as `instanceId` (the vendor asks for it for security reasons)."),
    )
    .attr(
        "email",
        string()
            .required()
            .fixed()
            .fixed_because(FIXED)
            .validate(matches(r"^[^@\s]+@[^@\s]+$", "an e-mail address"))
            .describe("E-mail address of the first administrator, sent as `email`."),
    )
    .attr(
        "password",
        string()
            .required()
            .sensitive()
            .fixed()
            .fixed_because(FIXED)
            .validate(not_empty())
            .describe("Password of the first administrator in the instance's console, sent as `password`."),
    )
    .attr(
        "is_production",
        boolean()
            .default(false)
            .fixed()
            .fixed_because(FIXED)
            .describe("Whether the instance is a production one, sent as `isProduction`."),
    )
    .attr(
        "company",
        string()
            .optional()
            .fixed()
            .fixed_because(FIXED)
            .describe("Company name, sent as `company`."),
    )
    .attr(
        "contact_person",
        string()
            .optional()
            .fixed()
            .fixed_because(FIXED)
            .describe("Contact person, sent as `contactPerson`."),
    )
    .attr(
        "activation_key",
        string()
            .optional()
            .sensitive()
            .fixed()
            .fixed_because(FIXED)
            .validate(not_empty())
            .describe("Activation key, sent as `activationKey`: required for BYOL and off-marketplace instances."),
    )
    .attr(
        "agree_to_eula",
        boolean()
            .required()
            .fixed()
            .fixed_because(FIXED)
            .validate(Check(eula_check))
            .describe("Acceptance of the End User License Agreement, sent as `agreeToEula` (CloudBasic 12.301 and later); must be true."),
    )
    .attr(
        "access_key",
        string()
            .computed()
            .describe("API public key of the instance's administrator (`publicKey`): the provider's `access_key` for this instance, or a cluster's `remote_public_key`."),
    )
    .attr(
        "secret_key",
        string()
            .computed()
            .sensitive()
            .describe("API private key paired with `access_key` (`privateKey`): the provider's `secret_key`, or a cluster's `remote_private_key`."),
    )
}

/// One field per attribute.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Instance {
    pub id: Option<String>,
    pub endpoint: Option<String>,
    pub instance_id: String,
    pub email: String,
    pub password: String,
    pub is_production: Option<bool>,
    pub company: Option<String>,
    pub contact_person: Option<String>,
    pub activation_key: Option<String>,
    pub agree_to_eula: bool,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
}

/// The attribute an ActivateInstance field stands for.
pub fn attribute_for(field: &str) -> Option<&'static str> {
    Some(match field.to_ascii_lowercase().as_str() {
        "instanceid" => "instance_id",
        "email" => "email",
        "password" => "password",
        "isproduction" => "is_production",
        "company" => "company",
        "contactperson" => "contact_person",
        "activationkey" => "activation_key",
        "agreetoeula" => "agree_to_eula",
        _ => return None,
    })
}

pub fn activate_request(plan: &Instance) -> ActivateInstance {
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    ActivateInstance {
        instance_id: plan.instance_id.clone(),
        email: plan.email.clone(),
        password: plan.password.clone(),
        is_production: plan.is_production.unwrap_or(false),
        company: set(&plan.company),
        contact_person: set(&plan.contact_person),
        activation_key: set(&plan.activation_key),
        agree_to_eula: plan.agree_to_eula,
    }
}

fn api_failure(err: &ApiError) -> Failure<Instance> {
    failure_on_attributes("ActivateInstance", err, attribute_for)
}

/// A repeat of an unclear ActivateInstance was refused as already activated: the first call
/// most likely activated the instance, and its answer, the only copy of the key pair, is lost.
fn keys_lost(instance_id: &str, first: &ApiError, refusal: &ApiError) -> Failure<Instance> {
    Diagnostic::error(
        format!("CloudBasic: {instance_id} was activated, but its key pair was lost"),
        format!(
            "ActivateInstance got no clear answer ({first}). Sent again, it was refused because the instance \
             is already activated ({refusal}), most likely by the first call, whose answer carried the API key \
             pair. The API returns that pair only once and cannot be asked for it again. Sign in to the \
             instance's console with the configured email and password, create an API key pair there \
             (or with CreateUser), and use it in the provider block instead of this resource's keys; then \
             remove this cloudbasic_instance from the configuration."
        ),
    )
    .at(crate::framework::AttrPath::root("instance_id"))
    .into()
}

pub struct InstanceResource {
    client: Configured<CloudBasicClient>,
}

impl InstanceResource {
    pub fn new(client: Configured<CloudBasicClient>) -> Self {
        InstanceResource { client }
    }
}

#[async_trait]
impl Resource for InstanceResource {
    type Model = Instance;

    fn type_name(&self) -> &'static str {
        "cloudbasic_instance"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    /// A new instance's `endpoint` defaults to the provider's, and the plan shows it (when the
    /// provider's is known by then).
    fn modify_plan(&self, context: &PlanContext, plan: &mut Planned) {
        if !context.prior.is_null() || context.config.get("endpoint").is_some_and(|v| !v.is_null())
        {
            return;
        }
        let Ok(client) = self.client.get() else {
            return;
        };
        if let Value::Object(fields) = &mut plan.state {
            fields.insert("endpoint".to_string(), Value::from(client.endpoint()));
        }
    }

    async fn create(&self, ctx: &Ctx, plan: Instance) -> Outcome<Instance, Instance> {
        let client = self.client.get().map_err(Failure::from)?;
        let endpoint = plan
            .endpoint
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| client.endpoint().to_string());
        let request = activate_request(&plan);
        let mut unclear: Option<ApiError> = None;
        for attempt in 1..=ACTION_ATTEMPTS {
            if attempt > 1 {
                pause(ctx, attempt).await;
            }
            let err = match client
                .activate_instance(Some(&endpoint), &request, ctx.cancel_token())
                .await
            {
                Ok(keys) => {
                    tracing::info!(instance_id = %plan.instance_id, access_key = %keys.public_key, attempt, "instance activated");
                    let mut state = plan;
                    state.id = Some(state.instance_id.clone());
                    state.endpoint = Some(endpoint);
                    state.is_production = Some(request.is_production);
                    state.access_key = Some(keys.public_key);
                    state.secret_key = Some(keys.private_key);
                    return Ok(state);
                }
                Err(e) => e,
            };
            match &unclear {
                Some(first) if err.already_activated().is_some() => {
                    return Err(keys_lost(&plan.instance_id, first, &err))
                }
                Some(_) if err.is_cancelled() => break,
                Some(_) if err.never_sent() || err.outcome_unknown() => {
                    tracing::info!(instance_id = %plan.instance_id, attempt, error = %err, "ActivateInstance still without a clear answer");
                }
                None if err.outcome_unknown() && !err.is_cancelled() => {
                    tracing::info!(instance_id = %plan.instance_id, attempt, error = %err, "ActivateInstance got no clear answer; sending it again to find out");
                    unclear = Some(err);
                }
                _ => return Err(api_failure(&err)),
            }
        }
        let first = unclear.map(|e| e.to_string()).unwrap_or_default();
        // Nothing is kept in state: without the keys there is nothing to use, and a later apply
        // finds out what happened (success, or "already activated").
        Err(Failure::new(
            format!(
                "CloudBasic: ActivateInstance of {} may or may not have been applied",
                plan.instance_id
            ),
            format!(
                "{first}. Repeating it brought no clear answer either, so no key pair was received and nothing \
                 was stored in state. Run apply again when the instance's API answers: it either activates \
                 the instance or says that it is already activated (then its key pair is lost: create one \
                 in the instance's console)."
            ),
        ))
    }

    /// No action reads an activation: the prior state is all there is to know.
    async fn read(&self, _ctx: &Ctx, state: Instance) -> Outcome<Option<Instance>, Instance> {
        Ok(Some(state))
    }

    /// Only `endpoint` can change (every other argument is fixed), and only in state.
    async fn update(
        &self,
        _ctx: &Ctx,
        prior: Instance,
        plan: Instance,
    ) -> Outcome<Instance, Instance> {
        let mut state = plan;
        state.id = prior.id.or(Some(state.instance_id.clone()));
        state.access_key = prior.access_key;
        state.secret_key = prior.secret_key;
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Instance) -> Outcome<(), Instance> {
        ctx.warn(
            format!(
                "CloudBasic: instance {} stays activated",
                state.instance_id
            ),
            "No CloudBasic API deactivates an instance, so destroying a cloudbasic_instance only removes it \
             from Terraform state. The instance keeps its administrator and its API key pair, which stays valid.",
        );
        tracing::info!(instance_id = %state.instance_id, "instance removed from state only");
        Ok(())
    }

    fn import_stub(&self, id: &str) -> Result<BTreeMap<String, Value>, Diagnostic> {
        Err(Diagnostic::error(
            "cloudbasic_instance cannot be imported",
            format!(
                "Importing {id:?} is not offered: an instance is activated once, and the CloudBasic API returns \
                 its key pair (access_key, secret_key) only in the answer to that ActivateInstance, never again. \
                 An imported cloudbasic_instance could not know them. For an instance that is already \
                 activated, use an API key pair created in its console (or with CreateUser) directly: in the \
                 provider block's access_key and secret_key, or as a cloudbasic_cluster's remote_public_key \
                 and remote_private_key."
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::plan::{plan as plan_resource, PlanInput};
    use crate::framework::resource::Typed;
    use crate::framework::{AttrPath, Diagnostics, Private};
    use crate::http::testing::{Reply, TestServer};
    use crate::http::{HttpClient, HttpSettings};
    use crate::vendors::cloudbasic::body::PayloadFormat;
    use crate::vendors::cloudbasic::client::{ClientSettings, MissingKeys};
    use crate::vendors::cloudbasic::signing::Scope;
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    const KEYS: &str = r#"{"publicKey":"PK0000000000000000001","privateKey":"private-key-of-the-instance","requestId":3}"#;
    const ALREADY: &str =
        r#"{"errors":["{InstanceId}:Instance i-0abc is already activated"],"requestId":4}"#;

    fn object(pairs: &[(&str, Value)]) -> Value {
        schema().block.object_with(pairs)
    }

    fn config() -> Value {
        object(&[
            ("instance_id", "i-0abc".into()),
            ("email", "ops@example.com".into()),
            ("password", "Console-pw-1".into()),
            ("agree_to_eula", Value::from(true)),
        ])
    }

    fn with(mut v: Value, name: &str, value: Value) -> Value {
        if let Value::Object(f) = &mut v {
            f.insert(name.to_string(), value);
        }
        v
    }

    fn unconfigured() -> Box<dyn crate::framework::resource::AnyResource> {
        Typed::boxed(InstanceResource::new(Configured::default()))
    }

    fn error_paths(config: &Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        unconfigured().validate(config, &mut d);
        d.iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn validation_names_the_attribute() {
        assert!(error_paths(&config()).is_empty());
        assert_eq!(
            error_paths(&with(config(), "agree_to_eula", Value::from(false))),
            ["agree_to_eula"]
        );
        assert_eq!(
            error_paths(&with(config(), "email", "not-an-address".into())),
            ["email"]
        );
        assert_eq!(
            error_paths(&with(config(), "endpoint", "10.0.0.5:82".into())),
            ["endpoint"]
        );
        assert!(error_paths(&with(config(), "agree_to_eula", Value::Unknown)).is_empty());
    }

    #[test]
    fn a_change_of_a_fixed_argument_is_a_plan_error_on_it() {
        let s = schema();
        let prior = object(&[
            ("id", "i-0abc".into()),
            ("endpoint", "http://10.0.0.5:82".into()),
            ("instance_id", "i-0abc".into()),
            ("email", "ops@example.com".into()),
            ("password", "Console-pw-1".into()),
            ("is_production", Value::from(false)),
            ("agree_to_eula", Value::from(true)),
            ("access_key", "PK".into()),
            ("secret_key", "SK".into()),
        ]);
        let cfg = with(config(), "email", "other@example.com".into());
        let proposed = with(prior.clone(), "email", "other@example.com".into());
        let p = plan_resource(
            &s,
            &PlanInput {
                prior: &prior,
                proposed: &proposed,
                config: &cfg,
                private: &Private::default(),
            },
        );
        let paths: Vec<String> = p
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::framework::diagnostics::Severity::Error)
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(paths, ["email"], "{:?}", p.diagnostics);

        // endpoint: state only, keys kept in the plan.
        let cfg = with(config(), "endpoint", "https://10.0.0.5:445".into());
        let proposed = with(prior.clone(), "endpoint", "https://10.0.0.5:445".into());
        let p = plan_resource(
            &s,
            &PlanInput {
                prior: &prior,
                proposed: &proposed,
                config: &cfg,
                private: &Private::default(),
            },
        );
        assert!(!p.diagnostics.has_errors(), "{:?}", p.diagnostics);
        assert_eq!(p.state.get("access_key"), Some(&Value::from("PK")));
        assert!(p.requires_replace.is_empty());
    }

    async fn resource(replies: Vec<Reply>, credentials: bool) -> (TestServer, InstanceResource) {
        let server = TestServer::script(replies).await;
        let http = HttpClient::new(HttpSettings {
            base_url: server.base.clone(),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..HttpSettings::default()
        })
        .unwrap();
        let client = CloudBasicClient::new(
            http,
            ClientSettings {
                credentials: if credentials {
                    Ok(crate::vendors::cloudbasic::signing::Credentials::new(
                        "LOCALPUB",
                        "local-secret",
                    ))
                } else {
                    Err(MissingKeys {
                        access_key: true,
                        secret_key: true,
                    })
                },
                scope: Scope {
                    region: "us-east-1".into(),
                    service: "cloudbasic".into(),
                },
                format: PayloadFormat::Json,
            },
        );
        let configured = Configured::default();
        configured.set(client);
        (server, InstanceResource::new(configured))
    }

    fn model() -> Instance {
        Instance {
            instance_id: "i-0abc".into(),
            email: "ops@example.com".into(),
            password: "Console-pw-1".into(),
            is_production: Some(false),
            company: Some("Example".into()),
            agree_to_eula: true,
            ..Instance::default()
        }
    }

    fn ctx() -> Ctx {
        Ctx::new(&CancellationToken::new(), Duration::from_secs(60))
    }

    #[tokio::test]
    async fn activation_is_unsigned_and_stores_the_keys() {
        let (server, r) = resource(vec![Reply::json(200, KEYS)], false).await;
        let state = r
            .create(&ctx(), model())
            .await
            .map_err(|f| f.diagnostics)
            .unwrap();
        assert_eq!(state.id.as_deref(), Some("i-0abc"));
        assert_eq!(state.access_key.as_deref(), Some("PK0000000000000000001"));
        assert_eq!(
            state.secret_key.as_deref(),
            Some("private-key-of-the-instance")
        );
        assert_eq!(state.endpoint.as_deref(), Some(server.base.as_str()));
        let sent = &server.requests()[0];
        assert_eq!(sent.path, "/api/ActivateInstance");
        assert!(sent.header("authorization").is_none());
        assert_eq!(
            sent.json(),
            serde_json::json!({"email":"ops@example.com","instanceId":"i-0abc","password":"Console-pw-1",
                "isProduction":false,"company":"Example","agreeToEula":true})
        );
    }

    #[tokio::test]
    async fn an_answer_without_keys_is_never_success() {
        let (server, r) = resource(
            vec![Reply::json(200, r#"{"publicKey":"PK","requestId":3}"#)],
            true,
        )
        .await;
        let failure = r.create(&ctx(), model()).await.err().expect("fails");
        assert!(failure.state.is_none());
        let text = format!("{:?}", failure.diagnostics);
        assert!(text.contains("privateKey"), "{text}");
        assert_eq!(server.count(), 1, "a readable answer is not repeated");
    }

    /// Lost answer, then "already activated": the keys are lost, and the error says so on
    /// instance_id. Lost answer, then success: the first did not act.
    #[tokio::test]
    async fn an_unclear_activation_is_sent_again() {
        let (server, r) = resource(vec![Reply::status(503), Reply::json(400, ALREADY)], true).await;
        let failure = r.create(&ctx(), model()).await.err().expect("fails");
        assert_eq!(server.count(), 2);
        let d = &failure.diagnostics.0[0];
        assert!(d.summary.contains("key pair was lost"), "{}", d.summary);
        assert_eq!(d.path, Some(AttrPath::root("instance_id")));
        assert!(failure.state.is_none());

        let (server, r) = resource(vec![Reply::status(502), Reply::json(200, KEYS)], true).await;
        let state = r
            .create(&ctx(), model())
            .await
            .map_err(|f| f.diagnostics)
            .unwrap();
        assert_eq!(server.count(), 2);
        assert!(state.secret_key.is_some());

        let (server, r) = resource(vec![Reply::status(503)], true).await;
        let failure = r.create(&ctx(), model()).await.err().expect("fails");
        assert_eq!(server.count(), ACTION_ATTEMPTS as usize);
        assert!(failure.diagnostics.0[0].summary.contains("may or may not"));
        assert!(failure.state.is_none());
    }

    #[tokio::test]
    async fn api_errors_land_on_their_attributes() {
        let (server, r) = resource(
            vec![Reply::json(
                400,
                r#"{"errors":["{InstanceId}:Instance i-0abc is already activated","{AgreeToEula}:must agree"],"requestId":9}"#,
            )],
            true,
        )
        .await;
        let failure = r.create(&ctx(), model()).await.err().expect("fails");
        assert_eq!(server.count(), 1);
        let paths: Vec<_> = failure.diagnostics.iter().map(|d| d.path.clone()).collect();
        assert_eq!(
            paths,
            [
                Some(AttrPath::root("instance_id")),
                Some(AttrPath::root("agree_to_eula"))
            ]
        );
        assert!(failure.diagnostics.0[0].detail.contains("request id 9"));
    }

    #[tokio::test]
    async fn delete_only_warns_and_import_is_refused() {
        let (server, r) = resource(vec![Reply::status(500)], true).await;
        let ctx = ctx();
        r.delete(&ctx, model())
            .await
            .map_err(|f| f.diagnostics)
            .unwrap();
        assert_eq!(server.count(), 0);
        let warnings = ctx.take_warnings();
        assert_eq!(warnings.iter().count(), 1);
        let err = r.import_stub("i-0abc").unwrap_err();
        assert!(err.summary.contains("cannot be imported"));
        assert!(err.detail.contains("only in the answer"), "{}", err.detail);
    }

    #[tokio::test]
    async fn the_plan_shows_the_provider_endpoint_as_default() {
        let (server, r) = resource(vec![Reply::status(500)], false).await;
        let r = Typed::boxed(r);
        let cfg = config();
        let planned = r.plan(&PlanInput {
            prior: &Value::Null,
            proposed: &cfg,
            config: &cfg,
            private: &Private::default(),
        });
        assert!(
            !planned.diagnostics.has_errors(),
            "{:?}",
            planned.diagnostics
        );
        assert_eq!(
            planned.state.get("endpoint"),
            Some(&Value::from(server.base.as_str()))
        );
        assert_eq!(
            planned.state.get("is_production"),
            Some(&Value::from(false))
        );
        assert_eq!(planned.state.get("secret_key"), Some(&Value::Unknown));
    }
}
