//! The Terraform version of a ConfigureProvider call reaches the provider's `configure`, on
//! both protocol versions, as the user agent its HTTP clients start from.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tonic::Request;

use crate::framework::resource::AnyResource;
use crate::framework::schema::Schema;
use crate::framework::server::Server;
use crate::framework::{msgpack, ConfigureContext, Diagnostics, Provider, Value};
use crate::protocol::pb::{tfplugin5, tfplugin6};

/// Keeps the user agent of the HTTP settings its `configure` would build a client from.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<String>>>);

#[async_trait]
impl Provider for Recording {
    fn type_name(&self) -> &'static str {
        "probe"
    }
    fn schema(&self) -> Schema {
        Schema::new("p")
    }
    async fn configure(&self, _: &Value, ctx: &ConfigureContext) -> Diagnostics {
        self.0.lock().unwrap().push(ctx.http_settings().user_agent);
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Box<dyn AnyResource>> {
        Vec::new()
    }
}

fn empty_config(server: &Server) -> Vec<u8> {
    msgpack::encode(
        &Value::object(Vec::<(String, Value)>::new()),
        server.provider_type(),
    )
    .unwrap()
}

fn expected(terraform: &str) -> String {
    format!(
        "terraform-provider-probe/{} Terraform/{terraform}",
        env!("CARGO_PKG_VERSION")
    )
}

#[tokio::test]
async fn protocol_5_hands_the_terraform_version_to_configure() {
    use tfplugin5::provider_server::Provider as _;
    for (announced, shown) in [("0.13.5", "0.13.5"), ("", "unknown")] {
        let recording = Recording::default();
        let server = Server::new(recording.clone());
        let svc = super::v5::ProviderV5 {
            server: Arc::clone(&server),
        };
        let response = svc
            .configure(Request::new(tfplugin5::configure::Request {
                terraform_version: announced.into(),
                config: Some(tfplugin5::DynamicValue {
                    msgpack: empty_config(&server),
                    json: Vec::new(),
                }),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        assert_eq!(*recording.0.lock().unwrap(), vec![expected(shown)]);
    }
}

#[tokio::test]
async fn protocol_6_hands_the_terraform_version_to_configure() {
    use tfplugin6::provider_server::Provider as _;
    let recording = Recording::default();
    let server = Server::new(recording.clone());
    let svc = super::v6::ProviderV6 {
        server: Arc::clone(&server),
    };
    let response = svc
        .configure_provider(Request::new(tfplugin6::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(tfplugin6::DynamicValue {
                msgpack: empty_config(&server),
                json: Vec::new(),
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(*recording.0.lock().unwrap(), vec![expected("1.11.4")]);
}
