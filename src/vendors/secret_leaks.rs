//! Secrets through failure paths, for every vendor client: an API answering with a 4xx that
//! echoes the request, a 5xx quoting a secret, and bodies that cannot be decoded but hold one.
//!
//! Each case checks two things. First, the client's own error text (Display and Debug) holds no
//! secret: the HTTP room scrubs the messages it builds from bodies, and the clients register
//! what they send. Second, the text as Terraform would see it holds none either: a diagnostic
//! built from the error, scrubbed as the protocol edge scrubs every diagnostic (the conversion
//! itself lives in the private `protocol::wire`). Each case also checks that the echo really reached
//! the message (as the marker), so a client that simply drops the API's words cannot pass by
//! accident.
//!
//! Values registered here are unique to this module: the register is shared by the whole test
//! process.

use std::time::Duration;

use base64::Engine as _;
use tokio_util::sync::CancellationToken;

use crate::framework::diagnostics::Diagnostic;
use crate::http::secrets::{self, MARKER};
use crate::http::testing::{Recorded, Reply, TestServer};
use crate::http::{HttpClient, HttpSettings};

fn settings(base: String) -> HttpSettings {
    HttpSettings {
        base_url: base,
        retry_base: Duration::from_millis(5),
        retry_cap: Duration::from_millis(20),
        max_attempts: 2,
        ..HttpSettings::default()
    }
}

/// Everything the server was sent, as an API that echoes requests into errors would quote it.
fn echo(request: &Recorded) -> String {
    let mut text = format!("{} {}", request.method, request.path);
    for (name, value) in &request.headers {
        text.push_str(&format!("; {name}: {value}"));
    }
    text.push_str("; body: ");
    text.push_str(&String::from_utf8_lossy(&request.body));
    text
}

/// A 4xx whose JSON message is the whole request.
fn echo_json(status: u16, request: &Recorded) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({ "message": format!("invalid request: {}", echo(request)) })
            .to_string(),
    )
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Fails the test when `text` holds any of `secrets`.
fn assert_clean(what: &str, text: &str, leaks: &[&str]) {
    for leak in leaks {
        assert!(!text.contains(leak), "{what}: {leak:?} leaked in {text}");
    }
}

/// The checks every case makes on an error: its own texts are clean, and so is the diagnostic
/// Terraform would get. `echoed` says the API's words must have reached the message.
fn check(what: &str, err: &dyn std::fmt::Display, debug: String, leaks: &[&str], echoed: bool) {
    let shown = err.to_string();
    assert_clean(what, &shown, leaks);
    assert_clean(what, &debug, leaks);
    if echoed {
        assert!(
            shown.contains(MARKER),
            "{what}: the echo did not reach {shown}"
        );
    }
    let diagnostic = Diagnostic::error(
        format!("{what} failed: {shown}"),
        format!("detail: {debug}"),
    );
    assert_clean(what, &secrets::scrub(&diagnostic.summary), leaks);
    assert_clean(what, &secrets::scrub(&diagnostic.detail), leaks);
    // The same text scrubbed where the protocol edge scrubs is unchanged: nothing was left for
    // the edge to catch.
    assert_eq!(secrets::scrub(&shown), shown, "{what}");
}

// ---------------------------------------------------------------------------------------------
// Instaclustr: Basic auth with the API key (registered by the HTTP room from the header).

mod instaclustr {
    use super::*;
    use crate::vendors::instaclustr::client::InstaclustrClient;

    const USER: &str = "leak-ic-user";
    const KEY: &str = "leak-ic-Key-7Hq2";

    fn secrets_of() -> Vec<String> {
        vec![KEY.to_string(), b64(&format!("{USER}:{KEY}"))]
    }

    async fn start(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, InstaclustrClient) {
        let server = TestServer::start(move |r, _| handler(r)).await;
        let http = HttpClient::new(settings(format!("{}/ic", server.base))).unwrap();
        (
            server,
            InstaclustrClient::new(http, USER.into(), KEY.into()),
        )
    }

