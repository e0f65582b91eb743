//! `request_interval` across provider processes: children of this test (the test binary run
//! again with [`CHILD`] set, each with its own `HttpClient`, as parallel `terraform` runs have)
//! send requests to loopback servers that log when each request arrives. All share one gate
//! directory through `CLUSTERFORM_HOST_GATE_DIR`.
//!
//! Timings are lower bounds only (arrival gaps); everything else is order and outcome: who is
//! still waiting while someone else finishes, and that a killed process blocks nobody.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clusterform::http::{HttpClient, HttpSettings, RetryPolicy, HOST_GATE_DIR_ENV};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Set in a child: its name, which is also the first segment of its request paths.
const CHILD: &str = "CLUSTERFORM_TEST_SPACING_CHILD";
const CHILD_BASE: &str = "CLUSTERFORM_TEST_SPACING_BASE";
const CHILD_INTERVAL_MS: &str = "CLUSTERFORM_TEST_SPACING_INTERVAL_MS";
const CHILD_REQUESTS: &str = "CLUSTERFORM_TEST_SPACING_REQUESTS";

/// Arrival-gap slack: the children's wall clock against this process's monotonic one.
const SLACK: Duration = Duration::from_millis(20);

/// The child's part; a no-op in the ordinary test run.
#[test]
fn child() {
    let Ok(name) = std::env::var(CHILD) else {
        return;
    };
    let var = |key: &str| std::env::var(key).unwrap_or_else(|_| panic!("{key} is not set"));
    let interval = Duration::from_millis(var(CHILD_INTERVAL_MS).parse().unwrap());
    let requests: u32 = var(CHILD_REQUESTS).parse().unwrap();
    let http = HttpClient::new(HttpSettings {
        base_url: var(CHILD_BASE),
        request_interval: interval,
        // A held request is the point of some tests; nothing here should time out.
        timeout: Duration::from_secs(3600),
        retry_base: Duration::from_millis(10),
        ..HttpSettings::default()
    })
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cancel = CancellationToken::new();
        for n in 0..requests {
            let response = http
                .send(
                    http.get(&format!("/{name}/{n}")),
                    RetryPolicy::Idempotent,
                    &cancel,
                )
                .await
                .unwrap();
            assert!(response.is_success(), "{response:?}");
        }
    });
}

/// A loopback HTTP server that logs `(path, arrival)` and answers 200, except that requests
/// under `/hang` get no answer until [`Server::release`].
struct Server {
    base: String,
    log: Arc<Mutex<Vec<(String, Instant)>>>,
    release: watch::Sender<bool>,
}

