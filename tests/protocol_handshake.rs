//! The provider binary started exactly as Terraform starts it: go-plugin's environment, an
//! ECDSA P-521 client certificate like Terraform's AutoMTLS one, the handshake line on stdout,
//! then real gRPC calls over mutual TLS (or plaintext) with protocols 5 and 6, go-plugin's
//! controller and health services, signals and debug mode.
//!
//! Every test owns its provider process through [`Plugin`], which kills it when dropped.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use clusterform::framework::{msgpack, Type, Value};
use clusterform::protocol::pb::{plugin, tfplugin5, tfplugin6};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::Code;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-instaclustr");
const BINARY_NAME: &str = "terraform-provider-instaclustr";
const COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const MIN_PORT: u16 = 21000;
const MAX_PORT: u16 = 21999;
/// What Terraform allows itself for the whole handshake; generous on a shared, noisy machine.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// An upper bound for any single RPC, so a hang fails the test instead of blocking it forever.
const RPC_TIMEOUT: Duration = Duration::from_secs(60);
const ERROR: i32 = 1;

// ---------------------------------------------------------------------------------------------
// The provider process
// ---------------------------------------------------------------------------------------------

/// A running provider process, its stdout line by line and its stderr collected; killed on drop.
struct Plugin {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Plugin {
    /// Starts the binary with exactly the go-plugin variables given (any inherited ones removed).
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Plugin {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        for key in [
            COOKIE_KEY,
            "PLUGIN_PROTOCOL_VERSIONS",
            "PLUGIN_MIN_PORT",
            "PLUGIN_MAX_PORT",
            "PLUGIN_CLIENT_CERT",
            "TF_REATTACH_PROVIDERS",
            "TF_LOG",
            "TF_LOG_PROVIDER",
        ] {
            cmd.env_remove(key);
        }
        cmd.envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the provider binary");

        // stdout: raw lines, newline included, so a test can tell a complete line from a
        // partial one.
        let out = child.stdout.take().expect("child stdout");
        let (tx, stdout) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });

