//! The `cloudbasic_cluster` model (one field per schema attribute) and the requests built from
//! it. The API has no read action, so nothing maps back into the model but the names of the
//! fields it rejects.

use serde::{Deserialize, Serialize};

use super::client::{AlterCluster, CreateCluster, DeleteCluster};
use crate::framework::{AttrPath, Diagnostic, Failure};

/// One field per attribute. Everything except `local_server` is optional here because an
/// imported resource knows nothing but its id until the next apply.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Cluster {
    pub id: Option<String>,
    pub local_server: String,
    pub remote_server: Option<String>,
    pub port: Option<i64>,
    pub remote_public_key: Option<String>,
    pub remote_private_key: Option<String>,
    pub standalone_server: Option<String>,
}

/// The attribute an API field name stands for, so that an error lands on the line the user
/// wrote.
pub fn attribute_for(field: &str) -> Option<&'static str> {
    Some(match field.to_ascii_lowercase().as_str() {
        "remoteserver" => "remote_server",
        "localserver" => "local_server",
        "port" => "port",
        "publickey" => "remote_public_key",
        "privatekey" => "remote_private_key",
        "standaloneserver" => "standalone_server",
        _ => return None,
    })
}

/// A model's required value, or a diagnostic naming the attribute (only reachable when state
/// came from an import and the configuration does not set it).
fn need<T: Clone>(value: &Option<T>, attr: &str) -> Result<T, Failure<Cluster>> {
    value.clone().ok_or_else(|| {
        Diagnostic::error(
            format!("Missing {attr}"),
            format!("`{attr}` must be set in the configuration."),
        )
        .at(AttrPath::root(attr))
        .into()
    })
}

fn port(m: &Cluster) -> Result<u16, Failure<Cluster>> {
    let raw = need(&m.port, "port")?;
    u16::try_from(raw).ok().filter(|p| *p > 0).ok_or_else(|| {
        Diagnostic::error(
            "Invalid port",
            format!("{raw} is not a port from 1 to 65535."),
        )
        .at(AttrPath::root("port"))
        .into()
    })
}

/// Whether an update must call AlterCluster: any of the settings it carries changed.
pub fn remote_settings_changed(prior: &Cluster, plan: &Cluster) -> bool {
    prior.remote_server != plan.remote_server
        || prior.port != plan.port
        || prior.remote_public_key != plan.remote_public_key
        || prior.remote_private_key != plan.remote_private_key
}

pub fn create_request(plan: &Cluster) -> Result<CreateCluster, Failure<Cluster>> {
    Ok(CreateCluster {
        remote_server: need(&plan.remote_server, "remote_server")?,
        local_server: plan.local_server.clone(),
        port: port(plan)?,
        public_key: need(&plan.remote_public_key, "remote_public_key")?,
        private_key: need(&plan.remote_private_key, "remote_private_key")?,
    })
}

pub fn alter_request(plan: &Cluster) -> Result<AlterCluster, Failure<Cluster>> {
    Ok(AlterCluster {
        remote_server: need(&plan.remote_server, "remote_server")?,
        port: port(plan)?,
        public_key: need(&plan.remote_public_key, "remote_public_key")?,
        private_key: need(&plan.remote_private_key, "remote_private_key")?,
    })
}

pub fn delete_request(state: &Cluster) -> DeleteCluster {
    let standalone = state
        .standalone_server
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| state.local_server.clone());
    // The API wants the remote instance's keys only when the call goes to the server that
    // leaves the cluster, i.e. when the other server is to stay primary.
    let keys = if standalone == state.local_server {
        None
    } else {
        state
            .remote_public_key
            .clone()
            .zip(state.remote_private_key.clone())
    };
    DeleteCluster {
        standalone_server: standalone,
        keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_fields_map_to_attributes() {
        assert_eq!(attribute_for("RemoteServer"), Some("remote_server"));
        assert_eq!(attribute_for("PrivateKey"), Some("remote_private_key"));
        assert_eq!(attribute_for("Whatever"), None);
    }

    #[test]
    fn only_remote_settings_call_the_api() {
        let prior = Cluster {
            id: Some("a".into()),
            local_server: "a".into(),
            remote_server: Some("b".into()),
            port: Some(81),
            remote_public_key: Some("P".into()),
            remote_private_key: Some("S".into()),
            standalone_server: Some("a".into()),
        };
        let mut plan = prior.clone();
        plan.standalone_server = Some("b".into());
        assert!(!remote_settings_changed(&prior, &plan));
        plan.remote_private_key = Some("S2".into());
        assert!(remote_settings_changed(&prior, &plan));
    }
}