impl Server {
    fn start(runtime: &tokio::runtime::Runtime) -> Server {
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (release, released) = watch::channel(false);
        let sink = Arc::clone(&log);
        runtime.spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (sink, mut released) = (Arc::clone(&sink), released.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let arrived = Instant::now();
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let path = text.split(' ').nth(1).unwrap_or_default().to_string();
                    sink.lock().unwrap().push((path.clone(), arrived));
                    if path.starts_with("/hang") {
                        let _ = released.wait_for(|released| *released).await;
                    }
                    let _ = conn
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        Server { base, log, release }
    }

    fn arrivals(&self) -> Vec<(String, Instant)> {
        let mut log = self.log.lock().unwrap().clone();
        log.sort_by_key(|(_, at)| *at);
        log
    }

    fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn release(&self) {
        self.release.send_replace(true);
    }

    /// Polls until `n` requests have arrived (a wait for an event, not a timing assertion).
    fn wait_for(&self, n: usize) {
        while self.count() < n {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh gate directory, removed afterwards.
struct GateDir(PathBuf);

impl GateDir {
    fn new(label: &str) -> GateDir {
        // One per test and run: labels differ, and so do the pids of two runs at once.
        let dir = std::env::temp_dir().join(format!(
            "clusterform-spacing-{label}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        GateDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for GateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts a child process sending `requests` requests as `name` to `server`.
fn spawn_child(
    gate: &GateDir,
    server: &Server,
    name: &str,
    interval_ms: u64,
    requests: u32,
) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env(CHILD_BASE, &server.base)
        .env(CHILD_INTERVAL_MS, interval_ms.to_string())
        .env(CHILD_REQUESTS, requests.to_string())
        .env(HOST_GATE_DIR_ENV, gate.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn assert_succeeds(child: &mut Child, name: &str) {
    let status = child.wait().unwrap();
    assert!(status.success(), "child {name}: {status}");
}

/// Three processes, two intervals, one API: every request arrives at least its own process's
/// interval after the one before it, whoever sent that.
#[test]
fn the_interval_holds_across_processes() {
    let runtime = runtime();
    let server = Server::start(&runtime);
    let gate = GateDir::new("interval");
    let children = [("a", 300, 4), ("b", 300, 4), ("c", 500, 3)];
    let mut running: Vec<_> = children
        .iter()
        .map(|&(name, interval, requests)| spawn_child(&gate, &server, name, interval, requests))
        .collect();
    for (child, (name, _, _)) in running.iter_mut().zip(children) {
        assert_succeeds(child, name);
    }

    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 11, "{arrivals:?}");
    let senders: std::collections::BTreeSet<_> = arrivals
        .iter()
        .map(|(path, _)| path[1..2].to_string())
        .collect();
    assert_eq!(senders.len(), 3);
    for pair in arrivals.windows(2) {
        let ((_, before), (path, at)) = (&pair[0], &pair[1]);
        let interval = match &path[1..2] {
            "c" => Duration::from_millis(500),
            _ => Duration::from_millis(300),
        };
        let gap = *at - *before;
        assert!(
            gap + SLACK >= interval,
            "{path} arrived {gap:?} after the request before it: {arrivals:?}"
        );
    }
}

/// While a process holds one API's gate (its request is in flight and unanswered), a process
/// aimed at another API sends and finishes, and one aimed at the same API waits.
#[test]
fn other_origins_do_not_wait() {
    let runtime = runtime();
    let (held, other) = (Server::start(&runtime), Server::start(&runtime));
    let gate = GateDir::new("origins");
    let mut holder = spawn_child(&gate, &held, "hang", 1000, 1);
    held.wait_for(1);
    let mut same = spawn_child(&gate, &held, "same", 1000, 2);
    let mut elsewhere = spawn_child(&gate, &other, "elsewhere", 1000, 3);

    assert_succeeds(&mut elsewhere, "elsewhere");
    assert_eq!(other.count(), 3);
    // The held API saw nothing more meanwhile: the gate was held, and held only there.
    assert_eq!(held.count(), 1, "{:?}", held.arrivals());
    assert!(holder.try_wait().unwrap().is_none());

    held.release();
    assert_succeeds(&mut holder, "hang");
    assert_succeeds(&mut same, "same");
    let paths: Vec<_> = held.arrivals().into_iter().map(|(path, _)| path).collect();
    assert_eq!(paths, ["/hang/0", "/same/0", "/same/1"]);
}

/// A process killed (SIGKILL on Unix) while its request holds the gate: the kernel drops its
/// lock, and the processes waiting behind it go on.
#[test]
fn a_killed_process_blocks_nobody() {
    let runtime = runtime();
    let server = Server::start(&runtime);
    let gate = GateDir::new("killed");
    let mut holder = spawn_child(&gate, &server, "hang", 200, 1);
    server.wait_for(1);
    let mut waiting: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|name| (name, spawn_child(&gate, &server, name, 200, 2)))
        .collect();
    // Let them reach the gate; they must be waiting there, not sending.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.count(), 1, "{:?}", server.arrivals());

    holder.kill().unwrap();
    holder.wait().unwrap();
    for (name, child) in &mut waiting {
        assert_succeeds(child, name);
    }
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 5, "{arrivals:?}");
    for pair in arrivals[1..].windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(gap + SLACK >= Duration::from_millis(200), "{arrivals:?}");
    }
}
