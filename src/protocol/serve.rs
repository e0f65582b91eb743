//! The provider process from start to exit: handshake, listener (TLS or plaintext), the gRPC
//! services, signal handling and the panic hook.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;
use tonic::transport::Server as GrpcServer;

use super::goplugin::{Broker, Controller, Stdio};
use super::handshake::{self, Negotiated};
use super::pb;
use super::tls::ServerTls;
use super::v5::ProviderV5;
use super::v6::ProviderV6;
use crate::framework::resource::Provider;
use crate::framework::server::Server;
use crate::http::secrets;

/// Large states exceed tonic's 4 MiB default.
const MAX_MESSAGE: usize = 256 << 20;
const TLS_HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// First pause after a failed `accept`, doubled per further failure up to the cap.
const ACCEPT_PAUSE_FIRST: Duration = Duration::from_millis(10);
const ACCEPT_PAUSE_CAP: Duration = Duration::from_secs(1);

/// How a provider binary was asked to run.
enum Mode {
    Plugin,
    Debug,
    Version,
}

fn mode_from_args() -> Mode {
    let mut mode = Mode::Plugin;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "-debug" | "--debug" => mode = Mode::Debug,
            "-version" | "--version" => return Mode::Version,
            _ => {}
        }
    }
    mode
}

/// Entry point of every provider binary: `std::process::exit(serve_provider("terraform-provider-x", MyProvider::new))`.
/// Returns the process exit code.
pub fn serve_provider<P: Provider>(binary: &'static str, provider: impl FnOnce() -> P) -> i32 {
    install_panic_hook();
    let debug = match mode_from_args() {
        Mode::Version => {
            // Printed only when asked: Terraform never passes this flag.
            println!("{binary} {}", env!("CARGO_PKG_VERSION"));
            return 0;
        }
        Mode::Debug => true,
        Mode::Plugin => false,
    };
    super::logging::init(binary);
    let negotiated = if debug {
        Negotiated {
            version: 6,
            min_port: 0,
            max_port: 0,
            client_cert_pem: None,
        }
    } else {
        match handshake::negotiate(|k| std::env::var(k).ok()) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("{binary}: {}", secrets::scrub(&e.to_string()));
                return 1;
            }
        }
    };
    // One thread: Terraform sends a provider a handful of concurrent calls, each mostly waiting on
    // the network, and a second worker thread only added wake-ups and memory (BENCHMARKS.md).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{binary}: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let server = Server::new(provider());
    match runtime.block_on(serve(binary, server, negotiated, debug)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{binary}: {}", secrets::scrub(&e.to_string()));
            1
        }
    }
}