        // stderr: drained continuously so the child can never block on a full pipe.
        let mut err = child.stderr.take().expect("child stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match err.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        });

        Plugin {
            child,
            stdout,
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Starts the provider as Terraform does: cookie, versions, port range and, with `tls`, a
    /// fresh P-521 client certificate.
    fn launch(versions: &str, tls: bool) -> Launched {
        let client = tls.then(ClientCert::terraform_like);
        let min = MIN_PORT.to_string();
        let max = MAX_PORT.to_string();
        let mut env = vec![
            (COOKIE_KEY, COOKIE),
            ("PLUGIN_PROTOCOL_VERSIONS", versions),
            ("PLUGIN_MIN_PORT", min.as_str()),
            ("PLUGIN_MAX_PORT", max.as_str()),
        ];
        if let Some(c) = &client {
            env.push(("PLUGIN_CLIENT_CERT", c.cert_pem.as_str()));
        }
        let plugin = Plugin::spawn(&[], &env);
        let started = Instant::now();
        let line = plugin
            .next_line(HANDSHAKE_TIMEOUT)
            .unwrap_or_else(|| panic!("no handshake line; stderr:\n{}", plugin.stderr()));
        let shown: String = line.trim_end().chars().take(64).collect();
        eprintln!("handshake after {:?}: {shown}…", started.elapsed());
        let handshake = Handshake::parse(&line, tls);
        Launched {
            plugin,
            handshake,
            client,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line, or None when none arrives in time or stdout is closed.
    fn next_line(&self, timeout: Duration) -> Option<String> {
        self.stdout.recv_timeout(timeout).ok()
    }

    /// Like `next_line`, telling a silent-but-open stdout from a closed one.
    fn next_line_or(&self, timeout: Duration) -> Result<String, RecvTimeoutError> {
        self.stdout.recv_timeout(timeout)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the process to exit by itself.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// After the process has exited: everything it wrote to stdout and stderr.
    fn collect_output(&mut self) -> (Vec<String>, String) {
        let mut lines = Vec::new();
        while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(10)) {
            lines.push(line);
        }
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        (lines, self.stderr())
    }
}

/// A provider past its handshake.
struct Launched {
    plugin: Plugin,
    handshake: Handshake,
    client: Option<ClientCert>,
}

impl Launched {
    /// A channel as Terraform opens it: mutual TLS with the launch certificate, or plaintext.
    async fn channel(&self) -> Channel {
        match (&self.handshake.server_cert, &self.client) {
            (Some(server), Some(client)) => tls_channel(self.handshake.addr, server, Some(client))
                .await
                .map(|(ch, _)| ch)
                .unwrap_or_else(|e| {
                    panic!(
                        "mTLS connection failed: {e}; stderr:\n{}",
                        self.plugin.stderr()
                    )
                }),
            (None, None) => plain_channel(self.handshake.addr).await,
            _ => unreachable!("TLS on one side only"),
        }
    }
}

/// The fields of `1|<proto>|tcp|<addr>|grpc|<cert>`.
struct Handshake {
    version: u32,
    addr: SocketAddr,
    server_cert: Option<Vec<u8>>,
}

impl Handshake {
    fn parse(line: &str, expect_cert: bool) -> Handshake {
        assert!(
            line.ends_with('\n'),
            "the handshake line must be newline-terminated: {line:?}"
        );
        let body = line.trim_end_matches('\n');
        assert!(
            !body.ends_with('\r'),
            "no CR in the handshake line: {line:?}"
        );
        let fields: Vec<&str> = body.split('|').collect();
        assert_eq!(fields.len(), 6, "six fields expected: {body:?}");
        assert_eq!(fields[0], "1", "core protocol version: {body:?}");
        let version: u32 = fields[1]
            .parse()
            .unwrap_or_else(|_| panic!("protocol version: {body:?}"));
        assert_eq!(fields[2], "tcp", "network: {body:?}");
        let addr: SocketAddr = fields[3]
            .parse()
            .unwrap_or_else(|_| panic!("address: {body:?}"));
        assert_eq!(
            addr.ip().to_string(),
            "127.0.0.1",
            "listen on loopback: {body:?}"
        );
        assert!(
            (MIN_PORT..=MAX_PORT).contains(&addr.port()),
            "port {} outside PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT ({MIN_PORT}..={MAX_PORT})",
            addr.port()
        );
        assert_eq!(fields[4], "grpc", "protocol: {body:?}");
        let cert = fields[5];
        let server_cert = if expect_cert {
            assert!(
                !cert.is_empty(),
                "TLS requested but the certificate field is empty"
            );
            assert!(
                !cert.contains('='),
                "go-plugin decodes with RawStdEncoding: no padding allowed"
            );
            assert!(
                !cert.contains('-') && !cert.contains('_'),
                "standard base64 alphabet expected, not URL-safe"
            );
            let der = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cert)
                .unwrap_or_else(|e| {
                    panic!("certificate field is not unpadded standard base64: {e}")
                });
            check_server_cert(&der);
            Some(der)
        } else {
            assert!(
                cert.is_empty(),
                "plaintext mode: the certificate field must be empty: {body:?}"
            );
            None
        };
        Handshake {
            version,
            addr,
            server_cert,
        }
    }
}

/// What Go's crypto/tls will ask of the certificate: an X.509 DER certificate valid for
/// `localhost`.
fn check_server_cert(der: &[u8]) {
    assert_eq!(
        der.first(),
        Some(&0x30),
        "DER certificate starts with a SEQUENCE"
    );
    let cert = CertificateDer::from(der.to_vec());
    let parsed = rustls::server::ParsedCertificate::try_from(&cert)
        .unwrap_or_else(|e| panic!("server certificate does not parse as X.509: {e}"));
    rustls::client::verify_server_name(&parsed, &ServerName::try_from("localhost").unwrap())
        .unwrap_or_else(|e| panic!("server certificate is not valid for localhost: {e}"));
}

// ---------------------------------------------------------------------------------------------
// Terraform's side of AutoMTLS
// ---------------------------------------------------------------------------------------------

/// A client certificate made the way go-plugin's `generateCert` makes Terraform's: ECDSA P-521,
/// self-signed, IsCA, CN and SAN `localhost`.
struct ClientCert {
    cert_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl ClientCert {
    fn terraform_like() -> ClientCert {
        use rcgen::{
            BasicConstraints, DnType, ExtendedKeyUsagePurpose as Eku, IsCa, KeyUsagePurpose as Ku,
        };
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            Ku::DigitalSignature,
            Ku::KeyEncipherment,
            Ku::KeyAgreement,
            Ku::KeyCertSign,
        ];
        params.extended_key_usages = vec![Eku::ClientAuth, Eku::ServerAuth];
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        ClientCert {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }
}

/// Trusts exactly the certificate from the handshake line, as Terraform does (its RootCAs pool
/// holds only that certificate, ServerName `localhost`).
#[derive(Debug)]
struct PinnedServerCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() != self.pinned.as_ref() {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ));
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What the client saw of the TLS session it opened.
#[derive(Debug, Clone)]
struct Negotiated {
    alpn: Option<Vec<u8>>,
    version: Option<rustls::ProtocolVersion>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A tonic channel over a rustls connection: the server certificate pinned, ALPN h2, and the
/// given client certificate (or none).
async fn tls_channel(
    addr: SocketAddr,
    server_cert: &[u8],
    client: Option<&ClientCert>,
) -> Result<(Channel, Arc<Mutex<Option<Negotiated>>>), BoxError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServerCert {
            pinned: CertificateDer::from(server_cert.to_vec()),
            provider,
        }));
    let mut config = match client {
        Some(c) => builder.with_client_auth_cert(
            vec![CertificateDer::from(c.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key_der.clone())),
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let config = Arc::new(config);
    let seen = Arc::new(Mutex::new(None));
    let seen_in_connector = seen.clone();

    let connector = tower::service_fn(move |_: Uri| {
        let config = config.clone();
        let seen = seen_in_connector.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            let name = ServerName::try_from("localhost").expect("server name");
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await?;
            let (_, session) = tls.get_ref();
            *seen.lock().unwrap() = Some(Negotiated {
                alpn: session.alpn_protocol().map(<[u8]>::to_vec),
                version: session.protocol_version(),
            });
            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
        }
    });
    let channel = Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(20))
        .connect_with_connector(connector)
        .await?;
    Ok((channel, seen))
}

async fn plain_channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_timeout(Duration::from_secs(20))
        .connect()
        .await
        .unwrap_or_else(|e| panic!("plaintext connection to {addr} failed: {e}"))
}

