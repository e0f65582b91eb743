//! Write-only attributes through both protocol services, in process: the schema flag on the
//! wire, the refusal when the client announces no support, and values that never leave the
//! provider in a plan or a state while the apply still gets the configured one.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tonic::Request;

use crate::framework::schema::{number, string, Declare, Schema};
use crate::framework::server::Server;
use crate::framework::{msgpack, Ctx, Diagnostics, Outcome, Provider, Resource, Typed, Value};
use crate::protocol::pb::{tfplugin5, tfplugin6};

const SECRET: &str = "configured-secret";

#[derive(Serialize, Deserialize, Default, Clone)]
#[serde(default)]
struct Model {
    id: Option<String>,
    secret: Option<String>,
    secret_wo: Option<String>,
    secret_wo_version: Option<i64>,
}

/// Records the write-only value each create and update received, and returns it in every
/// state, as a careless resource might: the framework has to drop it.
#[derive(Clone, Default)]
struct Thing {
    received: Arc<Mutex<Vec<Option<String>>>>,
}

#[async_trait]
impl Resource for Thing {
    type Model = Model;

    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new("t")
            .attr("id", string().computed())
            .attr("secret", string().optional().sensitive().in_place())
            .attr(
                "secret_wo",
                string().optional().sensitive().write_only_twin_of("secret"),
            )
            .attr(
                "secret_wo_version",
                number().optional().version_of("secret_wo"),
            )
    }

    async fn create(&self, _: &Ctx, plan: Model) -> Outcome<Model, Model> {
        self.received.lock().unwrap().push(plan.secret_wo.clone());
        Ok(Model {
            id: Some("1".into()),
            ..plan
        })
    }

    async fn read(&self, _: &Ctx, state: Model) -> Outcome<Option<Model>, Model> {
        Ok(Some(Model {
            secret_wo: Some("read-back".into()),
            ..state
        }))
    }

    async fn update(&self, _: &Ctx, _: Model, plan: Model) -> Outcome<Model, Model> {
        self.received.lock().unwrap().push(plan.secret_wo.clone());
        Ok(plan)
    }

    async fn delete(&self, _: &Ctx, _: Model) -> Outcome<(), Model> {
        Ok(())
    }
}

struct TestProvider(Thing);

#[async_trait]
impl Provider for TestProvider {
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new("p")
    }
    async fn configure(&self, _: &Value, _: &crate::framework::ConfigureContext) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Box<dyn crate::framework::resource::AnyResource>> {
        vec![Typed::boxed(self.0.clone())]
    }
}

fn server() -> (Arc<Server>, Thing) {
    let thing = Thing::default();
    (Server::new(TestProvider(thing.clone())), thing)
}

fn object(secret_wo: Value, version: Value, id: Value) -> Value {
    Value::object([
        ("id".to_string(), id),
        ("secret".to_string(), Value::Null),
        ("secret_wo".to_string(), secret_wo),
        ("secret_wo_version".to_string(), version),
    ])
}

fn config() -> Value {
    object(SECRET.into(), 1i64.into(), Value::Null)
}

macro_rules! dynamic {
    ($pb:ident, $server:expr, $value:expr) => {{
        let ty = $server
            .resource("test_thing")
            .map(|r| r.ty().clone())
            .unwrap();
        Some($pb::DynamicValue {
            msgpack: msgpack::encode(&$value, &ty).unwrap(),
            json: Vec::new(),
        })
    }};
}

fn decode(server: &Server, dv: Option<&[u8]>) -> Value {
    let ty = server
        .resource("test_thing")
        .map(|r| r.ty().clone())
        .unwrap();
    msgpack::decode(dv.unwrap_or_default(), &ty).unwrap()
}

