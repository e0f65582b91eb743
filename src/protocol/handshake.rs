//! The go-plugin handshake: the environment Terraform sets, the listener inside the allowed port
//! range, and the one line on stdout that tells Terraform where to connect.

use std::io::Write;
use std::net::SocketAddr;

use base64::Engine;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Protocol versions this core serves, best first.
pub const SUPPORTED_VERSIONS: [u32; 2] = [6, 5];

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "this program is a Terraform provider plugin: Terraform or OpenTofu start it themselves.\n\
         Install it as the README says and run `terraform init`; running it by hand is only useful \
         with -debug or --version."
    )]
    NotLaunchedByTerraform,
    #[error("Terraform offers plugin protocol versions {offered:?}, this provider speaks 5 and 6: upgrade Terraform to 0.12 or newer")]
    NoCommonVersion { offered: String },
    #[error("no free port between PLUGIN_MIN_PORT={min} and PLUGIN_MAX_PORT={max}")]
    NoFreePort { min: u16, max: u16 },
    #[error("invalid {name}: {value:?}")]
    BadEnv { name: &'static str, value: String },
}

/// What Terraform asked for, read from the environment once at start.
#[derive(Debug, Clone)]
pub struct Negotiated {
    pub version: u32,
    pub min_port: u16,
    pub max_port: u16,
    pub client_cert_pem: Option<String>,
}

pub fn negotiate(env: impl Fn(&str) -> Option<String>) -> Result<Negotiated, HandshakeError> {
    if env(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotLaunchedByTerraform);
    }
    // go-plugin treats an empty list like a missing one.
    let version = match env("PLUGIN_PROTOCOL_VERSIONS").filter(|v| !v.trim().is_empty()) {
        // A client too old to announce versions speaks go-plugin's legacy single version: 5.
        None => 5,
        Some(list) => {
            let offered: Vec<u32> = list
                .split(',')
                .filter_map(|v| v.trim().parse().ok())
                .collect();
            SUPPORTED_VERSIONS
                .iter()
                .copied()
                .find(|v| offered.contains(v))
                .ok_or(HandshakeError::NoCommonVersion { offered: list })?
        }
    };
    let port = |name: &'static str, default: u16| -> Result<u16, HandshakeError> {
        match env(name) {
            None => Ok(default),
            Some(v) if v.is_empty() => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| HandshakeError::BadEnv { name, value: v }),
        }
    };
    Ok(Negotiated {
        version,
        min_port: port("PLUGIN_MIN_PORT", 10000)?,
        max_port: port("PLUGIN_MAX_PORT", 25000)?,
        client_cert_pem: env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty()),
    })
}

/// Binds 127.0.0.1 on the first free port of the range, starting at a random offset so that
/// the several provider processes Terraform starts at once do not race for the same port.
pub fn bind_in_range(min: u16, max: u16) -> Result<std::net::TcpListener, HandshakeError> {
    let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
    let span = u32::from(hi - lo) + 1;
    let start = fastrand::u32(0..span);
    for i in 0..span {
        let port = lo as u32 + (start + i) % span;
        let addr = SocketAddr::from(([127, 0, 0, 1], port as u16));
        if let Ok(listener) = std::net::TcpListener::bind(addr) {
            return Ok(listener);
        }
    }
    Err(HandshakeError::NoFreePort { min, max })
}

/// `1|<proto>|tcp|<addr>|grpc|<cert>`: the certificate is unpadded standard base64 of the DER,
/// as go-plugin decodes it with RawStdEncoding.
pub fn handshake_line(version: u32, addr: SocketAddr, cert_der: Option<&[u8]>) -> String {
    let cert = cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("1|{version}|tcp|{addr}|grpc|{cert}")
}

/// The only write to stdout a provider process ever makes.
pub fn announce(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn refuses_without_cookie() {
        assert!(matches!(
            negotiate(env_of(&[])),
            Err(HandshakeError::NotLaunchedByTerraform)
        ));
        assert!(matches!(
            negotiate(env_of(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(HandshakeError::NotLaunchedByTerraform)
        ));
    }

    #[test]
    fn picks_highest_common_version_whatever_the_order() {
        for offered in ["5,6", "6,5", " 6 , 5 "] {
            let n = negotiate(env_of(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", offered),
            ]))
            .unwrap();
            assert_eq!(n.version, 6, "{offered}");
        }
        let n = negotiate(env_of(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ]))
        .unwrap();
        assert_eq!(n.version, 5);
        assert!(matches!(
            negotiate(env_of(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", "3,4"),
            ])),
            Err(HandshakeError::NoCommonVersion { .. })
        ));
    }

    #[test]
    fn line_uses_unpadded_base64() {
        let addr: SocketAddr = "127.0.0.1:10001".parse().unwrap();
        // 4 bytes would need "==" padding in padded base64.
        let line = handshake_line(6, addr, Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:10001|grpc|AQIDBA");
        assert_eq!(
            handshake_line(5, addr, None),
            "1|5|tcp|127.0.0.1:10001|grpc|"
        );
    }

    #[test]
    fn binds_inside_the_range() {
        let l = bind_in_range(20000, 20100).unwrap();
        let port = l.local_addr().unwrap().port();
        assert!((20000..=20100).contains(&port));
    }
}