/// Terraform's go-plugin client lifts both message limits to MaxInt32.
fn v6(channel: &Channel) -> tfplugin6::provider_client::ProviderClient<Channel> {
    tfplugin6::provider_client::ProviderClient::new(channel.clone())
        .max_decoding_message_size(i32::MAX as usize)
        .max_encoding_message_size(i32::MAX as usize)
}

fn v5(channel: &Channel) -> tfplugin5::provider_client::ProviderClient<Channel> {
    tfplugin5::provider_client::ProviderClient::new(channel.clone())
        .max_decoding_message_size(i32::MAX as usize)
        .max_encoding_message_size(i32::MAX as usize)
}

/// Awaits an RPC with an upper bound, panicking with `what` on a hang or an error status.
async fn call<T>(
    what: &str,
    fut: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> T {
    match tokio::time::timeout(RPC_TIMEOUT, fut).await {
        Err(_) => panic!("{what}: no answer within {RPC_TIMEOUT:?}"),
        Ok(Err(status)) => panic!("{what} failed: {status:?}"),
        Ok(Ok(resp)) => resp.into_inner(),
    }
}

// ---------------------------------------------------------------------------------------------
// Schemas and values
// ---------------------------------------------------------------------------------------------

/// The cty object type of a schema block as Terraform derives it from the wire schema.
macro_rules! block_type_fn {
    ($name:ident, $pb:ident, nested_attributes: $nested:expr) => {
        fn $name(block: &$pb::schema::Block) -> Type {
            use $pb::schema::nested_block::NestingMode;
            let mut attrs: Vec<(String, Type)> = Vec::new();
            for a in &block.attributes {
                let nested: Option<Type> = $nested(a);
                let ty = nested.unwrap_or_else(|| {
                    Type::from_json_bytes(&a.r#type).unwrap_or_else(|e| {
                        panic!("attribute {} has an invalid type: {e:?}", a.name)
                    })
                });
                attrs.push((a.name.clone(), ty));
            }
            for b in &block.block_types {
                let inner = $name(b.block.as_ref().expect("nested block without a block"));
                let ty = match NestingMode::try_from(b.nesting).expect("nesting mode") {
                    NestingMode::Single | NestingMode::Group => inner,
                    NestingMode::List => Type::list(inner),
                    NestingMode::Set => Type::set(inner),
                    NestingMode::Map => Type::map(inner),
                    NestingMode::Invalid => panic!("block {} has nesting INVALID", b.type_name),
                };
                attrs.push((b.type_name.clone(), ty));
            }
            Type::object(attrs)
        }
    };
}

block_type_fn!(block_type_v6, tfplugin6, nested_attributes: nested_type_v6);
block_type_fn!(block_type_v5, tfplugin5, nested_attributes: |_: &tfplugin5::schema::Attribute| None);

/// Protocol 6 nested attributes (`nested_type`), should the provider use them.
fn nested_type_v6(a: &tfplugin6::schema::Attribute) -> Option<Type> {
    use tfplugin6::schema::object::NestingMode;
    let object = a.nested_type.as_ref()?;
    let inner = Type::object(object.attributes.iter().map(|n| {
        let ty = nested_type_v6(n)
            .unwrap_or_else(|| Type::from_json_bytes(&n.r#type).expect("nested attribute type"));
        (n.name.clone(), ty)
    }));
    Some(
        match NestingMode::try_from(object.nesting).expect("nesting mode") {
            NestingMode::Single | NestingMode::Invalid => inner,
            NestingMode::List => Type::list(inner),
            NestingMode::Set => Type::set(inner),
            NestingMode::Map => Type::map(inner),
        },
    )
}

fn attribute<'a>(
    block: &'a tfplugin6::schema::Block,
    name: &str,
) -> &'a tfplugin6::schema::Attribute {
    block
        .attributes
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("attribute {name} missing from the schema"))
}

