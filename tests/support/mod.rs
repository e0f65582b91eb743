//! Acceptance-test harness shared by `tests/*.rs` (each does `mod support;`).
//!
//! - [`Sim`]: a `clusterform-sim` child process on a random loopback port, with typed wrappers
//!   around its admin API; killed on drop.
//! - [`terraform_versions`]: the Terraform CLIs to run against (`.tools/terraform/<v>/terraform`
//!   from `scripts/install-terraform.sh`, plus `/usr/local/bin/terraform` when present).
//! - [`Workdir`]: a throw-away Terraform working directory with a filesystem mirror holding the
//!   freshly built provider binaries and a CLI config pointing at it, so `terraform init` never
//!   touches the network.
//!
//! Environment knobs:
//! - `CLUSTERFORM_TF_VERSIONS=1.0.3,0.13.5`: only run these Terraform versions.
//! - `CLUSTERFORM_REQUIRE_TERRAFORM=1`: a missing 0.13.5 or 1.0.3 is a failure, not a skip.
//! - `CLUSTERFORM_TF_LOG=TRACE`: pass `TF_LOG` to Terraform, log to `<workdir>/terraform.log`,
//!   and keep every work dir.
//! - `CLUSTERFORM_KEEP_WORKDIRS=1`: keep every work dir (they are always kept on failure).
//! - `CLUSTERFORM_TF_TIMEOUT_SECS=600`: per-command timeout for Terraform.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

pub mod fleet;
pub mod matrix;
pub mod static_https;

/// The provider version every test installs into the mirror: the crate's, as a release would.
pub const PROVIDER_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The registry namespace of the source addresses (`clusterform/<type>`).
pub const PROVIDER_NAMESPACE: &str = "clusterform";

/// Default Instaclustr credentials the simulator accepts.
pub const IC_USER: &str = "demo";
pub const IC_KEY: &str = "demo-key";

/// The two Terraform versions `scripts/install-terraform.sh` installs.
pub const INSTALLED_VERSIONS: &[&str] = &["0.13.5", "1.0.3"];
/// The system-wide Terraform used when present (1.11.4 on some machine images).
pub const SYSTEM_TERRAFORM: &str = "/usr/local/bin/terraform";

