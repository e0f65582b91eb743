//! HTTPS for the simulator: a fresh self-signed certificate per process, and a TLS listener that
//! axum can serve the same router on.
//!
//! Redis Enterprise nodes answer on HTTPS with self-signed certificates, so the provider's TLS
//! settings (verification on by default, `ca_cert_pem`, `insecure`) need a real HTTPS endpoint
//! to be tested against. Handshakes run in their own tasks, so one slow or failing client (for
//! instance one that rejects the certificate, as it should by default) never holds up the
//! others; the listener hands axum only connections whose handshake succeeded.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A handshake that has not finished by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for axum to take them.
const BACKLOG: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate the self-signed certificate: {0}")]
    Certificate(String),
    #[error("cannot set up TLS: {0}")]
    Config(String),
}

/// A self-signed certificate (it is its own CA) and the server configuration using it.
pub struct SelfSigned {
    /// The certificate in PEM: what clients put in their trust store (`ca_cert_pem`).
    pub cert_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl SelfSigned {
    /// A certificate valid for `localhost`, `127.0.0.1`, `::1` and the extra `ips` (say the
    /// address the listener is bound to).
    pub fn generate(ips: &[IpAddr]) -> Result<SelfSigned, TlsError> {
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        for ip in ips {
            let text = ip.to_string();
            if !ip.is_unspecified() && !names.contains(&text) {
                names.push(text);
            }
        }
        let generated = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let cert_pem = generated.cert.pem();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            generated.signing_key.serialize_der(),
        ));
        let chain: Vec<CertificateDer<'static>> = vec![generated.cert.der().clone()];
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(SelfSigned {
            cert_pem,
            config: Arc::new(config),
        })
    }
}

/// A TCP listener whose connections come out TLS-terminated: hand it to `axum::serve`.
pub struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accept_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `tcp` (must be called inside a Tokio runtime).
    pub fn new(tcp: TcpListener, cert: &SelfSigned) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::clone(&cert.config));
        let (tx, incoming) = mpsc::channel(BACKLOG);
        let accept_task = tokio::spawn(accept_loop(tcp, acceptor, tx));
        Ok(TlsListener {
            incoming,
            local,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let accepted = tokio::select! {
            _ = tx.closed() => return,
            accepted = tcp.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: pause instead of spinning.
                tracing::warn!(error = %e, "TLS listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                // Expected whenever a client refuses the self-signed certificate.
                Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(pair) => pair,
            // The accept loop only ends when this receiver is gone, so this is unreachable in
            // practice; waiting forever keeps `accept` total without a panic.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_a_router_over_https_with_the_generated_certificate() {
        let cert = SelfSigned::generate(&[]).expect("certificate");
        assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let listener = TlsListener::new(tcp, &cert).expect("listener");
        let addr = listener.local.to_string();
        let app = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let trusted = reqwest::Client::builder()
            .tls_certs_only(
                [reqwest::Certificate::from_pem(cert.cert_pem.as_bytes()).expect("pem")],
            )
            .build()
            .expect("client");
        let body = trusted
            .get(format!("https://{addr}/ping"))
            .send()
            .await
            .expect("trusted request")
            .text()
            .await
            .expect("body");
        assert_eq!(body, "pong");

        // A client that does not trust the certificate fails, and the server keeps serving.
        let other = SelfSigned::generate(&[]).expect("another certificate");
        let strict = reqwest::Client::builder()
            .tls_certs_only([
                reqwest::Certificate::from_pem(other.cert_pem.as_bytes()).expect("pem")
            ])
            .build()
            .expect("client");
        assert!(strict
            .get(format!("https://{addr}/ping"))
            .send()
            .await
            .is_err());
        let again = trusted.get(format!(
            "https://localhost:{}/ping",
            &addr[addr.rfind(':').map_or(0, |i| i + 1)..]
        ));
        assert_eq!(again.send().await.expect("second request").status(), 200);
        server.abort();
    }
}
