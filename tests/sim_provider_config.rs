//! `clusterform-sim --print-provider-config`: what it prints is valid Terraform (`terraform
//! validate` with all four providers), its `export` lines alone make an apply work, and
//! `--print-provider-config-only` prints the same text for the same address.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use clusterform::sim::cloudbasic::DEMO_REMOTE;
use clusterform::sim::provider_config::{END_MARKER, HCL_MARKER, SHELL_MARKER};
use support::{hcl_string, matrix::matrix_terraform, required_providers, Workdir};

const SIM: &str = env!("CARGO_BIN_EXE_clusterform-sim");
const PROVIDERS: [(&str, &str); 4] = [
    (
        "instaclustr",
        env!("CARGO_BIN_EXE_terraform-provider-instaclustr"),
    ),
    ("css", env!("CARGO_BIN_EXE_terraform-provider-css")),
    (
        "cloudbasic",
        env!("CARGO_BIN_EXE_terraform-provider-cloudbasic"),
    ),
    ("redis", env!("CARGO_BIN_EXE_terraform-provider-redis")),
];

/// A simulator started with `--print-provider-config`; killed on drop.
struct PrintingSim {
    child: Child,
    /// `http://127.0.0.1:PORT` from the first `listening on` line.
    url: String,
    /// Everything after the listening lines, up to and including [`END_MARKER`].
    config: String,
}

impl Drop for PrintingSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> PrintingSim {
    let mut child = Command::new(SIM)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--pace",
            "100ms",
            "--print-provider-config",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn clusterform-sim");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut url = None;
        let mut config = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("clusterform-sim listening on ") {
                url.get_or_insert_with(|| rest.to_owned());
                continue;
            }
            config.push_str(&line);
            config.push('\n');
            if line == END_MARKER {
                let _ = tx.send((url.take(), config));
                // Keep draining so the simulator never blocks on a full pipe.
                config = String::new();
            }
        }
    });
    let (url, config) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the simulator printed its provider config");
    PrintingSim {
        child,
        url: url.expect("a listening line before the config"),
        config,
    }
}

/// The text between two marker lines.
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).expect("opening marker");
    let end = text[start..].find(to).expect("closing marker") + start;
    &text[start..end]
}

/// The `export NAME='value'` lines as (name, value), unquoting the single quotes.
fn exports(text: &str) -> Vec<(String, String)> {
    section(text, SHELL_MARKER, END_MARKER)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (name, quoted) = l.split_once('=').expect("NAME=value");
            let value = quoted
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or_else(|| panic!("not single-quoted: {l}"))
                .replace("'\\''", "'");
            (name.to_owned(), value)
        })
        .collect()
}

#[test]
fn printed_provider_blocks_validate() {
    let Some(tf) = matrix_terraform("printed_provider_blocks_validate") else {
        return;
    };
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sim-provider-config-{}.pem", std::process::id()));
    let cert = tmp.display().to_string();
    // With HTTPS and a certificate file, so the redis block's `file()` is validated too.
    let sim = start(&["--tls-listen", "127.0.0.1:0", "--tls-cert-out", &cert]);
    let hcl = section(&sim.config, HCL_MARKER, SHELL_MARKER);
    eprintln!("{hcl}");
    assert!(hcl.contains(&format!("ca_cert_pem = file({})", hcl_string(&cert))));
    let types: Vec<&str> = PROVIDERS.iter().map(|(t, _)| *t).collect();
    let work = Workdir::new(&tf, &PROVIDERS);
    work.write_main_tf(&format!("{}\n{hcl}", required_providers(&types)));
    work.init().assert_success();
    work.run(&["validate", "-no-color"])
        .assert_success()
        .assert_contains("The configuration is valid");
    let _ = std::fs::remove_file(&tmp);
}

#[test]
fn printed_exports_alone_drive_an_apply() {
    let Some(tf) = matrix_terraform("printed_exports_alone_drive_an_apply") else {
        return;
    };
    let sim = start(&[]);
    let env = exports(&sim.config);
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in ["IC_API_HOSTNAME", "CSS_ENDPOINT", "CLOUDBASIC_ENDPOINT"] {
        assert!(names.contains(&wanted), "{wanted} in {names:?}");
    }
    let mut work = Workdir::new(&tf, &PROVIDERS[..3]);
    for (name, value) in &env {
        work.set_env(name, value);
    }
    // No provider blocks: every setting comes from the printed exports.
    work.write_main_tf(&format!(
        r#"{}
resource "instaclustr_cluster" "offline" {{
  cluster_name     = "offline-exports"
  node_size        = "t3.small-v2"
  data_centre      = "US_WEST_2"
  cluster_provider = {{ name = "AWS_VPC" }}
  wait_for_state   = "RUNNING"

  bundle {{
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
  }}
}}

resource "css_cluster" "offline" {{
  name              = "offline-exports"
  engine_version    = "7.10.2"
  instance_num      = 1
  flavor            = "ess.spec-4u8g"
  vpc_id            = "vpc-offline"
  subnet_id         = "subnet-offline"
  security_group_id = "sg-offline"

  volume {{
    volume_type = "COMMON"
    size        = 40
  }}
}}

resource "cloudbasic_cluster" "offline" {{
  local_server       = "10.0.1.15"
  remote_server      = "10.0.2.15"
  port               = 444
  remote_public_key  = {}
  remote_private_key = {}
}}
"#,
        required_providers(&["instaclustr", "css", "cloudbasic"]),
        hcl_string(DEMO_REMOTE.0),
        hcl_string(DEMO_REMOTE.1),
    ));
    work.init().assert_success();
    work.apply().assert_success();
    work.plan().assert_no_changes();
    work.destroy().assert_success();
    eprintln!("applied and destroyed against {}", sim.url);
}

#[test]
fn print_only_prints_what_the_running_simulator_prints() {
    let sim = start(&["--rate-limit", "2s"]);
    let addr = sim.url.trim_start_matches("http://");
    let out = Command::new(SIM)
        .args([
            "--listen",
            addr,
            "--rate-limit",
            "2s",
            "--print-provider-config-only",
        ])
        .output()
        .expect("run clusterform-sim");
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    // The serving simulator prints an empty line between its listening line and the config.
    assert_eq!(printed, sim.config.trim_start_matches('\n'));
    assert!(
        printed.contains("export IC_REQUEST_INTERVAL='2s'\n"),
        "{printed}"
    );
}
