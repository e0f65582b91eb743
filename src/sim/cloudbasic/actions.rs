//! The three cluster actions: validation of their fields and their effect on the simulated
//! instances (see the module documentation of [`super`] for the rules).

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::http::StatusCode;

use super::sigv4::Verified;
use super::wire::{Fields, Format};
use super::{Cluster, Outcome, State};

/// An IPv4 or IPv6 address or a DNS name (letters, digits, hyphens; labels of 1–63; a last label
/// that is not all digits).
fn is_host(text: &str) -> bool {
    if text.parse::<Ipv4Addr>().is_ok() || text.parse::<Ipv6Addr>().is_ok() {
        return true;
    }
    let name = text.trim_end_matches('.');
    let labels: Vec<&str> = name.split('.').collect();
    !name.is_empty()
        && name.len() <= 253
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|l| l.chars().any(|c| !c.is_ascii_digit()))
}

/// A present, non-empty scalar, or a problem on `name`.
pub(super) fn required<'a>(
    fields: &'a Fields,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<&'a str> {
    match fields.get(name).map(str::trim) {
        Some(v) if !v.is_empty() && fields.is_scalar(name) => Some(v),
        Some(_) => {
            problems.push(format!("{{{name}}}:Invalid value for {name}"));
            None
        }
        None => {
            problems.push(format!("{{{name}}}:{name} is required"));
            None
        }
    }
}

fn server(fields: &Fields, name: &str, problems: &mut Vec<String>) -> Option<String> {
    let value = required(fields, name, problems)?;
    if is_host(value) {
        Some(value.to_string())
    } else {
        problems.push(format!("{{{name}}}:Invalid value for {name}"));
        None
    }
}

fn port(fields: &Fields, problems: &mut Vec<String>) -> Option<u16> {
    let value = required(fields, "Port", problems)?;
    match value.parse::<u16>() {
        Ok(p) if p > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Some(p),
        _ => {
            problems.push("{Port}:Invalid value for Port".to_string());
            None
        }
    }
}

/// The remote settings shared by CreateCluster and AlterCluster.
struct Remote {
    server: String,
    port: u16,
    public_key: String,
    private_key: String,
}

fn remote(state: &State, fields: &Fields, problems: &mut Vec<String>) -> Option<Remote> {
    let server = server(fields, "RemoteServer", problems);
    let port = port(fields, problems);
    let public_key = required(fields, "PublicKey", problems);
    let private_key = required(fields, "PrivateKey", problems);
    if let (Some(public), Some(private)) = (public_key, private_key) {
        state.check_pair(public, private, problems);
    }
    Some(Remote {
        server: server?,
        port: port?,
        public_key: public_key?.to_string(),
        private_key: private_key?.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Actions

pub(super) fn create_cluster(
    state: &mut State,
    who: &Verified,
    fields: &Fields,
    format: Format,
) -> Outcome {
    let mut problems = Vec::new();
    let local = server(fields, "LocalServer", &mut problems);
    let remote = remote(state, fields, &mut problems);
    if let (Some(local), Some(remote)) = (&local, &remote) {
        if local.eq_ignore_ascii_case(&remote.server) {
            problems.push(
                "{RemoteServer}:RemoteServer must be another server than LocalServer".to_string(),
            );
        }
    }
    if let Some(existing) = state.cluster_of(&who.access_key) {
        problems.push(format!(
            "{{LocalServer}}:This instance is already clustered with {} (as {})",
            existing.remote_server, existing.local_server
        ));
    } else if let Some(local) = &local {
        if state.clusters.contains_key(local) {
            problems.push(format!(
                "{{LocalServer}}:{local} is already part of a cluster"
            ));
        }
    }
    let (Some(local), Some(remote), true) = (local, remote, problems.is_empty()) else {
        return Outcome::Failed(StatusCode::BAD_REQUEST, problems);
    };
    tracing::info!(local_server = %local, remote_server = %remote.server, port = remote.port, "cloudbasic cluster created");
    state.clusters.insert(
        local.clone(),
        Cluster {
            local_server: local,
            remote_server: remote.server,
            port: remote.port,
            public_key: remote.public_key,
            private_key: remote.private_key,
            owner: who.access_key.clone(),
            format,
            alterations: 0,
        },
    );
    Outcome::Done(Vec::new())
}

fn not_clustered() -> Outcome {
    Outcome::Failed(
        StatusCode::BAD_REQUEST,
        vec!["This instance is not part of a cluster".to_string()],
    )
}

pub(super) fn alter_cluster(
    state: &mut State,
    who: &Verified,
    fields: &Fields,
    format: Format,
) -> Outcome {
    let mut problems = Vec::new();
    let remote = remote(state, fields, &mut problems);
    let Some(local) = state
        .cluster_of(&who.access_key)
        .map(|c| c.local_server.clone())
    else {
        return not_clustered();
    };
    if let Some(r) = &remote {
        if r.server.eq_ignore_ascii_case(&local) {
            problems.push(
                "{RemoteServer}:RemoteServer must be another server than LocalServer".to_string(),
            );
        }
    }
    let (Some(remote), true) = (remote, problems.is_empty()) else {
        return Outcome::Failed(StatusCode::BAD_REQUEST, problems);
    };
    let Some(cluster) = state.clusters.get_mut(&local) else {
        return not_clustered();
    };
    tracing::info!(local_server = %local, remote_server = %remote.server, port = remote.port, "cloudbasic cluster altered");
    cluster.remote_server = remote.server;
    cluster.port = remote.port;
    cluster.public_key = remote.public_key;
    cluster.private_key = remote.private_key;
    cluster.format = format;
    cluster.alterations += 1;
    Outcome::Done(Vec::new())
}

pub(super) fn delete_cluster(state: &mut State, who: &Verified, fields: &Fields) -> Outcome {
    let mut problems = Vec::new();
    let standalone = server(fields, "StandaloneServer", &mut problems);
    let Some(cluster) = state.cluster_of(&who.access_key).cloned() else {
        return if problems.is_empty() {
            not_clustered()
        } else {
            Outcome::Failed(StatusCode::BAD_REQUEST, problems)
        };
    };
    if let Some(standalone) = &standalone {
        if standalone.eq_ignore_ascii_case(&cluster.remote_server)
            && !standalone.eq_ignore_ascii_case(&cluster.local_server)
        {
            // The call goes to the server that leaves: it must prove it may speak for the other.
            let public = required(fields, "PublicKey", &mut problems);
            let private = required(fields, "PrivateKey", &mut problems);
            if let (Some(public), Some(private)) = (public, private) {
                state.check_pair(public, private, &mut problems);
            }
        } else if !standalone.eq_ignore_ascii_case(&cluster.local_server) {
            problems.push(format!(
                "{{StandaloneServer}}:Invalid value for StandaloneServer: {standalone} is not a server of this cluster ({} and {})",
                cluster.local_server, cluster.remote_server
            ));
        }
    }
    if !problems.is_empty() {
        return Outcome::Failed(StatusCode::BAD_REQUEST, problems);
    }
    tracing::info!(local_server = %cluster.local_server, standalone_server = ?standalone, "cloudbasic cluster deleted");
    state.clusters.remove(&cluster.local_server);
    Outcome::Done(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(is_host("10.0.0.1") && is_host("::1") && is_host("db-a.example.com"));
        assert!(!is_host("10.0.0.300") && !is_host("bad host") && !is_host("") && !is_host("-x"));
    }
}