const SIM_START_TIMEOUT: Duration = Duration::from_secs(60);
const SIM_LOG_TAIL: usize = 200;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_flag(name: &str) -> bool {
    matches!(
        std::env::var(name).as_deref().map(str::trim),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Polls `cond` every 100 ms until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_until<T>(timeout: Duration, what: &str, mut cond: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = cond() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Simulator
// ---------------------------------------------------------------------------------------------

/// A running `clusterform-sim`. Dropping it kills the process; if the test is panicking, the tail
/// of the simulator's stderr is printed first.
pub struct Sim {
    child: Child,
    url: String,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Sim {
    /// Starts the simulator with `--listen 127.0.0.1:0 --pace 100ms`.
    pub fn start() -> Sim {
        Sim::start_with_args(&["--pace", "100ms"])
    }

    /// Starts the simulator on a random loopback port with extra arguments.
    pub fn start_with_args(extra: &[&str]) -> Sim {
        let bin = env!("CARGO_BIN_EXE_clusterform-sim");
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));

        let stderr = Arc::new(Mutex::new(Vec::new()));
        {
            let pipe = child.stderr.take().expect("piped stderr");
            let sink = Arc::clone(&stderr);
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut lines = sink.lock().unwrap_or_else(|p| p.into_inner());
                    if lines.len() >= 10 * SIM_LOG_TAIL {
                        lines.drain(..SIM_LOG_TAIL);
                    }
                    lines.push(line);
                }
            });
        }

        // Read stdout on a thread (so we can time out), hand over the URL, then keep draining so
        // the simulator never blocks on a full pipe.
        let (tx, rx) = mpsc::channel::<String>();
        {
            let pipe = child.stdout.take().expect("piped stdout");
            thread::spawn(move || {
                const PREFIX: &str = "clusterform-sim listening on ";
                let mut tx = Some(tx);
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.trim().strip_prefix(PREFIX) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(rest.trim().trim_end_matches('/').to_owned());
                        }
                    }
                }
            });
        }

        let deadline = Instant::now() + SIM_START_TIMEOUT;
        let url = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(url) => break url,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().ok();
                    thread::sleep(Duration::from_millis(100));
                    panic!(
                        "clusterform-sim exited ({status:?}) before printing its listening line; \
                         stderr:\n{}",
                        stderr.lock().unwrap().join("\n")
                    );
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                thread::sleep(Duration::from_millis(100));
                panic!(
                    "clusterform-sim exited ({status}) before printing its listening line; \
                     stderr:\n{}",
                    stderr.lock().unwrap().join("\n")
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "clusterform-sim printed no `listening on` line within {SIM_START_TIMEOUT:?}; \
                     stderr:\n{}",
                    stderr.lock().unwrap().join("\n")
                );
            }
        };
        assert!(
            url.starts_with("http://"),
            "unexpected simulator URL {url:?} (want http://127.0.0.1:PORT)"
        );

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let http = {
            let _guard = rt.enter();
            reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("reqwest client")
        };
        Sim {
            child,
            url,
            rt,
            http,
            stderr,
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The Instaclustr API base URL: `<sim>/instaclustr`.
    pub fn instaclustr_url(&self) -> String {
        format!("{}/instaclustr", self.url)
    }

    /// The last lines the simulator wrote to stderr.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        let lines = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        lines[lines.len().saturating_sub(n)..].to_vec()
    }

    /// `GET <path>` on the simulator (e.g. a vendor's `/_admin/<vendor>/...` back door); panics on
    /// a non-2xx answer; an empty body is `Value::Null`.
    pub fn admin_get(&self, path: &str) -> Value {
        self.admin(reqwest::Method::GET, path, None)
    }

    /// `POST <path>` with an optional JSON body; panics on a non-2xx answer.
    pub fn admin_post(&self, path: &str, body: Option<Value>) -> Value {
        self.admin(reqwest::Method::POST, path, body)
    }

    /// The base URL of a vendor API served by the simulator: `<sim>/<vendor>`.
    pub fn vendor_url(&self, vendor: &str) -> String {
        format!("{}/{vendor}", self.url)
    }

    fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.url, path);
        let what = format!("{method} {path}");
        self.rt.block_on(async {
            let mut req = self.http.request(method, &url);
            if let Some(body) = &body {
                req = req.json(body);
            }
            let resp = req
                .send()
                .await
                .unwrap_or_else(|e| panic!("simulator admin call {what} failed: {e}"));
            let status = resp.status();
            let text = resp
                .text()
                .await
                .unwrap_or_else(|e| panic!("simulator admin call {what}: reading body: {e}"));
            if !status.is_success() {
                panic!(
                    "simulator admin call {what} (body {}) answered {status}: {text}",
                    body.as_ref().map(Value::to_string).unwrap_or_default()
                );
            }
            if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or_else(|e| {
                    panic!("simulator admin call {what}: body is not JSON ({e}): {text}")
                })
            }
        })
    }

    /// `GET /_admin/requests`: `{"total": N, "requests": [{"vendor","method","path","status"}]}`.
    pub fn requests(&self) -> Value {
        self.admin(reqwest::Method::GET, "/_admin/requests", None)
    }

    /// The logged requests of one vendor (`"instaclustr"`).
    pub fn vendor_requests(&self, vendor: &str) -> Vec<Value> {
        self.requests()["requests"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|r| r["vendor"].as_str() == Some(vendor))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `DELETE /_admin/requests`.
    pub fn clear_requests(&self) {
        self.admin(reqwest::Method::DELETE, "/_admin/requests", None);
    }

    /// `POST /_admin/faults` with
    /// `{"vendor","method"?,"path_contains"?,"status","body"?,"retry_after"?,"times"?}`.
    pub fn inject_fault(&self, fault: Value) {
        self.admin(reqwest::Method::POST, "/_admin/faults", Some(fault));
    }

    /// `DELETE /_admin/faults`: drops every queued fault (and lie).
    pub fn clear_faults(&self) {
        self.admin(reqwest::Method::DELETE, "/_admin/faults", None);
    }

    /// `POST /_admin/config` with `{"pace_ms"?, "rate_limit_ms"?}`.
    pub fn set_config(&self, config: Value) {
        self.admin(reqwest::Method::POST, "/_admin/config", Some(config));
    }

    /// A call to the simulated Instaclustr API itself, with the harness credentials:
    /// `(status, JSON body or null)`.
    pub fn instaclustr_api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.instaclustr_url());
        self.rt.block_on(async {
            let mut req = self
                .http
                .request(method, &url)
                .basic_auth(IC_USER, Some(IC_KEY));
            if let Some(body) = &body {
                req = req.json(body);
            }
            let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    /// The cluster document the API answers `GET /provisioning/v1/{id}` with: what the
    /// simulator received and kept, in the API's own names and types.
    pub fn instaclustr_document(&self, id: &str) -> Value {
        let path = format!("/provisioning/v1/{id}");
        let (status, body) = self.instaclustr_api(reqwest::Method::GET, &path, None);
        assert!(status < 300, "GET {path} answered {status}: {body}");
        body
    }

    /// `GET /_admin/instaclustr/clusters`: `[{"id","clusterName","clusterStatus","nodeSize"}]`.
    pub fn instaclustr_clusters(&self) -> Vec<Value> {
        match self.admin(reqwest::Method::GET, "/_admin/instaclustr/clusters", None) {
            Value::Array(a) => a,
            Value::Null => Vec::new(),
            other => panic!("/_admin/instaclustr/clusters: expected an array, got {other}"),
        }
    }

    /// One cluster from [`Sim::instaclustr_clusters`] by id.
    pub fn instaclustr_cluster(&self, id: &str) -> Option<Value> {
        self.instaclustr_clusters()
            .into_iter()
            .find(|c| c["id"].as_str() == Some(id))
    }

    /// Clusters that still exist (not `DELETED`), as Terraform would see them.
    pub fn instaclustr_live_clusters(&self) -> Vec<Value> {
        self.instaclustr_clusters()
            .into_iter()
            .filter(|c| c["clusterStatus"].as_str() != Some("DELETED"))
            .collect()
    }

    /// `POST /_admin/instaclustr/clusters/{id}/delete`: delete behind Terraform's back.
    pub fn instaclustr_delete_behind_back(&self, id: &str) {
        self.admin(
            reqwest::Method::POST,
            &format!("/_admin/instaclustr/clusters/{id}/delete"),
            None,
        );
    }

    /// `POST /_admin/instaclustr/next_create_outcome` `{"status"}` (e.g. `FAILED`, `DEFERRED`).
    pub fn instaclustr_next_create_outcome(&self, status: &str) {
        self.admin(
            reqwest::Method::POST,
            "/_admin/instaclustr/next_create_outcome",
            Some(json!({ "status": status })),
        );
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            let tail = self.log_tail(SIM_LOG_TAIL);
            eprintln!(
                "---- clusterform-sim at {} (last {} stderr lines) ----\n{}\n---- end of clusterform-sim log ----",
                self.url,
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform binaries
// ---------------------------------------------------------------------------------------------

/// One Terraform CLI binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terraform {
    /// `0.13.5`, `1.0.3`, `1.11.4`, …
    pub version: String,
    pub path: PathBuf,
}

impl Terraform {
    /// (major, minor, patch).
    pub fn version_tuple(&self) -> (u32, u32, u32) {
        let mut it = self
            .version
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().unwrap_or(0));
        (
            it.next().unwrap_or(0),
            it.next().unwrap_or(0),
            it.next().unwrap_or(0),
        )
    }

    /// Terraform 0.x (0.13.5 here): older plan wording and state layout.
    pub fn is_pre_1_0(&self) -> bool {
        self.version_tuple().0 == 0
    }

    /// Asks the binary itself (`terraform version -json`, present since 0.13).
    fn probe(path: &Path) -> Result<String, String> {
        let out = Command::new(path)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} version -json failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
            format!(
                "{} version -json: not JSON ({e}): {}",
                path.display(),
                String::from_utf8_lossy(&out.stdout)
            )
        })?;
        v["terraform_version"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "{} version -json: no terraform_version in {v}",
                    path.display()
                )
            })
    }
}