/// A config as Terraform sends it for
/// `resource "instaclustr_cluster" { cluster_name = name ... }` (everything not set is null).
fn cluster_config(name: &str, disk_encryption_key: Option<String>) -> Value {
    let mut provider = vec![("name".to_string(), Value::string("AWS_VPC"))];
    if let Some(key) = disk_encryption_key {
        provider.push(("disk_encryption_key".to_string(), Value::String(key)));
    }
    Value::object([
        ("cluster_name", Value::string(name)),
        ("node_size", Value::string("t3.small-v2")),
        ("data_centre", Value::string("US_WEST_2")),
        ("cluster_provider", Value::map(provider)),
        (
            "bundle",
            Value::list([Value::object([
                ("bundle", Value::string("APACHE_CASSANDRA")),
                ("version", Value::string("4.0.1")),
            ])]),
        ),
    ])
}

fn dynamic_value_v6(value: &Value, ty: &Type) -> tfplugin6::DynamicValue {
    tfplugin6::DynamicValue {
        msgpack: msgpack::encode(value, ty).expect("msgpack encoding"),
        json: vec![],
    }
}

fn errors_v6(diags: &[tfplugin6::Diagnostic]) -> Vec<&tfplugin6::Diagnostic> {
    diags.iter().filter(|d| d.severity == ERROR).collect()
}

fn errors_v5(diags: &[tfplugin5::Diagnostic]) -> Vec<&tfplugin5::Diagnostic> {
    diags.iter().filter(|d| d.severity == ERROR).collect()
}

