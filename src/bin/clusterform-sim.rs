//! `clusterform-sim`: serves the simulated vendor APIs (see `clusterform::sim`).
//!
//! After binding it prints one line to stdout, `clusterform-sim listening on http://ADDR:PORT`,
//! which tests read to learn the port. With `--tls-listen` a second line follows,
//! `clusterform-sim listening on https://ADDR:PORT`: the same APIs over HTTPS with a fresh
//! self-signed certificate (written to `--tls-cert-out`). Everything else goes to stderr.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clusterform::sim::{self, SimConfig};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

const USAGE: &str = "\
clusterform-sim: simulator of the Instaclustr provisioning API for clusterform's demo and tests

USAGE:
    clusterform-sim [OPTIONS]

OPTIONS:
    --listen ADDR              address to listen on (default 127.0.0.1:8080; port 0 = any free port)
    --pace DURATION            duration of one lifecycle step, e.g. 300ms, 2s (default 300ms)
    --rate-limit DURATION      minimum spacing of requests per client IP, 0s = off (default 0s)
    --instaclustr-user USER    Instaclustr Basic-auth user (default demo)
    --instaclustr-key KEY      Instaclustr Basic-auth API key (default demo-key)
    --tls-listen ADDR          also serve every API over HTTPS on ADDR (port 0 = any free port), with
                               a self-signed certificate for localhost, 127.0.0.1 and ::1
    --tls-cert-out FILE        write that certificate (PEM, its own CA) to FILE
    -h, --help                 print this help
    -V, --version              print the version

APIs are served under http://ADDR/<vendor>/... (instaclustr, css, iam, cloudbasic, redis); the
test admin API under http://ADDR/_admin/...
";

struct Args {
    listen: String,
    tls_listen: Option<String>,
    tls_cert_out: Option<PathBuf>,
    config: SimConfig,
}

enum Parsed {
    Run(Args),
    Exit(String),
}

fn parse_duration(flag: &str, value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value).map_err(|e| format!("{flag}: invalid duration {value:?}: {e}"))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut parsed = Args {
        listen: "127.0.0.1:8080".to_owned(),
        tls_listen: None,
        tls_cert_out: None,
        config: SimConfig::default(),
    };
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value` are accepted.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| format!("{flag} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" | "-help" => return Ok(Parsed::Exit(USAGE.to_owned())),
            "-V" | "--version" | "-version" => {
                return Ok(Parsed::Exit(format!(
                    "clusterform-sim {}\n",
                    env!("CARGO_PKG_VERSION")
                )))
            }
            "--listen" => parsed.listen = value("--listen")?,
            "--pace" => parsed.config.pace = parse_duration("--pace", &value("--pace")?)?,
            "--rate-limit" => {
                parsed.config.rate_limit = parse_duration("--rate-limit", &value("--rate-limit")?)?
            }
            "--instaclustr-user" => parsed.config.instaclustr_user = value("--instaclustr-user")?,
            "--instaclustr-key" => parsed.config.instaclustr_key = value("--instaclustr-key")?,
            "--tls-listen" => parsed.tls_listen = Some(value("--tls-listen")?),
            "--tls-cert-out" => parsed.tls_cert_out = Some(PathBuf::from(value("--tls-cert-out")?)),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if parsed.tls_cert_out.is_some() && parsed.tls_listen.is_none() {
        return Err("--tls-cert-out needs --tls-listen".to_owned());
    }
    Ok(Parsed::Run(parsed))
}

/// A minimal stderr log layer (the crate has only tracing-subscriber's registry): one line per
/// event, `TIME LEVEL target: message key=value ...`, INFO and above.
struct StderrLayer;

struct LineVisitor(String);

impl Visit for LineVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for StderrLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > Level::INFO {
            return;
        }
        let mut line = format!(
            "{} {:5} {}:",
            humantime::format_rfc3339_millis(SystemTime::now()),
            meta.level(),
            meta.target()
        );
        let mut visitor = LineVisitor(String::new());
        event.record(&mut visitor);
        line.push_str(&visitor.0);
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The HTTPS side when `--tls-listen` is given.
struct Https {
    listener: tokio::net::TcpListener,
    cert: sim::tls::SelfSigned,
    /// `https://ADDR:PORT`
    url: String,
}

/// Binds the HTTPS address, makes a certificate for it and writes the PEM to `cert_out`, all
/// before anything is printed, so a harness that sees the listening lines can use the file.
async fn bind_https(addr: &str, cert_out: Option<&std::path::Path>) -> Result<Https, String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (--tls-listen): {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound HTTPS address: {e}"))?;
    let cert = sim::tls::SelfSigned::generate(&[local.ip()]).map_err(|e| e.to_string())?;
    if let Some(path) = cert_out {
        std::fs::write(path, &cert.cert_pem)
            .map_err(|e| format!("cannot write the certificate to {}: {e}", path.display()))?;
    }
    Ok(Https {
        listener,
        cert,
        url: format!("https://{local}"),
    })
}

/// Serves one simulator state on both listeners: what a client changes over HTTP is what it
/// reads over HTTPS.
async fn serve_both(
    http: tokio::net::TcpListener,
    https: Https,
    config: SimConfig,
) -> std::io::Result<()> {
    let shared = sim::shared(config);
    sim::redis::publish_tls(&shared, &https.url, &https.cert.cert_pem);
    let app = sim::router(shared);
    let tls_listener = sim::tls::TlsListener::new(https.listener, &https.cert)?;
    let plain_app = app
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    let plain = async move { axum::serve(http, plain_app).await };
    // No connect info over TLS: the rate limiter then counts these clients as one unknown IP.
    let secure = async move { axum::serve(tls_listener, app).await };
    tokio::select! {
        res = plain => res,
        res = secure => res,
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Exit(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("clusterform-sim: {msg}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::registry().with(StderrLayer).init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clusterform-sim: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("clusterform-sim: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("clusterform-sim: cannot read the bound address: {e}");
                return ExitCode::FAILURE;
            }
        };
        let https = match &args.tls_listen {
            Some(tls_addr) => match bind_https(tls_addr, args.tls_cert_out.as_deref()).await {
                Ok(h) => Some(h),
                Err(msg) => {
                    eprintln!("clusterform-sim: {msg}");
                    return ExitCode::FAILURE;
                }
            },
            None => None,
        };
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "clusterform-sim listening on http://{addr}");
            // Always after the plain-HTTP line: harnesses take the first line as the base URL.
            if let Some(h) = &https {
                let _ = writeln!(out, "clusterform-sim listening on {}", h.url);
            }
            let _ = out.flush();
        }
        tracing::info!(
            pace = %humantime::format_duration(args.config.pace),
            rate_limit = %humantime::format_duration(args.config.rate_limit),
            https = https.as_ref().map(|h| h.url.as_str()).unwrap_or("off"),
            "simulator ready"
        );
        let serving = async {
            match https {
                None => sim::serve(listener, args.config).await,
                Some(h) => serve_both(listener, h, args.config).await,
            }
        };
        tokio::select! {
            res = serving => match res {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("clusterform-sim: server error: {e}");
                    ExitCode::FAILURE
                }
            },
            _ = shutdown_signal() => {
                tracing::info!("signal received, shutting down");
                ExitCode::SUCCESS
            }
        }
    })
}
