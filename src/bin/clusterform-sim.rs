//! `clusterform-sim`: serves the simulated vendor APIs (see `clusterform::sim`).
//!
//! After binding it prints one line to stdout, `clusterform-sim listening on http://ADDR:PORT`,
//! which tests read to learn the port. With `--tls-listen` a second line follows,
//! `clusterform-sim listening on https://ADDR:PORT`: the same APIs over HTTPS with a fresh
//! self-signed certificate (written to `--tls-cert-out`). With `--print-provider-config` the
//! provider configuration for this simulator follows (`clusterform::sim::provider_config`).
//! Everything else goes to stderr.

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

/// The `--help` text. Every flag `parse_args` accepts is listed (a unit test checks it).
fn usage() -> String {
    let (local_key, local_secret) = sim::cloudbasic::DEMO_LOCAL;
    let (remote_key, remote_secret) = sim::cloudbasic::DEMO_REMOTE;
    format!(
        "\
clusterform-sim: one local process that simulates the four vendor APIs behind clusterform's
providers (Instaclustr, Huawei Cloud CSS with its IAM, CloudBasic Multi-AZ HA, Redis Enterprise
Software nodes), for trying configurations and modules offline, the demo and the tests.

USAGE:
    clusterform-sim [OPTIONS]

OPTIONS:
    --listen ADDR                address to listen on (default 127.0.0.1:8080; port 0 = any free
                                 port, read it from the `listening on` line)
    --pace DURATION              duration of one lifecycle step of every API (create, resize,
                                 delete, bootstrap, ...), e.g. 300ms, 2s (default 300ms)
    --rate-limit DURATION        minimum spacing of Instaclustr requests per client IP; faster
                                 ones get 429 with Retry-After; 0s = off (default 0s)
    --instaclustr-user USER      Instaclustr Basic-auth user (default demo)
    --instaclustr-key KEY        Instaclustr Basic-auth API key (default demo-key)
    --tls-listen ADDR            also serve every API over HTTPS on ADDR (port 0 = any free port),
                                 with a fresh self-signed certificate for localhost, 127.0.0.1
                                 and ::1
    --tls-cert-out FILE          write that certificate (PEM, its own CA) to FILE (needs
                                 --tls-listen); trust it with ca_cert_pem = file(\"FILE\")
    --print-provider-config      once listening, print provider blocks for the four providers
                                 and the same settings as `export` lines, pointing at this
                                 simulator and its demo accounts, then keep serving
    --print-provider-config-only print them for the --listen (and --tls-listen) address without
                                 listening, and exit; needs fixed ports (not 0)
    -h, --help                   print this help
    -V, --version                print the version

OUTPUT:
    stdout: `clusterform-sim listening on http://ADDR:PORT` once bound, then with --tls-listen
    `clusterform-sim listening on https://ADDR:PORT`, then (--print-provider-config) the provider
    configuration, between `# ---- clusterform-sim: ... ----` comment lines. Logs (one line per
    request: vendor, method, path, status; never headers or bodies) go to stderr. Ctrl-C or
    SIGTERM stops it. All state is in memory and lost when it stops.

APIS (base URL http://ADDR:PORT/<prefix>; the same under https:// with --tls-listen):
    /instaclustr    Instaclustr provisioning API v1: clusters created, read, listed, resized and
                    deleted under /provisioning/v1; a cluster goes GENESIS, PROVISIONING,
                    PROVISIONED, RUNNING, one step per --pace. HTTP Basic auth: user demo, key
                    demo-key (--instaclustr-user, --instaclustr-key). Rate limited (--rate-limit).
    /iam            Huawei Cloud IAM tokens: POST /v3/auth/tokens, password method. Account:
                    domain {domain}, user {user}, password {password}, project id
                    {project} (project name {region}).
    /css            Huawei Cloud Search Service API v1.0 under /v1.0/{project}: clusters created,
                    extended, tagged, deleted; snapshot policy, password reset. Needs an
                    X-Auth-Token issued by /iam.
    /cloudbasic     CloudBasic Multi-AZ HA API: POST /api/ActivateInstance, CreateCluster,
                    AlterCluster, DeleteCluster, JSON or XML bodies, SigV4-signed (service
                    cloudbasic). One URL stands for a fleet of instances: ActivateInstance
                    activates any instanceId and returns its key pair. Two demo instances are
                    active from the start, key pairs (public / private):
                    local  {local_key} / {local_secret}
                    remote {remote_key} / {remote_secret}
    /redis/<node>   Redis Enterprise Software node REST API, one node per <node> name (letters,
                    digits, '.', '_', '-'; a new name is a fresh node): /v1/bootstrap
                    (create_cluster, join_cluster, validate), /v1/cluster, /v1/nodes and node
                    removal. No auth until the node is in a cluster, then Basic auth with the
                    cluster's admin credentials.
    /_admin         test admin API, no auth, not logged: /_admin/requests (GET the request log,
                    DELETE clears it), /_admin/faults (POST queues a fault: status, drop, garble,
                    patch, remove, delay_ms; GET, DELETE), /_admin/config (GET, POST pace_ms,
                    rate_limit_ms), and per-API back doors under /_admin/<prefix>/: instaclustr
                    clusters, next_create_outcome; css clusters, next_create_failure; iam config,
                    revoke, tokens; cloudbasic clusters, calls, keys, instances, next_error; redis
                    nodes, clusters, tls.

Guide: docs/guides/offline-testing.md
",
        domain = sim::iam::DEFAULT_DOMAIN,
        user = sim::iam::DEFAULT_USER,
        password = sim::iam::DEFAULT_PASSWORD,
        project = sim::iam::DEFAULT_PROJECT,
        region = sim::provider_config::CSS_REGION,
    )
}

/// What `--print-provider-config[-only]` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PrintConfig {
    No,
    /// Print once listening, then serve.
    ThenServe,
    /// Print for the given addresses and exit without listening.
    Only,
}

struct Args {
    listen: String,
    tls_listen: Option<String>,
    tls_cert_out: Option<PathBuf>,
    print_config: PrintConfig,
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
        print_config: PrintConfig::No,
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
            "-h" | "--help" | "-help" => return Ok(Parsed::Exit(usage())),
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
            "--print-provider-config" => parsed.print_config = PrintConfig::ThenServe,
            "--print-provider-config-only" => parsed.print_config = PrintConfig::Only,
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if parsed.tls_cert_out.is_some() && parsed.tls_listen.is_none() {
        return Err("--tls-cert-out needs --tls-listen".to_owned());
    }
    if parsed.print_config == PrintConfig::Only {
        return provider_config_for_flags(&parsed).map(Parsed::Exit);
    }
    Ok(Parsed::Run(parsed))
}

/// `--print-provider-config-only`: the addresses must be known without binding them.
fn provider_config_for_flags(args: &Args) -> Result<String, String> {
    let fixed = |flag: &str, addr: &str| -> Result<SocketAddr, String> {
        match addr.parse::<SocketAddr>() {
            Ok(a) if a.port() != 0 => Ok(a),
            _ => Err(format!(
                "--print-provider-config-only needs {flag} IP:PORT with a fixed port (got {addr:?}); \
                 with port 0 use --print-provider-config, which prints once the port is known"
            )),
        }
    };
    let http = fixed("--listen", &args.listen)?;
    let cert_file = absolute_cert_path(args);
    let https = match &args.tls_listen {
        Some(addr) => Some(fixed("--tls-listen", addr)?),
        None => None,
    };
    let endpoints = sim::provider_config::Endpoints {
        http,
        https,
        cert_file: cert_file.as_deref(),
    };
    Ok(sim::provider_config::render(&endpoints, &args.config))
}

/// The certificate path as the printed `file()` and `cat` need it: absolute, since Terraform
/// and the shell run elsewhere.
fn absolute_cert_path(args: &Args) -> Option<PathBuf> {
    let path = args.tls_cert_out.as_deref()?;
    Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
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
    addr: SocketAddr,
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
        addr: local,
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
            if args.print_config == PrintConfig::ThenServe {
                let cert_file = absolute_cert_path(&args);
                let endpoints = sim::provider_config::Endpoints {
                    http: addr,
                    https: https.as_ref().map(|h| h.addr),
                    cert_file: cert_file.as_deref(),
                };
                let _ = write!(
                    out,
                    "\n{}",
                    sim::provider_config::render(&endpoints, &args.config)
                );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    /// The flags `parse_args` matches on, read from its source: a new flag cannot be added
    /// without showing up here.
    fn flags_in_parser() -> Vec<String> {
        let source = include_str!("clusterform-sim.rs");
        let start = source
            .find("fn parse_args(")
            .expect("parse_args in the source");
        let body = &source[start..];
        let body = &body[..body.find("\n}\n").expect("end of parse_args")];
        let mut flags = Vec::new();
        for piece in body.split('"').skip(1).step_by(2) {
            let name = piece.trim_start_matches('-');
            if piece.starts_with('-')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && name.chars().any(|c| c.is_ascii_alphabetic())
            {
                flags.push(piece.to_owned());
            }
        }
        flags.sort();
        flags.dedup();
        flags
    }

    /// Flags as the help lists them: an option's first line starts with them at column 5
    /// (continuation lines are indented further).
    fn flags_in_help() -> Vec<String> {
        let help = usage();
        let options = &help[help.find("OPTIONS:").unwrap()..help.find("OUTPUT:").unwrap()];
        let mut flags = Vec::new();
        for line in options.lines().filter(|l| l.starts_with("    -")) {
            for word in line.split_whitespace() {
                let word = word.trim_end_matches(',');
                if word.starts_with('-') {
                    flags.push(word.to_owned());
                } else {
                    break;
                }
            }
        }
        flags
    }

    #[test]
    fn every_flag_the_parser_accepts_is_in_the_help() {
        let help = flags_in_help();
        let parser = flags_in_parser();
        assert!(parser.len() >= 12, "{parser:?}");
        // `-help`/`-version` are Go-style spellings of -h/-V, accepted but not advertised.
        for flag in parser.iter().filter(|f| *f != "-help" && *f != "-version") {
            assert!(help.contains(flag), "{flag} is accepted but not in --help");
        }
    }

    #[test]
    fn every_flag_in_the_help_is_accepted() {
        for flag in flags_in_help() {
            let mut args = vec![flag.as_str()];
            // A value for the flags that take one, and what some of them need.
            match flag.as_str() {
                "--pace" | "--rate-limit" => args.push("1s"),
                "--listen" | "--tls-listen" => args.push("127.0.0.1:0"),
                "--instaclustr-user" | "--instaclustr-key" => args.push("x"),
                "--tls-cert-out" => args.extend(["/tmp/x.pem", "--tls-listen", "127.0.0.1:0"]),
                "--print-provider-config-only" => args.extend(["--listen", "127.0.0.1:8080"]),
                _ => {}
            }
            assert!(
                parse(&args).is_ok(),
                "{args:?} refused: {:?}",
                parse(&args).err()
            );
        }
    }

    #[test]
    fn the_help_names_every_api_the_simulator_serves() {
        let help = usage();
        for module in sim::MODULES {
            assert!(
                help.contains(&format!("\n    /{}", module.vendor.name)),
                "{}",
                module.vendor.name
            );
        }
        assert!(help.contains("/_admin"));
        assert!(help.contains(sim::cloudbasic::DEMO_LOCAL.1));
    }

    #[test]
    fn print_only_needs_fixed_ports_and_prints_for_them() {
        let Ok(Parsed::Exit(text)) =
            parse(&["--listen", "127.0.0.1:8080", "--print-provider-config-only"])
        else {
            panic!("not printed");
        };
        assert!(
            text.contains("api_hostname") && text.contains("http://127.0.0.1:8080/instaclustr")
        );
        assert!(!text.contains("listening on"));
        assert!(
            parse(&["--print-provider-config-only"]).is_ok(),
            "the default 8080 is fixed"
        );
        let err = parse(&["--listen", "127.0.0.1:0", "--print-provider-config-only"])
            .err()
            .unwrap();
        assert!(err.contains("fixed port"), "{err}");
        let err = parse(&[
            "--print-provider-config-only",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .err()
        .unwrap();
        assert!(err.contains("--tls-listen"), "{err}");
    }

    #[test]
    fn print_then_serve_is_a_run() {
        let Ok(Parsed::Run(args)) = parse(&["--print-provider-config", "--rate-limit=2s"]) else {
            panic!("not a run");
        };
        assert_eq!(args.print_config, PrintConfig::ThenServe);
    }
}