impl fmt::Display for Terraform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "terraform {} ({})", self.version, self.path.display())
    }
}

/// The Terraform binaries to test against, oldest first: `.tools/terraform/0.13.5`,
/// `.tools/terraform/1.0.3` and `/usr/local/bin/terraform` when present. Missing ones are left out
/// with a visible `SKIP:` line on stderr (a panic for 0.13.5/1.0.3 under
/// `CLUSTERFORM_REQUIRE_TERRAFORM=1`). `CLUSTERFORM_TF_VERSIONS=1.0.3,0.13.5` filters.
pub fn terraform_versions() -> Vec<Terraform> {
    static FOUND: OnceLock<Result<Vec<Terraform>, String>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let (found, skips) = discover_terraform();
        // Straight to the process's stderr: libtest captures `eprintln!` of passing tests, and a
        // skipped Terraform version must be visible in every run's output.
        let mut err = std::io::stderr().lock();
        for skip in &skips {
            let _ = writeln!(err, "SKIP: {skip}");
        }
        found
    });
    match found {
        Ok(v) => v.clone(),
        Err(e) => panic!("CLUSTERFORM_REQUIRE_TERRAFORM=1: {e}"),
    }
}

/// Finds the binaries: `(Ok(found) or Err(why a required one is missing), skip messages)`.
fn discover_terraform() -> (Result<Vec<Terraform>, String>, Vec<String>) {
    let require = env_flag("CLUSTERFORM_REQUIRE_TERRAFORM");
    let filter: Option<Vec<String>> = std::env::var("CLUSTERFORM_TF_VERSIONS")
        .ok()
        .map(|s| {
            s.split(',')
                .map(|v| v.trim().trim_start_matches('v').to_owned())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty());
    let wanted = |version: &str| {
        filter
            .as_ref()
            .is_none_or(|f| f.iter().any(|w| w == version))
    };

    let mut skips = Vec::new();
    let mut found: Vec<Terraform> = Vec::new();
    for version in INSTALLED_VERSIONS {
        if !wanted(version) {
            continue;
        }
        let path = repo_root()
            .join(".tools/terraform")
            .join(version)
            .join("terraform");
        if !path.is_file() {
            let msg = format!(
                "terraform {version} not found (run scripts/install-terraform.sh): no {}",
                path.display()
            );
            if require {
                return (Err(msg), skips);
            }
            skips.push(msg);
            continue;
        }
        match Terraform::probe(&path) {
            Ok(v) if v == *version => found.push(Terraform { version: v, path }),
            Ok(v) => {
                return (
                    Err(format!(
                        "{} reports version {v}, expected {version}",
                        path.display()
                    )),
                    skips,
                )
            }
            Err(e) => return (Err(e), skips),
        }
    }

    let system = Path::new(SYSTEM_TERRAFORM);
    if system.is_file() {
        match Terraform::probe(system) {
            Ok(v) if wanted(&v) && !found.iter().any(|t| t.version == v) => found.push(Terraform {
                version: v,
                path: system.to_path_buf(),
            }),
            Ok(_) => {}
            Err(e) => skips.push(format!("terraform at {SYSTEM_TERRAFORM} unusable: {e}")),
        }
    } else if filter.is_none() {
        skips.push(format!(
            "terraform {SYSTEM_TERRAFORM} not found (optional: used when present)"
        ));
    }

    if let Some(f) = &filter {
        for w in f {
            if !found.iter().any(|t| &t.version == w) && !INSTALLED_VERSIONS.contains(&w.as_str()) {
                skips.push(format!(
                    "terraform {w} not found (asked for by CLUSTERFORM_TF_VERSIONS)"
                ));
            }
        }
    }
    if found.is_empty() {
        let msg = "no Terraform binary available (run scripts/install-terraform.sh)".to_owned();
        if require {
            return (Err(msg), skips);
        }
        skips.push(msg);
    }
    found.sort_by_key(|t| t.version_tuple());
    (Ok(found), skips)
}

// ---------------------------------------------------------------------------------------------
// Command output
// ---------------------------------------------------------------------------------------------

/// What one Terraform command produced.
#[derive(Clone)]
pub struct TfOutput {
    /// `terraform <args>` as run, for messages.
    pub command: String,
    /// `terraform 1.0.3 (/path)`.
    pub terraform: String,
    pub workdir: PathBuf,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stdout followed by stderr: where a substring is searched when the stream doesn't matter.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The whole output, for panic messages.
    pub fn describe(&self) -> String {
        format!(
            "{} in {}\n  {}\n  exit: {}\n----- stdout -----\n{}\n----- stderr -----\n{}\n------------------",
            self.terraform,
            self.workdir.display(),
            self.command,
            self.status,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }

    /// Panics with both streams unless the command exited 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        if !self.success() {
            panic!("command failed:\n{}", self.describe());
        }
        self
    }

    /// Panics with both streams unless the command failed.
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        if self.success() {
            panic!(
                "command was expected to fail but succeeded:\n{}",
                self.describe()
            );
        }
        self
    }

    /// Panics unless stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        if !self.combined().contains(needle) {
            panic!("output does not contain {needle:?}:\n{}", self.describe());
        }
        self
    }

    /// Panics if stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        if self.combined().contains(needle) {
            panic!(
                "output unexpectedly contains {needle:?}:\n{}",
                self.describe()
            );
        }
        self
    }

    /// Terraform's error text with the box-drawing margin removed and runs of whitespace joined,
    /// so a message wrapped across lines can be matched as one string.
    pub fn flat(&self) -> String {
        flatten(&self.combined())
    }
}

