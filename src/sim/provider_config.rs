//! `clusterform-sim --print-provider-config`: provider blocks and `export` lines for the four
//! providers, pointing at a running simulator and its demo accounts, ready to paste.
//!
//! The text has three sections, each opened by a marker comment line ([`HCL_MARKER`],
//! [`SHELL_MARKER`]) and closed by [`END_MARKER`], so a script can cut out either part (every
//! `export` line starts with `export `, every other line of the shell part is a comment). The
//! values come from the simulator's own constants and [`SimConfig`], so what is printed is what
//! the simulator accepts.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use super::{cloudbasic, iam, SimConfig};

/// First line of the Terraform part.
pub const HCL_MARKER: &str = "# ---- clusterform-sim: Terraform provider blocks ----";
/// First line of the shell part.
pub const SHELL_MARKER: &str = "# ---- clusterform-sim: shell exports ----";
/// Last line of the whole text.
pub const END_MARKER: &str = "# ---- clusterform-sim: end ----";

/// Region of the simulated Huawei Cloud account (its project's name).
pub const CSS_REGION: &str = iam::PROJECT_NAME;

/// Where the simulator is reached.
#[derive(Clone, Debug)]
pub struct Endpoints<'a> {
    /// The plain-HTTP listener.
    pub http: SocketAddr,
    /// The HTTPS listener (`--tls-listen`), if any.
    pub https: Option<SocketAddr>,
    /// Where the HTTPS certificate is written (`--tls-cert-out`), if anywhere.
    pub cert_file: Option<&'a Path>,
}

/// `http://ADDR:PORT` as a client should dial it: a wildcard listen address (`0.0.0.0`, `::`)
/// becomes the loopback address of the same family.
pub fn client_url(scheme: &str, addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        let loopback = match addr {
            SocketAddr::V4(_) => std::net::IpAddr::from([127, 0, 0, 1]),
            SocketAddr::V6(_) => std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        };
        addr.set_ip(loopback);
    }
    format!("{scheme}://{addr}")
}

/// One provider setting: its HCL attribute, its environment variable and its value.
struct Setting {
    attr: &'static str,
    env: &'static str,
    value: String,
}

fn setting(attr: &'static str, env: &'static str, value: impl Into<String>) -> Setting {
    Setting {
        attr,
        env,
        value: value.into(),
    }
}

/// A provider: comment lines above its block, and its settings.
struct Block {
    name: &'static str,
    comment: Vec<String>,
    settings: Vec<Setting>,
}