#[tokio::test]
async fn protocol_6_flags_refuses_strips_and_hands_the_config_value_to_the_apply() {
    use tfplugin6::provider_server::Provider as _;
    let (server, thing) = server();
    let svc = super::v6::ProviderV6 {
        server: Arc::clone(&server),
    };

    let schema = svc
        .get_provider_schema(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let attrs = &schema.resource_schemas["test_thing"]
        .block
        .as_ref()
        .unwrap()
        .attributes;
    let flag = |n: &str| attrs.iter().find(|a| a.name == n).unwrap().write_only;
    assert!(flag("secret_wo"));
    assert!(!flag("secret") && !flag("secret_wo_version"));

    // Without the capability (Terraform before 1.11 sends none): refused, on the attribute.
    let validate = |caps: Option<tfplugin6::ClientCapabilities>| {
        svc.validate_resource_config(Request::new(tfplugin6::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: dynamic!(tfplugin6, server, config()),
            client_capabilities: caps,
        }))
    };
    let refused = validate(None).await.unwrap().into_inner().diagnostics;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        refused[0].detail.split(". ").next(),
        Some("secret_wo is write-only and needs Terraform 1.11 or later; use secret instead")
    );
    let steps = &refused[0].attribute.as_ref().unwrap().steps;
    assert_eq!(steps.len(), 1);
    let allowed = Some(tfplugin6::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    });
    assert!(validate(allowed)
        .await
        .unwrap()
        .into_inner()
        .diagnostics
        .is_empty());

    // Terraform proposes the configured value; the plan holds none.
    let plan = svc
        .plan_resource_change(Request::new(tfplugin6::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic!(tfplugin6, server, Value::Null),
            proposed_new_state: dynamic!(tfplugin6, server, config()),
            config: dynamic!(tfplugin6, server, config()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = decode(&server, plan.planned_state.as_ref().map(|d| &d.msgpack[..]));
    assert_eq!(planned, object(Value::Null, 1i64.into(), Value::Unknown));

    // The apply gets the value from the configuration; the new state holds none.
    let applied = svc
        .apply_resource_change(Request::new(tfplugin6::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic!(tfplugin6, server, Value::Null),
            planned_state: dynamic!(tfplugin6, server, planned),
            config: dynamic!(tfplugin6, server, config()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(
        *thing.received.lock().unwrap(),
        vec![Some(SECRET.to_string())]
    );
    let state = decode(&server, applied.new_state.as_ref().map(|d| &d.msgpack[..]));
    assert_eq!(state, object(Value::Null, 1i64.into(), "1".into()));

    // A read (or an import) never reports one either.
    let read = svc
        .read_resource(Request::new(tfplugin6::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dynamic!(tfplugin6, server, state.clone()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let read = decode(&server, read.new_state.as_ref().map(|d| &d.msgpack[..]));
    assert_eq!(read, state);

    // A bumped version is an update, which gets the configured value too.
    let bumped = object(SECRET.into(), 2i64.into(), Value::Null);
    let proposed = object(SECRET.into(), 2i64.into(), "1".into());
    let plan = svc
        .plan_resource_change(Request::new(tfplugin6::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic!(tfplugin6, server, state.clone()),
            proposed_new_state: dynamic!(tfplugin6, server, proposed),
            config: dynamic!(tfplugin6, server, bumped.clone()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let planned = decode(&server, plan.planned_state.as_ref().map(|d| &d.msgpack[..]));
    assert_eq!(planned, object(Value::Null, 2i64.into(), "1".into()));
    let applied = svc
        .apply_resource_change(Request::new(tfplugin6::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic!(tfplugin6, server, state),
            planned_state: dynamic!(tfplugin6, server, planned.clone()),
            config: dynamic!(tfplugin6, server, bumped),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(thing.received.lock().unwrap().len(), 2);
    let state = decode(&server, applied.new_state.as_ref().map(|d| &d.msgpack[..]));
    assert_eq!(state, planned);
}

#[tokio::test]
async fn protocol_5_flags_and_refuses_the_same_way() {
    use tfplugin5::provider_server::Provider as _;
    let (server, _) = server();
    let svc = super::v5::ProviderV5 {
        server: Arc::clone(&server),
    };
    let schema = svc
        .get_schema(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let attrs = &schema.resource_schemas["test_thing"]
        .block
        .as_ref()
        .unwrap()
        .attributes;
    assert!(attrs.iter().any(|a| a.name == "secret_wo" && a.write_only));
    let validate = |caps: Option<tfplugin5::ClientCapabilities>| {
        svc.validate_resource_type_config(Request::new(
            tfplugin5::validate_resource_type_config::Request {
                type_name: "test_thing".into(),
                config: dynamic!(tfplugin5, server, config()),
                client_capabilities: caps,
            },
        ))
    };
    assert_eq!(
        validate(None).await.unwrap().into_inner().diagnostics.len(),
        1
    );
    let allowed = Some(tfplugin5::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    });
    assert!(validate(allowed)
        .await
        .unwrap()
        .into_inner()
        .diagnostics
        .is_empty());
    let stub = svc
        .import_resource_state(Request::new(tfplugin5::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "1".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let imported = &stub.imported_resources[0];
    let state = decode(&server, imported.state.as_ref().map(|d| &d.msgpack[..]));
    assert_eq!(state, object(Value::Null, Value::Null, "1".into()));
}