impl fmt::Debug for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Joins Terraform's wrapped, boxed diagnostics into one line of words.
pub fn flatten(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `terraform plan -detailed-exitcode`: 0 = no changes, 1 = error, 2 = changes.
#[derive(Clone)]
pub struct PlanResult {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub output: TfOutput,
}

/// The numbers of `Plan: A to add, C to change, D to destroy.`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanCounts {
    pub add: u32,
    pub change: u32,
    pub destroy: u32,
}

impl PlanResult {
    fn from_output(output: TfOutput) -> PlanResult {
        PlanResult {
            exit_code: output.code().unwrap_or(-1),
            stdout: output.stdout.clone(),
            stderr: output.stderr.clone(),
            output,
        }
    }

    pub fn describe(&self) -> String {
        self.output.describe()
    }

    /// Parses `Plan: 1 to add, 0 to change, 1 to destroy.` (same wording on 0.13 to 1.11; newer
    /// versions may append `, N to import`).
    pub fn counts(&self) -> Option<PlanCounts> {
        let text = flatten(&self.stdout);
        let start = text.find("Plan: ")? + "Plan: ".len();
        let rest = &text[start..];
        let num = |label: &str| -> Option<u32> {
            let i = rest.find(label)?;
            rest[..i]
                .split(|c: char| !c.is_ascii_digit())
                .rfind(|s| !s.is_empty())?
                .parse()
                .ok()
        };
        Some(PlanCounts {
            add: num(" to add")?,
            change: num(" to change")?,
            destroy: num(" to destroy")?,
        })
    }