fn first_attribute_name(path: Option<&tfplugin6::AttributePath>) -> Option<&str> {
    use tfplugin6::attribute_path::step::Selector;
    match path?.steps.first()?.selector.as_ref()? {
        Selector::AttributeName(name) => Some(name.as_str()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// 1–3: starting up
// ---------------------------------------------------------------------------------------------

#[test]
fn refuses_to_run_without_the_magic_cookie() {
    for cookie in [None, Some("not-the-cookie")] {
        let mut env = vec![("PLUGIN_PROTOCOL_VERSIONS", "5,6")];
        if let Some(c) = cookie {
            env.push((COOKIE_KEY, c));
        }
        let mut plugin = Plugin::spawn(&[], &env);
        let status = plugin
            .wait_exit(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("cookie {cookie:?}: the provider kept running"));
        let (stdout, stderr) = plugin.collect_output();
        assert_eq!(
            status.code(),
            Some(1),
            "cookie {cookie:?}: exit status {status:?}"
        );
        assert!(
            stdout.is_empty(),
            "cookie {cookie:?}: nothing may reach stdout, got {stdout:?}"
        );
        assert!(
            stderr.contains("Terraform"),
            "cookie {cookie:?}: a human explanation on stderr expected, got {stderr:?}"
        );
        assert!(
            !stderr.contains("panic"),
            "cookie {cookie:?}: no panic expected: {stderr}"
        );
    }
}

#[test]
fn version_flag_prints_a_version_line_and_exits_zero() {
    for flag in ["--version", "-version"] {
        // Without any go-plugin environment: a human runs this.
        let mut plugin = Plugin::spawn(&[flag], &[]);
        let status = plugin
            .wait_exit(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{flag}: the provider kept running"));
        let (stdout, _) = plugin.collect_output();
        assert_eq!(status.code(), Some(0), "{flag}: exit status {status:?}");
        assert_eq!(stdout.len(), 1, "{flag}: one line expected: {stdout:?}");
        let line = stdout[0].trim_end();
        assert!(line.contains(BINARY_NAME), "{flag}: {line:?}");
        assert!(
            line.split_whitespace()
                .any(|w| w.trim_start_matches('v').split('.').count() >= 2
                    && w.trim_start_matches('v')
                        .split('.')
                        .all(|p| !p.is_empty() && p.chars().next().unwrap().is_ascii_digit())),
            "{flag}: a dotted version number expected in {line:?}"
        );
    }
}

#[test]
fn handshake_announces_the_highest_common_protocol() {
    for (offered, expected) in [("5,6", 6), ("6,5", 6), ("5", 5), ("6", 6)] {
        let mut launched = Plugin::launch(offered, true);
        assert_eq!(
            launched.handshake.version, expected,
            "PLUGIN_PROTOCOL_VERSIONS={offered}"
        );
        // Exactly one line: nothing else arrives afterwards.
        match launched.plugin.next_line_or(Duration::from_secs(1)) {
            Ok(extra) => {
                panic!("{offered}: stdout must carry only the handshake, then got {extra:?}")
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                assert!(
                    launched.plugin.is_running(),
                    "{offered}: the provider died after its handshake; stderr:\n{}",
                    launched.plugin.stderr()
                );
            }
        }
        assert!(
            launched.plugin.is_running(),
            "{offered}: the provider must keep serving"
        );
    }
}

#[test]
fn handshake_refuses_protocols_it_does_not_speak() {
    let plugin_env = |versions| {
        vec![
            (COOKIE_KEY, COOKIE),
            ("PLUGIN_PROTOCOL_VERSIONS", versions),
            ("PLUGIN_MIN_PORT", "21000"),
            ("PLUGIN_MAX_PORT", "21999"),
        ]
    };
    let mut plugin = Plugin::spawn(&[], &plugin_env("3,4"));
    let status = plugin
        .wait_exit(Duration::from_secs(30))
        .expect("the provider kept running although it speaks neither 3 nor 4");
    let (stdout, stderr) = plugin.collect_output();
    assert_eq!(status.code(), Some(1), "exit status {status:?}");
    assert!(stdout.is_empty(), "no handshake may be printed: {stdout:?}");
    assert!(!stderr.trim().is_empty(), "a message on stderr expected");
    assert!(
        stderr.contains("3,4") || stderr.contains("version"),
        "message should name the versions: {stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4: mutual TLS, end to end
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_protocol_6_end_to_end() {
    let launched = Plugin::launch("5,6", true);
    assert_eq!(launched.handshake.version, 6);
    let (channel, seen) = tls_channel(
        launched.handshake.addr,
        launched.handshake.server_cert.as_ref().unwrap(),
        launched.client.as_ref(),
    )
    .await
    .unwrap_or_else(|e| {
        panic!(
            "mTLS connection failed: {e}; stderr:\n{}",
            launched.plugin.stderr()
        )
    });
    let mut client = v6(&channel);

    // Schema.
    let schema = call(
        "GetProviderSchema",
        client.get_provider_schema(tfplugin6::get_provider_schema::Request {}),
    )
    .await;
    assert!(
        errors_v6(&schema.diagnostics).is_empty(),
        "{:?}",
        schema.diagnostics
    );
    let provider_block = schema
        .provider
        .as_ref()
        .and_then(|s| s.block.as_ref())
        .expect("provider schema");
    assert!(
        attribute(provider_block, "api_key").sensitive,
        "api_key must be sensitive"
    );
    let cluster = schema
        .resource_schemas
        .get("instaclustr_cluster")
        .and_then(|s| s.block.as_ref())
        .unwrap_or_else(|| {
            panic!(
                "instaclustr_cluster missing: {:?}",
                schema.resource_schemas.keys()
            )
        });
    let name = attribute(cluster, "cluster_name");
    assert!(
        name.required && !name.optional && !name.computed,
        "cluster_name must be required: {name:?}"
    );
    let cluster_ty = block_type_v6(cluster);
    // The negotiated session is what Terraform gets from Go: TLS 1.3 with h2.
    let negotiated = seen
        .lock()
        .unwrap()
        .clone()
        .expect("a TLS session was opened");
    assert_eq!(
        negotiated.alpn.as_deref(),
        Some(&b"h2"[..]),
        "ALPN must select h2"
    );
    assert_eq!(
        negotiated.version,
        Some(rustls::ProtocolVersion::TLSv1_3),
        "Go negotiates TLS 1.3"
    );
    eprintln!("TLS session: {negotiated:?}");

    // Metadata.
    let meta = call(
        "GetMetadata",
        client.get_metadata(tfplugin6::get_metadata::Request {}),
    )
    .await;
    assert!(
        errors_v6(&meta.diagnostics).is_empty(),
        "{:?}",
        meta.diagnostics
    );
    assert!(
        meta.resources
            .iter()
            .any(|r| r.type_name == "instaclustr_cluster"),
        "GetMetadata must list instaclustr_cluster: {:?}",
        meta.resources
    );

    // Validation with a msgpack config: a valid one, then an invalid name.
    let valid = call(
        "ValidateResourceConfig",
        client.validate_resource_config(tfplugin6::validate_resource_config::Request {
            type_name: "instaclustr_cluster".into(),
            config: Some(dynamic_value_v6(
                &cluster_config("my_cluster", None),
                &cluster_ty,
            )),
            client_capabilities: None,
        }),
    )
    .await;
    assert!(
        errors_v6(&valid.diagnostics).is_empty(),
        "valid config rejected: {:?}",
        valid.diagnostics
    );

    let invalid = call(
        "ValidateResourceConfig (bad name)",
        client.validate_resource_config(tfplugin6::validate_resource_config::Request {
            type_name: "instaclustr_cluster".into(),
            config: Some(dynamic_value_v6(
                &cluster_config("not a valid name!", None),
                &cluster_ty,
            )),
            client_capabilities: None,
        }),
    )
    .await;
    let errors = errors_v6(&invalid.diagnostics);
    assert!(
        !errors.is_empty(),
        "an invalid cluster_name must be reported"
    );
    assert!(
        errors
            .iter()
            .any(|d| first_attribute_name(d.attribute.as_ref()) == Some("cluster_name")),
        "the error should point at cluster_name: {errors:?}"
    );

    // Identity schemas: a valid empty answer, not Unimplemented.
    let identity = call(
        "GetResourceIdentitySchemas",
        client.get_resource_identity_schemas(tfplugin6::get_resource_identity_schemas::Request {}),
    )
    .await;
    assert!(
        errors_v6(&identity.diagnostics).is_empty(),
        "{:?}",
        identity.diagnostics
    );

    // Functions (OpenTofu calls this).
    let functions = call(
        "GetFunctions",
        client.get_functions(tfplugin6::get_functions::Request {}),
    )
    .await;
    assert!(
        errors_v6(&functions.diagnostics).is_empty(),
        "{:?}",
        functions.diagnostics
    );

    // go-plugin's health service.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = call(
        "Health/Check",
        health.check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        }),
    )
    .await;
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
        "service \"plugin\" must be SERVING"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_protocol_5_end_to_end() {
    let launched = Plugin::launch("5", true);
    assert_eq!(launched.handshake.version, 5);
    let channel = launched.channel().await;
    let mut client = v5(&channel);

    let schema = call(
        "GetSchema",
        client.get_schema(tfplugin5::get_provider_schema::Request {}),
    )
    .await;
    assert!(
        errors_v5(&schema.diagnostics).is_empty(),
        "{:?}",
        schema.diagnostics
    );
    let cluster = schema
        .resource_schemas
        .get("instaclustr_cluster")
        .and_then(|s| s.block.as_ref())
        .unwrap_or_else(|| {
            panic!(
                "instaclustr_cluster missing: {:?}",
                schema.resource_schemas.keys()
            )
        });
    let name = cluster
        .attributes
        .iter()
        .find(|a| a.name == "cluster_name")
        .expect("cluster_name");
    assert!(name.required, "cluster_name must be required");
    let provider_block = schema
        .provider
        .as_ref()
        .and_then(|s| s.block.as_ref())
        .expect("provider schema");
    let api_key = provider_block
        .attributes
        .iter()
        .find(|a| a.name == "api_key")
        .expect("api_key");
    assert!(api_key.sensitive, "api_key must be sensitive");
    let provider_ty = block_type_v5(provider_block);

    let config = Value::object([
        ("api_key", Value::string("secret-key")),
        ("request_interval", Value::string("2.5s")),
    ]);
    let encoded = msgpack::encode(&config, &provider_ty).expect("msgpack");
    let prepared = call(
        "PrepareProviderConfig",
        client.prepare_provider_config(tfplugin5::prepare_provider_config::Request {
            config: Some(tfplugin5::DynamicValue {
                msgpack: encoded.clone(),
                json: vec![],
            }),
        }),
    )
    .await;
    assert!(
        errors_v5(&prepared.diagnostics).is_empty(),
        "{:?}",
        prepared.diagnostics
    );
    let back = prepared
        .prepared_config
        .expect("prepared_config must be returned");
    let decoded = msgpack::decode(&back.msgpack, &provider_ty).expect("prepared_config decodes");
    assert_eq!(
        decoded.get("api_key").and_then(|v| v.as_str()),
        Some("secret-key"),
        "prepared_config must keep the configuration"
    );

    let bad = Value::object([("request_interval", Value::string("whenever"))]);
    let rejected = call(
        "PrepareProviderConfig (bad interval)",
        client.prepare_provider_config(tfplugin5::prepare_provider_config::Request {
            config: Some(tfplugin5::DynamicValue {
                msgpack: msgpack::encode(&bad, &provider_ty).expect("msgpack"),
                json: vec![],
            }),
        }),
    )
    .await;
    assert!(
        !errors_v5(&rejected.diagnostics).is_empty(),
        "request_interval = \"whenever\" must be rejected: {:?}",
        rejected.diagnostics
    );

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = call(
        "Health/Check",
        health.check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        }),
    )
    .await;
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

/// Connects with `client` and tries one GetMetadata; Ok only if the call was answered.
async fn try_call_with(launched: &Launched, client: Option<&ClientCert>) -> Result<(), String> {
    let server_cert = launched.handshake.server_cert.as_ref().unwrap();
    let attempt = async {
        let (channel, _) = tls_channel(launched.handshake.addr, server_cert, client)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        v6(&channel)
            .get_metadata(tfplugin6::get_metadata::Request {})
            .await
            .map(|_| ())
            .map_err(|s| format!("call: {:?} {}", s.code(), s.message()))
    };
    match tokio::time::timeout(Duration::from_secs(30), attempt).await {
        Ok(result) => result,
        Err(_) => Err("no answer within 30 s".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_rejects_clients_without_the_pinned_certificate() {
    let launched = Plugin::launch("5,6", true);

    let no_cert = try_call_with(&launched, None).await;
    eprintln!("client without a certificate: {no_cert:?}");
    assert!(
        no_cert.is_err(),
        "a client without a certificate must not be served"
    );

    // Same shape as Terraform's, but not the one the provider was given.
    let stranger = ClientCert::terraform_like();
    let other_cert = try_call_with(&launched, Some(&stranger)).await;
    eprintln!("client with another P-521 certificate: {other_cert:?}");
    assert!(
        other_cert.is_err(),
        "a client with a different certificate must not be served"
    );

    // Failed handshakes must not take the server down.
    let good = try_call_with(&launched, launched.client.as_ref()).await;
    assert!(
        good.is_ok(),
        "the right client must still be served after rejected ones: {good:?}; stderr:\n{}",
        launched.plugin.stderr()
    );
}

// ---------------------------------------------------------------------------------------------
// 5–6: lifecycle
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_shutdown_ends_the_process() {
    let mut launched = Plugin::launch("5,6", true);
    let channel = launched.channel().await;
    // Terraform talks to the provider before it shuts it down.
    call(
        "GetMetadata",
        v6(&channel).get_metadata(tfplugin6::get_metadata::Request {}),
    )
    .await;

    let mut controller = plugin::grpc_controller_client::GrpcControllerClient::new(channel.clone());
    let asked = Instant::now();
    // The process may exit before the answer is fully read; either outcome is fine.
    let answer = tokio::time::timeout(RPC_TIMEOUT, controller.shutdown(plugin::Empty {})).await;
    eprintln!(
        "Shutdown answered: {:?}",
        answer
            .as_ref()
            .map(|r| r.as_ref().map(|_| ()).map_err(|s| s.code()))
    );
    let status = launched.plugin.wait_exit(Duration::from_secs(5));
    let took = asked.elapsed();
    eprintln!("process exited {took:?} after Shutdown (Terraform kills it after 2 s)");
    let status = status.unwrap_or_else(|| panic!("still running {took:?} after Shutdown"));
    assert!(status.success(), "exit status after Shutdown: {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_is_ignored_and_stop_provider_answers() {
    let mut launched = Plugin::launch("5,6", true);
    let channel = launched.channel().await;
    let mut client = v6(&channel);
    call(
        "GetMetadata (before SIGINT)",
        client.get_metadata(tfplugin6::get_metadata::Request {}),
    )
    .await;

    let pid = launched.plugin.pid().to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success(), "kill -INT {pid} failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        launched.plugin.is_running(),
        "SIGINT killed the provider; stderr:\n{}",
        launched.plugin.stderr()
    );

    // A second Ctrl-C is ignored as well.
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        launched.plugin.is_running(),
        "a second SIGINT killed the provider"
    );

    call(
        "GetMetadata (after SIGINT)",
        client.get_metadata(tfplugin6::get_metadata::Request {}),
    )
    .await;
    // A fresh connection is still accepted too.
    let fresh = launched.channel().await;
    call(
        "GetMetadata (new connection)",
        v6(&fresh).get_metadata(tfplugin6::get_metadata::Request {}),
    )
    .await;

    let stopped = call(
        "StopProvider",
        client.stop_provider(tfplugin6::stop_provider::Request {}),
    )
    .await;
    assert!(
        stopped.error.is_empty(),
        "StopProvider reported {:?}",
        stopped.error
    );
    assert!(
        launched.plugin.is_running(),
        "StopProvider must not end the process (Shutdown does)"
    );
}

/// Kills a bare child process when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Ctrl-C can reach the provider at any moment, also right after it printed its handshake:
/// the interrupt handler must be in place before Terraform learns the address.
///
/// To send the signal within microseconds of the handshake, a shell reads the provider's stdout
/// itself and signals with its builtin `kill` (spawning /bin/kill takes too long to hit the
/// window).
#[test]
fn sigint_right_after_the_handshake_is_ignored() {
    const ATTEMPTS: usize = 30;
    let mut died = 0;
    for _ in 0..ATTEMPTS {
        let mut provider = Command::new(BIN);
        for key in [
            "PLUGIN_CLIENT_CERT",
            "TF_LOG",
            "TF_LOG_PROVIDER",
            "TF_REATTACH_PROVIDERS",
        ] {
            provider.env_remove(key);
        }
        let mut provider = KillOnDrop(
            provider
                .env(COOKIE_KEY, COOKIE)
                .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
                .env("PLUGIN_MIN_PORT", MIN_PORT.to_string())
                .env("PLUGIN_MAX_PORT", MAX_PORT.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn the provider binary"),
        );
        let pid = provider.0.id().to_string();
        let stdout = provider.0.stdout.take().expect("provider stdout");
        let signaller = Command::new("sh")
            .args([
                "-c",
                "IFS= read -r line; kill -INT \"$1\"; printf '%s\\n' \"$line\"",
                "sh",
                &pid,
            ])
            .stdin(Stdio::from(stdout))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn sh");
        let out = signaller.wait_with_output().expect("sh output");
        let line = String::from_utf8_lossy(&out.stdout);
        assert!(
            line.starts_with("1|"),
            "handshake line expected, got {line:?}"
        );
        let deadline = Instant::now() + Duration::from_millis(150);
        let mut exited = false;
        while Instant::now() < deadline {
            if provider.0.try_wait().expect("try_wait").is_some() {
                exited = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if exited {
            died += 1;
        }
    }
    assert_eq!(
        died, 0,
        "{died} of {ATTEMPTS} providers were killed by a SIGINT sent right after their handshake line: \
         the SIGINT handler must be registered before the handshake is printed"
    );
}

// ---------------------------------------------------------------------------------------------
// 7: debug mode
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_prints_reattach_configuration() {
    // A human starts it: no go-plugin environment at all.
    let plugin = Plugin::spawn(&["-debug"], &[]);
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    let mut seen = Vec::new();
    let reattach_line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = plugin.next_line(left).unwrap_or_else(|| {
            panic!(
                "no TF_REATTACH_PROVIDERS line; stdout {seen:?}; stderr:\n{}",
                plugin.stderr()
            )
        });
        if line.contains("TF_REATTACH_PROVIDERS") {
            break line;
        }
        seen.push(line);
    };
    // TF_REATTACH_PROVIDERS='{...}' (quotes optional): the JSON is from the first '{' to the last '}'.
    let start = reattach_line
        .find('{')
        .expect("JSON object in the reattach line");
    let end = reattach_line.rfind('}').expect("JSON object end");
    let json: serde_json::Value = serde_json::from_str(&reattach_line[start..=end])
        .unwrap_or_else(|e| panic!("reattach value is not JSON ({e}): {reattach_line}"));
    let providers = json
        .as_object()
        .expect("an object keyed by provider address");
    assert_eq!(providers.len(), 1, "{json}");
    let (address, entry) = providers.iter().next().unwrap();
    assert!(
        address.ends_with("/instaclustr"),
        "provider source address: {address}"
    );
    assert_eq!(entry["Protocol"], "grpc", "{entry}");
    assert_eq!(entry["ProtocolVersion"], 6, "{entry}");
    assert_eq!(entry["Pid"], plugin.pid(), "{entry}");
    assert_eq!(entry["Addr"]["Network"], "tcp", "{entry}");
    let addr: SocketAddr = entry["Addr"]["String"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("Addr.String must be host:port: {entry}"));

    // Terraform then connects without TLS.
    let channel = plain_channel(addr).await;
    let schema = call(
        "GetProviderSchema (debug)",
        v6(&channel).get_provider_schema(tfplugin6::get_provider_schema::Request {}),
    )
    .await;
    assert!(schema.resource_schemas.contains_key("instaclustr_cluster"));
    // Dropping `plugin` kills it.
}

// ---------------------------------------------------------------------------------------------
// 8–9: plaintext and large messages
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_when_terraform_disables_tls() {
    // TF_DISABLE_PLUGIN_TLS: Terraform sets no PLUGIN_CLIENT_CERT.
    let launched = Plugin::launch("5,6", false);
    assert_eq!(launched.handshake.version, 6);
    assert!(launched.handshake.server_cert.is_none());
    let channel = launched.channel().await;
    let schema = call(
        "GetProviderSchema (plaintext)",
        v6(&channel).get_provider_schema(tfplugin6::get_provider_schema::Request {}),
    )
    .await;
    assert!(schema.resource_schemas.contains_key("instaclustr_cluster"));
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let status = call(
        "Health/Check (plaintext)",
        health.check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        }),
    )
    .await;
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_requests_are_accepted() {
    let launched = Plugin::launch("5,6", true);
    let channel = launched.channel().await;
    let mut client = v6(&channel);
    let schema = call(
        "GetProviderSchema",
        client.get_provider_schema(tfplugin6::get_provider_schema::Request {}),
    )
    .await;
    let cluster_ty = block_type_v6(
        schema
            .resource_schemas
            .get("instaclustr_cluster")
            .and_then(|s| s.block.as_ref())
            .expect("instaclustr_cluster schema"),
    );

    // 20 MiB in an attribute without a validator: far above tonic's 4 MiB default.
    let big = "k".repeat(20 << 20);
    let config = dynamic_value_v6(&cluster_config("big_cluster", Some(big)), &cluster_ty);
    assert!(config.msgpack.len() > 20 << 20);
    let result = tokio::time::timeout(
        RPC_TIMEOUT,
        client.validate_resource_config(tfplugin6::validate_resource_config::Request {
            type_name: "instaclustr_cluster".into(),
            config: Some(config),
            client_capabilities: None,
        }),
    )
    .await
    .expect("no answer to a 20 MiB request");
    match result {
        Err(status) if status.code() == Code::ResourceExhausted => {
            panic!(
                "a 20 MiB request was refused as too large: {status:?} (the limit must be 256 MiB)"
            )
        }
        Err(status) => panic!("a 20 MiB request failed: {status:?}"),
        Ok(resp) => {
            let diags = resp.into_inner().diagnostics;
            eprintln!("20 MiB ValidateResourceConfig: {} diagnostics", diags.len());
            assert!(
                errors_v6(&diags).is_empty(),
                "the 20 MiB config is valid: {:?}",
                diags.iter().map(|d| &d.summary).collect::<Vec<_>>()
            );
        }
    }
    // And the connection is still good afterwards.
    call(
        "GetMetadata (after 20 MiB)",
        client.get_metadata(tfplugin6::get_metadata::Request {}),
    )
    .await;
}