/// The whole text, ending with a newline.
pub fn render(endpoints: &Endpoints<'_>, config: &SimConfig) -> String {
    let base = client_url("http", endpoints.http);
    let blocks = blocks(&base, endpoints, config);
    let mut out = String::new();
    let _ = writeln!(out, "{HCL_MARKER}");
    let _ = writeln!(
        out,
        "# Paste into a .tf file next to a required_providers block naming clusterform/<name>."
    );
    for block in &blocks {
        out.push('\n');
        for line in &block.comment {
            let _ = writeln!(out, "# {line}");
        }
        let width = block
            .settings
            .iter()
            .map(|s| s.attr.len())
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "provider \"{}\" {{", block.name);
        for s in &block.settings {
            let _ = writeln!(out, "  {:width$} = {}", s.attr, hcl_string(&s.value));
        }
        let _ = writeln!(out, "}}");
        if block.name == "redis" {
            if let Some(path) = endpoints.cert_file {
                // `file()` is HCL, not a string value: written apart from the settings.
                let pem = hcl_string(&path.display().to_string());
                let insert = out.len() - "}\n".len();
                out.insert_str(insert, &format!("  ca_cert_pem = file({pem})\n"));
            }
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{SHELL_MARKER}");
    let _ = writeln!(
        out,
        "# The same settings for a shell (a provider reads them for what its block leaves out)."
    );
    for block in &blocks {
        for s in &block.settings {
            let _ = writeln!(out, "export {}={}", s.env, shell_quote(&s.value));
        }
    }
    if let Some(path) = endpoints.cert_file {
        let _ = writeln!(
            out,
            "export REDIS_CA_CERT_PEM=\"$(cat {})\"",
            shell_quote(&path.display().to_string())
        );
    }
    let _ = writeln!(out, "{END_MARKER}");
    out
}

fn blocks(base: &str, endpoints: &Endpoints<'_>, config: &SimConfig) -> Vec<Block> {
    let (interval, interval_note) = if config.rate_limit.is_zero() {
        (
            "0s".to_owned(),
            "request_interval 0s: the simulator has no rate limit (--rate-limit 0s).".to_owned(),
        )
    } else {
        let limit = humantime::format_duration(config.rate_limit).to_string();
        let note = format!(
            "request_interval {limit}: the simulator admits one request per {limit} (--rate-limit)."
        );
        (limit, note)
    };
    let (local_key, local_secret) = cloudbasic::DEMO_LOCAL;
    let (remote_key, remote_secret) = cloudbasic::DEMO_REMOTE;
    let mut redis_comment = vec![
        "Redis Enterprise nodes have no provider-wide endpoint: the `endpoint` of each".to_owned(),
        format!("redis_bootstrap and redis_node is one node's base URL, {base}/redis/<node>"),
        "(any name of letters, digits, '.', '_', '-'; a new name is a fresh node).".to_owned(),
    ];
    match (endpoints.https, endpoints.cert_file) {
        (Some(https), Some(_)) => {
            let https = client_url("https", https);
            redis_comment.push(format!(
                "Over HTTPS: {https}/redis/<node>, trusted through ca_cert_pem below."
            ));
        }
        (Some(https), None) => {
            let https = client_url("https", https);
            redis_comment.push(format!(
                "Over HTTPS: {https}/redis/<node>; its certificate is self-signed: set insecure = true,"
            ));
            redis_comment.push(
                "or run with --tls-cert-out FILE and set ca_cert_pem = file(\"FILE\").".to_owned(),
            );
        }
        (None, _) => redis_comment.push(
            "For HTTPS (ca_cert_pem, insecure) run with --tls-listen ADDR --tls-cert-out FILE."
                .to_owned(),
        ),
    }
    vec![
        Block {
            name: "instaclustr",
            comment: vec![interval_note],
            settings: vec![
                setting(
                    "api_hostname",
                    "IC_API_HOSTNAME",
                    format!("{base}/instaclustr"),
                ),
                setting("username", "IC_USERNAME", &config.instaclustr_user),
                setting("api_key", "IC_API_KEY", &config.instaclustr_key),
                setting("request_interval", "IC_REQUEST_INTERVAL", interval),
            ],
        },
        Block {
            name: "css",
            comment: vec![
                "Tokens come from the simulated IAM; the account is the demo one.".to_owned(),
            ],
            settings: vec![
                setting("iam_endpoint", "CSS_IAM_ENDPOINT", format!("{base}/iam")),
                setting("endpoint", "CSS_ENDPOINT", format!("{base}/css")),
                setting("region", "CSS_REGION", CSS_REGION),
                setting("project_id", "CSS_PROJECT_ID", iam::DEFAULT_PROJECT),
                setting("domain_name", "CSS_DOMAIN_NAME", iam::DEFAULT_DOMAIN),
                setting("user_name", "CSS_USER_NAME", iam::DEFAULT_USER),
                setting("password", "CSS_PASSWORD", iam::DEFAULT_PASSWORD),
            ],
        },
        Block {
            name: "cloudbasic",
            comment: vec![
                "One endpoint stands for a fleet of instances: cloudbasic_instance activates any"
                    .to_owned(),
                "instance_id there and returns its key pair (access_key, secret_key), as the"
                    .to_owned(),
                "cloudbasic-ha-pair module does. The keys below are a demo instance activated from"
                    .to_owned(),
                "the start, for a cloudbasic_cluster without activation; the remote demo instance"
                    .to_owned(),
                format!("has remote_public_key = \"{remote_key}\","),
                format!("remote_private_key = \"{remote_secret}\"."),
            ],
            settings: vec![
                setting(
                    "endpoint",
                    "CLOUDBASIC_ENDPOINT",
                    format!("{base}/cloudbasic"),
                ),
                setting("access_key", "CLOUDBASIC_ACCESS_KEY", local_key),
                setting("secret_key", "CLOUDBASIC_SECRET_KEY", local_secret),
            ],
        },
        Block {
            name: "redis",
            comment: redis_comment,
            settings: Vec::new(),
        },
    ]
}

/// A quoted HCL string: `"`, `\` and the template openers `${`, `%{` escaped.
fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A single-quoted POSIX shell word.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn endpoints() -> Endpoints<'static> {
        Endpoints {
            http: "127.0.0.1:8080".parse().unwrap(),
            https: None,
            cert_file: None,
        }
    }

    #[test]
    fn sections_are_marked_and_every_setting_is_exported() {
        let text = render(&endpoints(), &SimConfig::default());
        let hcl_at = text.find(HCL_MARKER).unwrap();
        let shell_at = text.find(SHELL_MARKER).unwrap();
        assert!(hcl_at < shell_at && text.ends_with(&format!("{END_MARKER}\n")));
        let shell = &text[shell_at..];
        for line in shell.lines() {
            assert!(
                line.starts_with("export ") || line.starts_with('#'),
                "{line}"
            );
        }
        for (attr, env, value) in [
            (
                "api_hostname",
                "IC_API_HOSTNAME",
                "http://127.0.0.1:8080/instaclustr",
            ),
            ("request_interval", "IC_REQUEST_INTERVAL", "0s"),
            (
                "iam_endpoint",
                "CSS_IAM_ENDPOINT",
                "http://127.0.0.1:8080/iam",
            ),
            ("password", "CSS_PASSWORD", "demo-password"),
            (
                "endpoint",
                "CLOUDBASIC_ENDPOINT",
                "http://127.0.0.1:8080/cloudbasic",
            ),
            (
                "access_key",
                "CLOUDBASIC_ACCESS_KEY",
                cloudbasic::DEMO_LOCAL.0,
            ),
        ] {
            assert!(
                text[..shell_at]
                    .lines()
                    .any(|l| l.trim_start().starts_with(attr)
                        && l.ends_with(&format!("= \"{value}\""))),
                "{attr} in\n{text}"
            );
            assert!(
                shell.contains(&format!("export {env}='{value}'\n")),
                "{env} in\n{text}"
            );
        }
        assert!(text.contains("http://127.0.0.1:8080/redis/<node>"));
        assert!(!text.contains("REDIS_CA_CERT_PEM"));
    }

    #[test]
    fn a_rate_limit_becomes_the_request_interval() {
        let config = SimConfig {
            rate_limit: Duration::from_millis(1500),
            ..SimConfig::default()
        };
        let text = render(&endpoints(), &config);
        assert!(
            text.contains("export IC_REQUEST_INTERVAL='1s 500ms'\n"),
            "{text}"
        );
    }

    #[test]
    fn a_certificate_file_is_trusted_by_the_redis_block() {
        let path = Path::new("/tmp/sim cert.pem");
        let text = render(
            &Endpoints {
                http: "0.0.0.0:8080".parse().unwrap(),
                https: Some("[::]:8443".parse().unwrap()),
                cert_file: Some(path),
            },
            &SimConfig::default(),
        );
        assert!(
            text.contains("provider \"redis\" {\n  ca_cert_pem = file(\"/tmp/sim cert.pem\")\n}\n"),
            "{text}"
        );
        assert!(text.contains("export REDIS_CA_CERT_PEM=\"$(cat '/tmp/sim cert.pem')\"\n"));
        assert!(text.contains("https://[::1]:8443/redis/<node>"), "{text}");
        assert!(text.contains("http://127.0.0.1:8080/instaclustr"));
    }

    #[test]
    fn values_are_quoted_for_hcl_and_shell() {
        assert_eq!(hcl_string(r#"a"b\c${x}%{y}$z"#), r#""a\"b\\c$${x}%%{y}$z""#);
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