    /// Exit code 0: the plan is empty.
    #[track_caller]
    pub fn assert_no_changes(&self) -> &Self {
        if self.exit_code != 0 {
            panic!(
                "expected a plan with no changes (exit 0), got exit {}:\n{}",
                self.exit_code,
                self.describe()
            );
        }
        self
    }

    /// Exit code 2 and exactly these counts.
    #[track_caller]
    pub fn assert_changes(&self, add: u32, change: u32, destroy: u32) -> &Self {
        if self.exit_code != 2 {
            panic!(
                "expected a plan with changes (exit 2), got exit {}:\n{}",
                self.exit_code,
                self.describe()
            );
        }
        let want = PlanCounts {
            add,
            change,
            destroy,
        };
        match self.counts() {
            Some(got) if got == want => self,
            got => panic!(
                "expected plan counts {want:?}, got {got:?}:\n{}",
                self.describe()
            ),
        }
    }

    /// Exit code 1 (an error).
    #[track_caller]
    pub fn assert_error(&self) -> &Self {
        if self.exit_code != 1 {
            panic!(
                "expected the plan to fail (exit 1), got exit {}:\n{}",
                self.exit_code,
                self.describe()
            );
        }
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        self.output.assert_contains(needle);
        self
    }

    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        self.output.assert_not_contains(needle);
        self
    }

    pub fn flat(&self) -> String {
        self.output.flat()
    }
}

impl fmt::Debug for PlanResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

// ---------------------------------------------------------------------------------------------
// Working directory
// ---------------------------------------------------------------------------------------------

static WORKDIR_SEQ: AtomicUsize = AtomicUsize::new(0);