    #[tokio::test]
    async fn an_echoing_4xx() {
        let (server, client) = start(|r| echo_json(400, r)).await;
        let err = client
            .get_cluster("c-1", &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(server.requests()[0].header("authorization").is_some());
        let leaks = secrets_of();
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check(
            "instaclustr 4xx echo",
            &err,
            format!("{err:?}"),
            &leaks,
            true,
        );
    }

    #[tokio::test]
    async fn a_5xx_quoting_the_key() {
        let (_server, client) = start(|_| {
            Reply::json(
                500,
                &format!(r#"{{"message":"auth {USER}:{KEY} failed upstream"}}"#),
            )
        })
        .await;
        let err = client
            .get_cluster("c-1", &CancellationToken::new())
            .await
            .unwrap_err();
        check("instaclustr 5xx", &err, format!("{err:?}"), &[KEY], true);
    }

    #[tokio::test]
    async fn undecodable_bodies_holding_the_key() {
        let (_server, client) = start(|r| {
            if r.method == "GET" {
                Reply::json(200, &format!("{{\"id\": \"c-1\", \"key\": {KEY}"))
            } else {
                Reply::status(400).body(&format!("<<not json key={KEY}"))
            }
        })
        .await;
        let cancel = CancellationToken::new();
        let err = client.get_cluster("c-1", &cancel).await.unwrap_err();
        check(
            "instaclustr undecodable 200",
            &err,
            format!("{err:?}"),
            &[KEY],
            false,
        );
        let err = client
            .resize("c-1", "dc-1", "m5.large", None, &cancel)
            .await
            .unwrap_err();
        check(
            "instaclustr undecodable 400",
            &err,
            format!("{err:?}"),
            &[KEY],
            true,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// CSS: the IAM password and token (registered by the token source), the admin password and a
// reset password (registered by the client).

mod css {
    use std::sync::Arc;

    use super::*;
    use crate::vendors::css::client::{
        ClusterSpec, CreateCluster, CssClient, Datastore, InstanceSpec, Nics, VolumeSpec,
    };
    use crate::vendors::css::token::{PasswordLogin, Secret, TokenSource};

    const PASSWORD: &str = "leak-css-IamPw-8Uy";
    const TOKEN: &str = "leak-css-Token-5Rt";
    const ADMIN: &str = "leak-css-Admin#3Ee";
    const RESET: &str = "leak-css-Reset\"9Oo";

    async fn start(
        iam: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
        css: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, CssClient) {
        let server = TestServer::start(move |r, _| {
            if r.path.starts_with("/iam/") {
                iam(r)
            } else {
                css(r)
            }
        })
        .await;
        let http = HttpClient::new(settings(format!("{}/css", server.base))).unwrap();
        let iam = http.with_base_url(&format!("{}/iam", server.base)).unwrap();
        let login = PasswordLogin {
            domain_name: "leak-dom".into(),
            user_name: "leak-user".into(),
            password: Secret::new(PASSWORD),
            project_id: "proj".into(),
        };
        let tokens = Arc::new(TokenSource::password(iam, login));
        (server, CssClient::new(http, "proj".into(), tokens))
    }

    fn token(_: &Recorded) -> Reply {
        Reply::json(
            201,
            r#"{"token":{"issued_at":"2024-05-01T10:00:00Z","expires_at":"2024-05-02T10:00:00Z"}}"#,
        )
        .header("X-Subject-Token", TOKEN)
    }

    fn create() -> CreateCluster {
        CreateCluster {
            cluster: ClusterSpec {
                name: "es-leak".into(),
                instance_num: 1,
                instance: InstanceSpec {
                    flavor_ref: "ess.spec-4u8g".into(),
                    volume: VolumeSpec {
                        volume_type: "HIGH".into(),
                        size: 40,
                    },
                    nics: Nics {
                        vpc_id: "v".into(),
                        net_id: "n".into(),
                        security_group_id: "s".into(),
                    },
                    availability_zone: None,
                },
                datastore: Datastore {
                    engine_type: "elasticsearch".into(),
                    version: "7.10.2".into(),
                },
                https_enable: true,
                authority_enable: true,
                admin_pwd: Some(ADMIN.into()),
                backup_strategy: None,
                tags: None,
            },
        }
    }

    const LEAKS: &[&str] = &[PASSWORD, TOKEN, ADMIN, RESET, "leak-css-Reset\\\"9Oo"];

    #[tokio::test]
    async fn echoing_4xx_answers() {
        let (server, client) = start(token, |r| echo_json(400, r)).await;
        let cancel = CancellationToken::new();
        let err = client.create_cluster(&create(), &cancel).await.unwrap_err();
        assert!(String::from_utf8_lossy(&server.requests()[1].body).contains(ADMIN));
        check("css create echo", &err, format!("{err:?}"), LEAKS, true);
        let err = client
            .reset_password("c-1", &Secret::new(RESET), &cancel)
            .await
            .unwrap_err();
        check("css reset echo", &err, format!("{err:?}"), LEAKS, true);
        let err = client.get_cluster("c-1", &cancel).await.unwrap_err();
        check("css get echo", &err, format!("{err:?}"), LEAKS, true);
    }

    #[tokio::test]
    async fn iam_echoing_the_login() {
        let (_server, client) = start(|r| echo_json(400, r), |_| Reply::status(200)).await;
        let err = client
            .get_cluster("c-1", &CancellationToken::new())
            .await
            .unwrap_err();
        check("css iam echo", &err, format!("{err:?}"), LEAKS, true);
    }

    #[tokio::test]
    async fn a_5xx_quoting_the_token() {
        let (_server, client) = start(token, |_| {
            Reply::json(
                502,
                &format!(r#"{{"errCode":"CSS.9999","externalMessage":"upstream said X-Auth-Token={TOKEN}"}}"#),
            )
        })
        .await;
        let err = client
            .get_cluster("c-1", &CancellationToken::new())
            .await
            .unwrap_err();
        check("css 5xx", &err, format!("{err:?}"), LEAKS, true);
    }

    #[tokio::test]
    async fn undecodable_bodies_holding_the_token() {
        let (_server, client) = start(token, |r| {
            if r.method == "GET" {
                Reply::json(200, &format!("{{\"id\":\"c-1\",\"token\":{TOKEN}"))
            } else {
                Reply::status(403).body(&format!("Forbidden for token {TOKEN} <html"))
            }
        })
        .await;
        let cancel = CancellationToken::new();
        let err = client.get_cluster("c-1", &cancel).await.unwrap_err();
        check(
            "css undecodable 200",
            &err,
            format!("{err:?}"),
            LEAKS,
            false,
        );
        let err = client.extend("c-1", 1, &cancel).await.unwrap_err();
        check("css undecodable 403", &err, format!("{err:?}"), LEAKS, true);
    }
}

// ---------------------------------------------------------------------------------------------
// CloudBasic: the secret key (never sent, but an API may quote it), every signature, and the
// remote instance's private key in the body.

mod cloudbasic {
    use super::*;
    use crate::vendors::cloudbasic::body::PayloadFormat;
    use crate::vendors::cloudbasic::client::{
        AlterCluster, ClientSettings, CloudBasicClient, CreateCluster,
    };
    use crate::vendors::cloudbasic::signing::{Credentials, Scope};

    const SECRET: &str = "leak-cb-Secret/9Kx+";
    const PRIVATE: &str = "leak-cb-Private&2Wq";

    async fn start(
        format: PayloadFormat,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, CloudBasicClient) {
        let server = TestServer::start(move |r, _| handler(r)).await;
        let http = HttpClient::new(settings(format!("{}/cb", server.base))).unwrap();
        let client = CloudBasicClient::new(
            http,
            ClientSettings {
                credentials: Ok(Credentials::new("LEAKPUB", SECRET)),
                scope: Scope {
                    region: "us-east-1".into(),
                    service: "cloudbasic".into(),
                },
                format,
            },
        );
        (server, client)
    }

    fn create() -> CreateCluster {
        CreateCluster {
            remote_server: "10.0.0.2".into(),
            local_server: "10.0.0.1".into(),
            port: 81,
            public_key: "REMOTEPUB".into(),
            private_key: PRIVATE.into(),
        }
    }

    /// The secrets, plus the signatures the server saw.
    fn secrets_of(server: &TestServer) -> Vec<String> {
        let mut leaks = vec![
            SECRET.to_string(),
            PRIVATE.to_string(),
            "leak-cb-Private&amp;2Wq".to_string(),
        ];
        for request in server.requests() {
            if let Some(signature) = request
                .header("authorization")
                .and_then(|a| a.split("Signature=").nth(1))
            {
                leaks.push(signature.to_string());
            }
        }
        assert!(leaks.len() > 3, "no signed request was seen");
        leaks
    }

    #[tokio::test]
    async fn echoing_4xx_answers_in_both_formats() {
        let (server, client) = start(PayloadFormat::Json, |r| {
            Reply::json(
                400,
                &serde_json::json!({
                    "errors": [format!("{{PrivateKey}}:Invalid value in {}", echo(r))],
                    "requestId": 7
                })
                .to_string(),
            )
        })
        .await;
        let err = client
            .create_cluster(&create(), &CancellationToken::new())
            .await
            .unwrap_err();
        let leaks = secrets_of(&server);
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check(
            "cloudbasic json echo",
            &err,
            format!("{err:?}"),
            &leaks,
            true,
        );

        let (server, client) = start(PayloadFormat::Xml, |r| {
            Reply::status(400)
                .header("Content-Type", "application/xml")
                .body(&format!(
                    "<Error><RequestId>8</RequestId><Message>bad request {}</Message></Error>",
                    echo(r)
                ))
        })
        .await;
        let alter = AlterCluster {
            remote_server: "10.0.0.3".into(),
            port: 444,
            public_key: "REMOTEPUB".into(),
            private_key: PRIVATE.into(),
        };
        let err = client
            .alter_cluster(&alter, &CancellationToken::new())
            .await
            .unwrap_err();
        let leaks = secrets_of(&server);
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check(
            "cloudbasic xml echo",
            &err,
            format!("{err:?}"),
            &leaks,
            true,
        );
    }

    #[tokio::test]
    async fn a_5xx_quoting_the_secret_key() {
        let (server, client) = start(PayloadFormat::Json, |_| {
            Reply::json(
                503,
                &format!(r#"{{"errors":["could not verify with key {SECRET}"]}}"#),
            )
        })
        .await;
        let err = client
            .create_cluster(&create(), &CancellationToken::new())
            .await
            .unwrap_err();
        let leaks = secrets_of(&server);
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check("cloudbasic 5xx", &err, format!("{err:?}"), &leaks, true);
    }

    #[tokio::test]
    async fn undecodable_bodies_holding_the_secret() {
        // A long proxy page, with the secret right where the body reader shortens it.
        let page = format!(
            "{}{SECRET} and {PRIVATE}{}",
            "x".repeat(490),
            "y".repeat(600)
        );
        let (server, client) = start(PayloadFormat::Json, move |r| {
            if r.path.ends_with("CreateCluster") {
                Reply::status(502).body(&page)
            } else {
                Reply::json(400, &format!("{{\"errors\": [\"{SECRET}\" oops"))
            }
        })
        .await;
        let cancel = CancellationToken::new();
        let err = client.create_cluster(&create(), &cancel).await.unwrap_err();
        let leaks_now = secrets_of(&server);
        let leaks_now: Vec<&str> = leaks_now.iter().map(String::as_str).collect();
        // The marker itself may be shortened here, but no prefix of the secret survives.
        check(
            "cloudbasic long page",
            &err,
            format!("{err:?}"),
            &leaks_now,
            false,
        );
        assert!(!err.to_string().contains("leak-cb-Sec"), "{err}");

        let alter = AlterCluster {
            remote_server: "10.0.0.3".into(),
            port: 81,
            public_key: "P".into(),
            private_key: PRIVATE.into(),
        };
        let err = client.alter_cluster(&alter, &cancel).await.unwrap_err();
        let leaks_now = secrets_of(&server);
        let leaks_now: Vec<&str> = leaks_now.iter().map(String::as_str).collect();
        check(
            "cloudbasic broken json",
            &err,
            format!("{err:?}"),
            &leaks_now,
            true,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Redis: Basic auth (registered by the HTTP room), and the bootstrap body's password and
// licence, which the framework registers as sensitive attributes (simulated here).

mod redis {
    use super::*;
    use crate::vendors::redis::client::{
        BootstrapRequest, ClusterIdentity, Credentials, NodeClient, RedisClient,
    };

    const USER: &str = "leak-admin@example.com";
    const PASSWORD: &str = "leak-rd-Pw-4Tt";
    const LICENSE: &str = "----- leak-rd-License-6Yu -----";

    fn creds() -> Credentials {
        Credentials {
            username: USER.into(),
            password: PASSWORD.into(),
        }
    }

    fn secrets_of() -> Vec<String> {
        vec![
            PASSWORD.to_string(),
            LICENSE.to_string(),
            b64(&format!("{USER}:{PASSWORD}")),
        ]
    }

    async fn node(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> (TestServer, NodeClient) {
        let server = TestServer::start(move |r, _| handler(r)).await;
        let http = HttpClient::new(settings(String::new())).unwrap();
        let node = RedisClient::new(http, None)
            .node(&format!("{}/node1", server.base), Some(creds()))
            .unwrap();
        (server, node)
    }

    #[tokio::test]
    async fn echoing_4xx_answers() {
        // What the framework does with the sensitive `license` attribute.
        secrets::register(LICENSE);
        let (server, node) = node(|r| echo_json(400, r)).await;
        let cancel = CancellationToken::new();
        let err = node.cluster(&cancel).await.unwrap_err();
        assert!(server.requests()[0].header("authorization").is_some());
        let leaks = secrets_of();
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check("redis get echo", &err, format!("{err:?}"), &leaks, true);

        let request = BootstrapRequest {
            action: "create_cluster".into(),
            cluster: ClusterIdentity {
                name: Some("leak.example.com".into()),
                nodes: Vec::new(),
            },
            node: None,
            credentials: creds(),
            license: Some(LICENSE.into()),
        };
        let err = node.start_bootstrap(&request, &cancel).await.unwrap_err();
        check(
            "redis bootstrap echo",
            &err,
            format!("{err:?}"),
            &leaks,
            true,
        );
    }

    #[tokio::test]
    async fn a_5xx_quoting_the_password() {
        let (_server, node) = node(|_| {
            Reply::json(
                500,
                &format!(r#"{{"error_code":"x","description":"login {PASSWORD} failed"}}"#),
            )
        })
        .await;
        let err = node.nodes(&CancellationToken::new()).await.unwrap_err();
        let leaks = secrets_of();
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check("redis 5xx", &err, format!("{err:?}"), &leaks, true);
    }

    #[tokio::test]
    async fn undecodable_bodies_holding_the_password() {
        let (_server, node) = node(|r| {
            if r.path.ends_with("/v1/cluster") {
                Reply::json(200, &format!("{{\"name\": {PASSWORD}"))
            } else {
                Reply::status(400).body(&format!("bad auth {PASSWORD} \u{0}"))
            }
        })
        .await;
        let cancel = CancellationToken::new();
        let err = node.cluster(&cancel).await.unwrap_err();
        let leaks = secrets_of();
        let leaks: Vec<&str> = leaks.iter().map(String::as_str).collect();
        check(
            "redis undecodable 200",
            &err,
            format!("{err:?}"),
            &leaks,
            false,
        );
        let err = node.bootstrap_status(&cancel).await.unwrap_err();
        check(
            "redis undecodable 400",
            &err,
            format!("{err:?}"),
            &leaks,
            true,
        );
    }
}
