//! Every request of every provider says who sends it:
//! `User-Agent: terraform-provider-<name>/<crate version> Terraform/<version>`, the Terraform
//! version being the one the real CLI announced in ConfigureProvider. Each provider applies one
//! object against the simulator through a loopback tap that records the header of every request
//! and forwards it unchanged (the simulator's own request log keeps no headers).
//!
//! All four providers on the newest 1.x (`matrix_terraform`), and Instaclustr on 0.13.5 too (the
//! oldest CLI, protocol 5).

mod support;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use support::fleet::{self, Kind};
use support::matrix::{fast_sim, matrix_terraform};
use support::{terraform_versions, Terraform, Workdir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The requests one tap forwarded: `(method, path, User-Agent)`.
type Log = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A plain HTTP/1.1 forwarder on a loopback port: one request per connection (it answers with
/// `Connection: close`), bodies by Content-Length, as the providers' client sends them.
struct UserAgentTap {
    url: String,
    log: Log,
    _rt: tokio::runtime::Runtime,
}

impl UserAgentTap {
    fn start(upstream: &str) -> UserAgentTap {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Log::default();
        let client = {
            let _guard = rt.enter();
            reqwest::Client::builder().no_proxy().build().unwrap()
        };
        let (upstream, sink) = (upstream.to_owned(), Arc::clone(&log));
        rt.spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (client, upstream, sink) = (client.clone(), upstream.clone(), sink.clone());
                tokio::spawn(async move {
                    let _ = forward(conn, &client, &upstream, &sink).await;
                });
            }
        });
        UserAgentTap { url, log, _rt: rt }
    }

    fn requests(&self) -> Vec<(String, String, Option<String>)> {
        self.log.lock().unwrap().clone()
    }
}

async fn forward(
    mut conn: TcpStream,
    client: &reqwest::Client,
    upstream: &str,
    log: &Log,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or("/").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let path = target.split('?').next().unwrap_or_default().to_owned();
    log.lock()
        .unwrap()
        .push((method.clone(), path, header("user-agent")));

    let mut out = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
        format!("{upstream}{target}"),
    );
    // Host stays as the client sent it: CloudBasic's signature covers it.
    for (name, value) in &headers {
        if !matches!(name.as_str(), "content-length" | "connection") {
            out = out.header(name, value);
        }
    }
    let answer = match out.body(body).send().await {
        Ok(resp) => {
            let status = resp.status();
            let mut head = format!(
                "HTTP/1.1 {} {}\r\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            for (name, value) in resp.headers() {
                if !matches!(
                    name.as_str(),
                    "content-length" | "transfer-encoding" | "connection"
                ) {
                    head.push_str(&format!(
                        "{name}: {}\r\n",
                        String::from_utf8_lossy(value.as_bytes())
                    ));
                }
            }
            let body = resp.bytes().await.unwrap_or_default();
            head.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            ));
            [head.into_bytes(), body.to_vec()].concat()
        }
        Err(e) => {
            let text = format!("tap: upstream failed: {e}");
            format!(
                "HTTP/1.1 502 Bad Gateway\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            )
            .into_bytes()
        }
    };
    conn.write_all(&answer).await?;
    conn.shutdown().await
}

fn expected_user_agent(kind: Kind, tf: &Terraform) -> String {
    format!(
        "terraform-provider-{}/{} Terraform/{}",
        kind.provider().0,
        env!("CARGO_PKG_VERSION"),
        tf.version
    )
}

/// Applies one object of `kind` through the tap and checks the User-Agent of every request.
fn check(kind: Kind, tf: &Terraform) {
    let sim = fast_sim("20ms");
    let tap = UserAgentTap::start(sim.url());
    // Every vendor URL of the configuration (IAM and CSS, each Redis node) goes through the tap.
    let hcl = kind.hcl(&sim, 1).replace(sim.url(), &tap.url);
    assert!(hcl.contains(&tap.url), "{hcl}");
    let wd = Workdir::new(tf, &[kind.provider()]);
    wd.write_main_tf(&hcl);
    wd.init().assert_success();
    wd.apply().assert_success();

    let requests = tap.requests();
    assert!(!requests.is_empty(), "{kind:?}: no request reached the tap");
    let want = expected_user_agent(kind, tf);
    let seen: BTreeSet<Option<String>> = requests.iter().map(|(_, _, ua)| ua.clone()).collect();
    let wrong: Vec<String> = requests
        .iter()
        .filter(|(_, _, ua)| ua.as_deref() != Some(want.as_str()))
        .map(|(m, p, ua)| format!("{m} {p}: {ua:?}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "{kind:?} on {tf}: want User-Agent {want:?} on every request, got:\n{}",
        wrong.join("\n")
    );
    // The string itself, for the record (`--nocapture`).
    eprintln!(
        "{kind:?} on terraform {}: {} requests, User-Agent {:?}",
        tf.version,
        requests.len(),
        seen
    );
}

#[test]
fn every_provider_sends_its_user_agent_with_the_terraform_version() {
    let Some(tf) =
        matrix_terraform("every_provider_sends_its_user_agent_with_the_terraform_version")
    else {
        return;
    };
    for kind in fleet::ALL {
        check(kind, &tf);
    }
}

#[test]
fn terraform_0_13_5_announces_its_version_too() {
    let Some(tf) = terraform_versions()
        .into_iter()
        .find(|t| t.version == "0.13.5")
    else {
        // Straight to stderr: libtest would swallow an `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: terraform_0_13_5_announces_its_version_too: terraform 0.13.5 not available"
        );
        return;
    };
    check(Kind::Instaclustr, &tf);
}