async fn serve(
    binary: &'static str,
    server: Arc<Server>,
    n: Negotiated,
    debug: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    ignore_interrupts(debug);
    let listener = if debug {
        std::net::TcpListener::bind(("127.0.0.1", 0))?
    } else {
        handshake::bind_in_range(n.min_port, n.max_port)?
    };
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let addr = listener.local_addr()?;

    let tls = match &n.client_cert_pem {
        Some(pem) => Some(ServerTls::new(pem)?),
        None => None,
    };

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let routes = super::grpc_routes::RoutesBuilder::default()
        .add(health)
        .add(pb::plugin::grpc_controller_server::GrpcControllerServer::new(Controller))
        .add(pb::plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add(pb::plugin::grpc_broker_server::GrpcBrokerServer::new(
            Broker,
        ))
        .add(
            pb::tfplugin5::provider_server::ProviderServer::new(ProviderV5 {
                server: server.clone(),
            })
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE),
        )
        .add(
            pb::tfplugin6::provider_server::ProviderServer::new(ProviderV6 {
                server: server.clone(),
            })
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE),
        )
        .build();

    if debug {
        let reattach = serde_json::json!({
            format!("registry.terraform.io/clusterform/{}", server.provider_name()): {
                "Protocol": "grpc",
                "ProtocolVersion": 6,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": {"Network": "tcp", "String": addr.to_string()},
            }
        });
        // Asked for with -debug: this is the one case where stdout carries more than the handshake.
        println!(
            "Provider {binary} started in debug mode. Set this in the shell that runs Terraform:\n"
        );
        println!("\tTF_REATTACH_PROVIDERS='{reattach}'\n");
    } else {
        handshake::announce(&handshake::handshake_line(
            n.version,
            addr,
            tls.as_ref().map(|t| t.cert_der.as_slice()),
        ))?;
    }
    tracing::info!(version = n.version, address = %addr, tls = tls.is_some(), "provider serving");

    let shutdown = async move {
        if debug {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    match tls {
        None => {
            GrpcServer::builder()
                .serve_with_incoming_shutdown(routes, tcp_incoming(listener), shutdown)
                .await?
        }
        Some(tls) => {
            GrpcServer::builder()
                .serve_with_incoming_shutdown(routes, tls_incoming(listener, tls), shutdown)
                .await?
        }
    }
    Ok(())
}

/// Terraform's Ctrl-C reaches the whole process group; the provider must keep running and let
/// StopProvider end its work, as Go providers do. The handler is registered before the
/// handshake line goes out, so there is no window in which Ctrl-C still kills the process.
fn ignore_interrupts(debug: bool) {
    if debug {
        return;
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::interrupt()) {
            Ok(mut sigint) => {
                tokio::spawn(async move {
                    while sigint.recv().await.is_some() {
                        tracing::debug!("interrupt received: waiting for Terraform's StopProvider");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "cannot ignore SIGINT"),
        }
    }
}

/// Accepts TCP connections for the plaintext (debug, no AutoMTLS) server. tonic's own loop
/// retries a failed accept at once, which spins on EMFILE; this one pauses like the TLS loop.
fn tcp_incoming(listener: tokio::net::TcpListener) -> ReceiverStream<io::Result<TcpStream>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        let mut pause = AcceptPause::default();
        loop {
            let (tcp, _) = accept(&listener, &mut pause).await;
            if tx.send(Ok(tcp)).await.is_err() {
                // The server has stopped listening.
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Accepts TCP connections and completes each TLS handshake on its own task, so one bad client
/// cannot stall or stop the server.
fn tls_incoming(
    listener: tokio::net::TcpListener,
    tls: ServerTls,
) -> ReceiverStream<io::Result<TlsConn>> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config);
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        let mut pause = AcceptPause::default();
        loop {
            let (tcp, peer) = accept(&listener, &mut pause).await;
            if tx.is_closed() {
                return;
            }
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                // A local client that connects and never speaks must not hold a task forever.
                match tokio::time::timeout(TLS_HANDSHAKE_LIMIT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(TlsConn(stream))).await;
                    }
                    Ok(Err(e)) => tracing::warn!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// The next connection, waiting out failures of `accept` itself.
async fn accept(
    listener: &tokio::net::TcpListener,
    pause: &mut AcceptPause,
) -> (TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(connection) => {
                if let Some(failures) = pause.succeeded() {
                    tracing::info!(failures, "accepting connections again");
                }
                return connection;
            }
            Err(e) => {
                let next = pause.failed(&e);
                if next.log {
                    tracing::warn!(
                        error = %e,
                        pause_ms = u64::try_from(next.wait.as_millis()).unwrap_or(u64::MAX),
                        "accept failed; pausing before the next attempt (logged once until it works again)"
                    );
                } else if next.wait.is_zero() {
                    tracing::debug!(error = %e, "connection dropped before it was accepted");
                }
                if !next.wait.is_zero() {
                    tokio::time::sleep(next.wait).await;
                }
            }
        }
    }
}

/// What to do after a failed `accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AcceptRetry {
    wait: Duration,
    /// Only the first failure of a burst is worth a log line.
    log: bool,
}

/// Pacing of `accept` retries. Errors like EMFILE or ENOBUFS do not clear by retrying at once:
/// the listener stays readable, so a hot loop burns a core and floods the log while the process
/// waits for descriptors to be freed. A failure that concerns one connection only (the client
/// reset it before it was accepted) is retried at once and does not start a burst.
#[derive(Debug, Default)]
struct AcceptPause {
    /// Failures since the last accepted connection.
    failures: u64,
    last_wait: Option<Duration>,
}

impl AcceptPause {
    fn failed(&mut self, err: &io::Error) -> AcceptRetry {
        if matches!(
            err.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted
                | io::ErrorKind::WouldBlock
        ) {
            return AcceptRetry {
                wait: Duration::ZERO,
                log: false,
            };
        }
        self.failures += 1;
        let wait = match self.last_wait {
            None => ACCEPT_PAUSE_FIRST,
            Some(last) => (last * 2).min(ACCEPT_PAUSE_CAP),
        };
        self.last_wait = Some(wait);
        AcceptRetry {
            wait,
            log: self.failures == 1,
        }
    }

    /// Ends a burst; the number of failures it had, if there was one.
    fn succeeded(&mut self) -> Option<u64> {
        let failures = std::mem::take(&mut self.failures);
        self.last_wait = None;
        (failures > 0).then_some(failures)
    }
}

/// A server-side TLS connection that tonic can serve.
pub struct TlsConn(TlsStream<TcpStream>);

impl Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Terraform recognises a crashed plugin by a line starting with `panic: ` on stderr; Rust's
/// default message would go unnoticed. The process then aborts, as a Go plugin would die.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        // A panic message can quote a value: scrub it, without waiting on the register's lock,
        // which this very thread might hold.
        let message = secrets::try_scrub(&message)
            .map(|m| m.into_owned())
            .unwrap_or_else(|| "(message withheld: secret register busy)".to_string());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let backtrace = std::backtrace::Backtrace::force_capture();
        eprintln!("panic: {message}\n\ngoroutine 1 [running]:\n{location}\n{backtrace}");
        std::process::abort();
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        io::Error::other("Too many open files (os error 24)")
    }

    #[test]
    fn accept_failures_back_off_and_log_once_per_burst() {
        let mut pause = AcceptPause::default();
        let waits: Vec<AcceptRetry> = (0..10).map(|_| pause.failed(&emfile())).collect();
        let ms: Vec<u128> = waits.iter().map(|r| r.wait.as_millis()).collect();
        assert_eq!(ms, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        assert!(waits[0].log);
        assert!(waits[1..].iter().all(|r| !r.log));

        assert_eq!(pause.succeeded(), Some(10));
        assert_eq!(pause.succeeded(), None);
        // A new burst starts small again and is logged again.
        let again = pause.failed(&emfile());
        assert_eq!(
            again,
            AcceptRetry {
                wait: ACCEPT_PAUSE_FIRST,
                log: true
            }
        );
    }

    #[test]
    fn a_connection_reset_before_accept_is_retried_at_once() {
        let mut pause = AcceptPause::default();
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(
            pause.failed(&reset),
            AcceptRetry {
                wait: Duration::ZERO,
                log: false
            }
        );
        assert_eq!(pause.succeeded(), None);
    }
}
