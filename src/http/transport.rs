//! The reqwest clients of one provider process, built when first needed.
//!
//! Verifying HTTPS needs every CA root of the system, and loading them costs about 5 ms of CPU and
//! their memory. A plan that sends nothing, and an `http://` endpoint (the simulator, an appliance
//! on a private network), never need them, so plain HTTP goes through a client that trusts no
//! root at all (cheap, built at configure time), and the verifying client is built at the first
//! `https://` request.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::{Certificate, Client, Request, Response};

use super::error::describe;
use super::HttpError;

/// What both clients are built from.
pub(super) struct TransportSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub insecure: bool,
    /// The parsed `ca_cert_pem`, trusted on top of the system roots.
    pub extra_roots: Vec<Certificate>,
}

/// Shared by every clone of an `HttpClient` and the clients derived from it: one connection pool
/// per scheme and process.
pub(super) struct Transport {
    settings: TransportSettings,
    plain: Client,
    verifying: OnceLock<Result<Client, String>>,
}

impl Transport {
    pub fn new(settings: TransportSettings) -> Result<Arc<Self>, HttpError> {
        let plain =
            build(&settings, Roots::None).map_err(|err| HttpError::Config(describe(err)))?;
        Ok(Arc::new(Transport {
            settings,
            plain,
            verifying: OnceLock::new(),
        }))
    }

    /// The client request builders start from: a builder only assembles the request, and
    /// [`Self::execute`] picks the client that sends it.
    pub fn plain(&self) -> &Client {
        &self.plain
    }

    /// Sends `request` on the client its scheme needs.
    pub async fn execute(
        &self,
        request: Request,
    ) -> Result<Result<Response, reqwest::Error>, HttpError> {
        let client = if request.url().scheme() == "https" {
            self.verifying()?
        } else {
            &self.plain
        };
        Ok(client.execute(request).await)
    }

    fn verifying(&self) -> Result<&Client, HttpError> {
        self.verifying
            .get_or_init(|| build_verifying(&self.settings))
            .as_ref()
            .map_err(|cause| HttpError::Config(cause.clone()))
    }
}

enum Roots {
    /// Plain HTTP: nothing to verify, so nothing is loaded (an `https://` URL sent here fails).
    None,
    System,
    /// Only `ca_cert_pem`: for machines without a CA store.
    OnlyExtra,
}

fn build_verifying(settings: &TransportSettings) -> Result<Client, String> {
    match build(settings, Roots::System) {
        Ok(client) => Ok(client),
        // The system verifier refuses to start when the machine has no CA store at all
        // (minimal containers); endpoints under a private CA given in ca_cert_pem must still
        // work there, and public HTTPS then fails per request with a certificate error.
        Err(first) if !settings.insecure => {
            let first = describe(first);
            match build(settings, Roots::OnlyExtra) {
                Ok(client) => {
                    tracing::warn!(
                        cause = %first,
                        "system CA certificates unavailable; trusting only ca_cert_pem"
                    );
                    Ok(client)
                }
                Err(_) => Err(first),
            }
        }
        Err(err) => Err(describe(err)),
    }
}

fn build(settings: &TransportSettings, roots: Roots) -> Result<Client, reqwest::Error> {
    let mut builder = Client::builder()
        .user_agent(settings.user_agent.clone())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(30)))
        // APIs answer where they are asked; following a redirect would turn a POST into a GET
        // or carry credentials somewhere else. A 3xx reaches the vendor client as a status.
        .redirect(reqwest::redirect::Policy::none())
        // reqwest's default too, stated because spacing measures from the answer: a small
        // request body must not sit in Nagle's buffer waiting for an ACK.
        .tcp_nodelay(true);
    builder = match roots {
        Roots::None => builder.tls_certs_only(Vec::new()),
        Roots::System if settings.insecure => builder.tls_danger_accept_invalid_certs(true),
        Roots::System if settings.extra_roots.is_empty() => builder,
        Roots::System => builder.tls_certs_merge(settings.extra_roots.iter().cloned()),
        Roots::OnlyExtra => builder.tls_certs_only(settings.extra_roots.iter().cloned()),
    };
    builder.build()
}