/// A Terraform working directory with its own provider mirror and CLI config:
/// ```text
/// <dir>/cli.tfrc                      TF_CLI_CONFIG_FILE
/// <dir>/mirror/registry.terraform.io/clusterform/<type>/<version>/linux_amd64/terraform-provider-<type>_v<version>
/// <dir>/work/main.tf                  the configuration; terraform runs here
/// <dir>/work/terraform.tfstate
/// <dir>/terraform.log                 with CLUSTERFORM_TF_LOG
/// ```
/// Removed on drop unless the test is panicking (then its path is printed), or
/// `CLUSTERFORM_KEEP_WORKDIRS=1` / `CLUSTERFORM_TF_LOG` is set.
pub struct Workdir {
    root: PathBuf,
    work: PathBuf,
    tf: Terraform,
    env: BTreeMap<String, String>,
    timeout: Duration,
    keep: bool,
}

impl Workdir {
    /// `providers`: `(type, path of the built binary)`, e.g.
    /// `("instaclustr", env!("CARGO_BIN_EXE_terraform-provider-instaclustr"))`.
    pub fn new(tf: &Terraform, providers: &[(&str, &str)]) -> Workdir {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("acceptance");
        fs::create_dir_all(&base).expect("create target tmp dir");
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "tf{}-{}-{}-{:08x}",
            tf.version,
            std::process::id(),
            WORKDIR_SEQ.fetch_add(1, Ordering::SeqCst),
            nanos
        );
        let root = base.join(name);
        let work = root.join("work");
        fs::create_dir_all(&work).expect("create workdir");

        let mirror = root.join("mirror");
        for (ty, bin) in providers {
            let dir = mirror
                .join("registry.terraform.io")
                .join(PROVIDER_NAMESPACE)
                .join(ty)
                .join(PROVIDER_VERSION)
                .join("linux_amd64");
            fs::create_dir_all(&dir).expect("create mirror dir");
            let dest = dir.join(format!("terraform-provider-{ty}_v{PROVIDER_VERSION}"));
            install_binary(Path::new(bin), &dest);
        }
        fs::create_dir_all(&mirror).expect("create mirror");
        fs::write(root.join("cli.tfrc"), cli_config(&mirror)).expect("write cli config");

        let timeout = std::env::var("CLUSTERFORM_TF_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(600));
        let keep = env_flag("CLUSTERFORM_KEEP_WORKDIRS") || tf_log_level().is_some();
        Workdir {
            root,
            work,
            tf: tf.clone(),
            env: BTreeMap::new(),
            timeout,
            keep,
        }
    }

