//! `clusterform-sim`: serves the simulated vendor APIs (see `clusterform::sim`).
//!
//! After binding it prints exactly one line to stdout,
//! `clusterform-sim listening on http://ADDR:PORT`, which tests read to learn the port; everything
//! else goes to stderr.

use std::fmt::Write as _;
use std::io::Write as _;
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
    -h, --help                 print this help
    -V, --version              print the version

APIs are served under http://ADDR/instaclustr/...; the test admin API under http://ADDR/_admin/...
";

struct Args {
    listen: String,
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
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
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
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "clusterform-sim listening on http://{addr}");
            let _ = out.flush();
        }
        tracing::info!(
            pace = %humantime::format_duration(args.config.pace),
            rate_limit = %humantime::format_duration(args.config.rate_limit),
            "simulator ready"
        );
        tokio::select! {
            res = sim::serve(listener, args.config) => match res {
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