    /// Adds an environment variable to every Terraform run (and so to the providers).
    pub fn with_env(mut self, key: &str, value: &str) -> Workdir {
        self.set_env(key, value);
        self
    }

    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Workdir {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn remove_env(&mut self, key: &str) -> &mut Workdir {
        self.env.remove(key);
        self
    }

    /// The directory Terraform runs in (holds `main.tf` and `terraform.tfstate`).
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// The directory that holds the mirror, the CLI config, the log and [`Workdir::path`].
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn terraform(&self) -> &Terraform {
        &self.tf
    }

    /// Keeps the directory after the test whatever happens.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// Replaces the CLI config (`TF_CLI_CONFIG_FILE`) the harness wrote, e.g. to install from a
    /// network mirror instead of the work dir's filesystem mirror.
    pub fn write_cli_config(&self, text: &str) {
        let path = self.root.join("cli.tfrc");
        fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    pub fn write_main_tf(&self, hcl: &str) {
        self.write_file("main.tf", hcl);
    }

    pub fn write_file(&self, name: &str, contents: &str) {
        fs::write(self.work.join(name), contents)
            .unwrap_or_else(|e| panic!("write {name} in {}: {e}", self.work.display()));
    }

    pub fn remove_file(&self, name: &str) {
        let _ = fs::remove_file(self.work.join(name));
    }

    /// Runs `terraform <args>` in the work dir with the harness environment. Never panics on a
    /// non-zero exit (see [`TfOutput::assert_success`]); panics on a timeout.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_with(args, None)
    }

    /// Like [`Workdir::run`], but sends Terraform one SIGINT (as Ctrl-C would) as soon as
    /// `interrupt_when` returns true; it is polled about every 100 ms while Terraform runs.
    pub fn run_interrupted(
        &self,
        args: &[&str],
        interrupt_when: &mut dyn FnMut() -> bool,
    ) -> TfOutput {
        self.run_with(args, Some(interrupt_when))
    }

    fn run_with(
        &self,
        args: &[&str],
        interrupt_when: Option<&mut dyn FnMut() -> bool>,
    ) -> TfOutput {
        let mut cmd = Command::new(&self.tf.path);
        cmd.args(args).current_dir(&self.work).stdin(Stdio::null());
        // Nothing from the caller's Terraform or provider setup may leak in.
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if key.starts_with("TF_")
                || key.starts_with("IC_")
                || key.starts_with("CHECKPOINT_")
                || key.starts_with("PLUGIN_")
            {
                cmd.env_remove(key);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", self.root.join("cli.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        if let Some(level) = tf_log_level() {
            cmd.env("TF_LOG", level)
                .env("TF_LOG_PATH", self.root.join("terraform.log"));
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let command = format!("terraform {}", args.join(" "));
        let (status, stdout, stderr) =
            run_with_timeout(cmd, self.timeout, &command, interrupt_when);
        TfOutput {
            command,
            terraform: self.tf.to_string(),
            workdir: self.work.clone(),
            status,
            stdout,
            stderr,
        }
    }

    /// `terraform init -input=false -no-color`.
    pub fn init(&self) -> TfOutput {
        self.run(&["init", "-input=false", "-no-color"])
    }

    /// `terraform apply -auto-approve -input=false -no-color`.
    pub fn apply(&self) -> TfOutput {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform plan -detailed-exitcode -input=false -no-color`.
    pub fn plan(&self) -> PlanResult {
        PlanResult::from_output(self.run(&[
            "plan",
            "-detailed-exitcode",
            "-input=false",
            "-no-color",
        ]))
    }

    /// `terraform import -input=false -no-color <addr> <id>`. The provider is configured from
    /// main.tf (Terraform 0.13 needs the resource block and provider config to be there).
    pub fn import(&self, addr: &str, id: &str) -> TfOutput {
        self.run(&["import", "-input=false", "-no-color", addr, id])
    }

    /// `terraform destroy -auto-approve -input=false -no-color`.
    pub fn destroy(&self) -> TfOutput {
        self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
    }

    /// `terraform state show -no-color <addr>` (human-readable).
    pub fn state_show(&self, addr: &str) -> TfOutput {
        self.run(&["state", "show", "-no-color", addr])
    }

    /// `terraform show -json` parsed (works on 0.13.5 too: format_version 0.1).
    pub fn show_json(&self) -> Value {
        let out = self.run(&["show", "-json", "-no-color"]);
        out.assert_success();
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "terraform show -json is not JSON ({e}):\n{}",
                out.describe()
            )
        })
    }

    /// `terraform.tfstate` parsed (Null when there is none yet). The most portable way to look at
    /// state: format version 4 on every Terraform from 0.12 on.
    pub fn state(&self) -> Value {
        let path = self.work.join("terraform.tfstate");
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Null,
            Err(e) => panic!("read {}: {e}", path.display()),
        }
    }

    /// The managed resource instances in state: `(address, instance object)`, where the instance
    /// has `attributes` and, for a tainted one, `"status": "tainted"`.
    pub fn state_instances(&self) -> Vec<(String, Value)> {
        let state = self.state();
        let mut out = Vec::new();
        for r in state["resources"].as_array().into_iter().flatten() {
            if r["mode"].as_str() != Some("managed") {
                continue;
            }
            let addr = format!(
                "{}{}.{}",
                r["module"]
                    .as_str()
                    .map(|m| format!("{m}."))
                    .unwrap_or_default(),
                r["type"].as_str().unwrap_or("?"),
                r["name"].as_str().unwrap_or("?")
            );
            for inst in r["instances"].as_array().into_iter().flatten() {
                out.push((addr.clone(), inst.clone()));
            }
        }
        out
    }

    /// The state instance of `type.name` (first instance), if any.
    pub fn state_instance(&self, addr: &str) -> Option<Value> {
        self.state_instances()
            .into_iter()
            .find(|(a, _)| a == addr)
            .map(|(_, inst)| inst)
    }

    /// The attributes of `type.name` in state, if present.
    pub fn state_attributes(&self, addr: &str) -> Option<Value> {
        self.state_instance(addr).map(|i| i["attributes"].clone())
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if thread::panicking() || self.keep {
            // Uncaptured, so it is visible for passing tests too.
            let _ = writeln!(
                std::io::stderr().lock(),
                "kept Terraform work dir for {}: {}{}",
                self.tf,
                self.root.display(),
                if tf_log_level().is_some() {
                    format!(" (log: {})", self.root.join("terraform.log").display())
                } else {
                    String::new()
                }
            );
        } else {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

fn tf_log_level() -> Option<String> {
    std::env::var("CLUSTERFORM_TF_LOG")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The CLI config: the clusterform providers come from the mirror only, nothing else is
/// reachable (there is no network), and the plugin cache is off.
fn cli_config(mirror: &Path) -> String {
    let mirror = hcl_string(&mirror.display().to_string());
    format!(
        r#"provider_installation {{
  filesystem_mirror {{
    path    = {mirror}
    include = ["registry.terraform.io/{ns}/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/{ns}/*"]
  }}
}}
"#,
        ns = PROVIDER_NAMESPACE
    )
}

/// A quoted HCL string literal.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `terraform { required_providers { ... } }` for clusterform providers at [`PROVIDER_VERSION`].
pub fn required_providers(types: &[&str]) -> String {
    let mut s = String::from("terraform {\n  required_providers {\n");
    for ty in types {
        s.push_str(&format!(
            "    {ty} = {{\n      source  = \"{PROVIDER_NAMESPACE}/{ty}\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n"
        ));
    }
    s.push_str("  }\n}\n");
    s
}

/// Puts the built provider binary into the mirror: a hard link when possible (same file system as
/// target/; cargo replaces rather than rewrites its outputs, so the link keeps this build's bytes),
/// else a copy. Not a symlink: Terraform 1.x records a hash of the package in
/// `.terraform.lock.hcl`, and a symlink to target/ would change under a rebuild.
fn install_binary(src: &Path, dest: &Path) {
    assert!(
        src.is_file(),
        "provider binary {} does not exist (cargo build --bins)",
        src.display()
    );
    let _ = fs::remove_file(dest);
    if fs::hard_link(src, dest).is_err() {
        fs::copy(src, dest)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), dest.display()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut perm = fs::metadata(dest).expect("stat provider").permissions();
        if perm.mode() & 0o111 != 0o111 {
            perm.set_mode(0o755);
            fs::set_permissions(dest, perm).expect("chmod provider");
        }
    }
}

/// Runs `cmd`, collecting stdout and stderr, and gives up after `timeout` (SIGINT, then after 15 s
/// SIGKILL, then a panic with what was printed so far).
fn run_with_timeout(
    mut cmd: Command,
    timeout: Duration,
    what: &str,
    mut interrupt_when: Option<&mut dyn FnMut() -> bool>,
) -> (ExitStatus, String, String) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if interrupt_when.is_some() {
        // Its own process group, so the interrupt below reaches Terraform as a terminal's would
        // without hitting the test runner.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));

    let deadline = Instant::now() + timeout;
    let mut interrupted_at: Option<Instant> = None;
    let mut next_check = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for terraform") {
            break status;
        }
        let now = Instant::now();
        if now >= next_check {
            next_check = now + Duration::from_millis(100);
            if let Some(trigger) = interrupt_when.as_mut() {
                if trigger() {
                    // Ctrl-C in a terminal reaches the whole process group: Terraform (both
                    // processes of 0.13's panic wrapper) and its providers.
                    let _ = Command::new("kill")
                        .args(["-INT", "--", &format!("-{}", child.id())])
                        .status();
                    interrupt_when = None;
                }
            }
        }
        match interrupted_at {
            None if now >= deadline => {
                let _ = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status();
                interrupted_at = Some(now);
            }
            Some(t) if now >= t + Duration::from_secs(15) => {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = out.join().unwrap_or_default();
                let stderr = err.join().unwrap_or_default();
                panic!(
                    "{what} timed out after {timeout:?}\n----- stdout -----\n{stdout}\n----- stderr -----\n{stderr}"
                );
            }
            _ => {}
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if interrupted_at.is_some() {
        panic!(
            "{what} timed out after {timeout:?} (interrupted, exit {status})\n----- stdout -----\n{stdout}\n----- stderr -----\n{stderr}"
        );
    }
    (status, stdout, stderr)
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}
