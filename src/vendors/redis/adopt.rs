//! Whether a node found bootstrapped (or bootstrapping) is the node this resource describes.
//!
//! A create that finds a bootstrap it did not post (an earlier run was killed before it could
//! record the node, or a POST's answer was lost) adopts it only when the node is what the
//! configuration asks for: for `create_cluster` the cluster of that name, for `join_cluster` a
//! cluster that one of `join_nodes` belongs to, reached with the configured admin credentials,
//! and the node's own settings (address, rack, paths, flash driver) where the configuration
//! sets them. Everything is checked with the reads the API offers; nothing is guessed: what the
//! API cannot tell is reported as unconfirmed, not as a difference.

use std::net::IpAddr;

use super::client::{ApiError, NodeClient, NodeInfo};
use super::model::Bootstrap;
use crate::framework::Ctx;

/// The outcome of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Everything the API reports agrees with the configuration.
    Same,
    /// What the API reports and the configuration disagree on, one line per attribute.
    Differs(Vec<String>),
    /// Nothing disagrees, but this part could not be checked.
    Unconfirmed(String),
}

/// Compares the completed node behind `node` (which carries the configured credentials), whose
/// uid is `uid` when known, with `plan`.
pub async fn check_configuration(
    ctx: &Ctx,
    node: &NodeClient,
    plan: &Bootstrap,
    uid: Option<&str>,
) -> Result<Verdict, ApiError> {
    let cancel = ctx.cancel_token();
    let cluster = match node.cluster(cancel).await {
        Ok(c) => c,
        Err(ApiError::Unauthorized { status }) => {
            return Ok(Verdict::Differs(vec![format!(
                "username/password: the node's cluster does not accept them (HTTP {status})"
            )]))
        }
        Err(e) => return Err(e),
    };
    let cluster_name = cluster.name.unwrap_or_default();
    let mut differences = Vec::new();
    let mut unconfirmed = None;
    let members = node.nodes(cancel).await?;
    match plan.action() {
        Some(super::client::Action::JoinCluster) => {
            let join_nodes = plan.join_nodes.clone().unwrap_or_default();
            match join_verdict(&join_nodes, &members, uid) {
                JoinMatch::Found => {}
                JoinMatch::NotMembers => differences.push(format!(
                    "join_nodes: none of {} is a member of cluster {cluster_name:?}, which the node belongs to (members at {})",
                    join_nodes.join(", "),
                    member_addresses(&members, uid)
                )),
                JoinMatch::Unknown(names) => {
                    unconfirmed = Some(format!(
                        "join_nodes: {names} could not be matched to the addresses of the members of cluster {cluster_name:?} \
                         (the API reports addresses, not host names)"
                    ))
                }
            }
        }
        _ => {
            let want = plan.cluster_name.as_deref().unwrap_or_default();
            if !want.eq_ignore_ascii_case(&cluster_name) {
                differences.push(format!(
                    "cluster_name: configured {want:?}, the node belongs to cluster {cluster_name:?}"
                ));
            }
        }
    }
    if let Some(own) = uid.and_then(|u| members.iter().find(|m| m.uid.as_deref() == Some(u))) {
        differences.extend(setting_differences(plan, own));
    }
    Ok(match (differences.is_empty(), unconfirmed) {
        (false, _) => Verdict::Differs(differences),
        (true, Some(u)) => Verdict::Unconfirmed(u),
        (true, None) => Verdict::Same,
    })
}

enum JoinMatch {
    /// A join address names a member other than this node.
    Found,
    /// Every join address is an IP address and none is a member's.
    NotMembers,
    /// Host names that no member address equals: the API cannot say where they point.
    Unknown(String),
}

fn join_verdict(join_nodes: &[String], members: &[NodeInfo], own_uid: Option<&str>) -> JoinMatch {
    let others: Vec<&NodeInfo> = members
        .iter()
        .filter(|m| own_uid.is_none() || m.uid.as_deref() != own_uid)
        .collect();
    let names_member = |address: &str| {
        others.iter().any(|m| {
            m.addr
                .iter()
                .chain(m.external_addr.iter())
                .any(|a| a.trim().eq_ignore_ascii_case(address.trim()))
        })
    };
    if join_nodes.iter().any(|a| names_member(a)) {
        return JoinMatch::Found;
    }
    let names: Vec<&str> = join_nodes
        .iter()
        .map(|a| a.trim())
        .filter(|a| a.parse::<IpAddr>().is_err())
        .collect();
    if names.is_empty() {
        JoinMatch::NotMembers
    } else {
        JoinMatch::Unknown(names.join(", "))
    }
}

fn member_addresses(members: &[NodeInfo], own_uid: Option<&str>) -> String {
    let list: Vec<&str> = members
        .iter()
        .filter(|m| own_uid.is_none() || m.uid.as_deref() != own_uid)
        .filter_map(|m| m.addr.as_deref())
        .collect();
    if list.is_empty() {
        "no other node".to_string()
    } else {
        list.join(", ")
    }
}

/// The node settings the configuration sets and the node reports otherwise.
fn setting_differences(plan: &Bootstrap, node: &NodeInfo) -> Vec<String> {
    let mut out = Vec::new();
    let mut compare = |attr: &str, want: Option<&str>, have: Option<&str>, path: bool| {
        let Some(want) = want.map(str::trim).filter(|w| !w.is_empty()) else {
            return;
        };
        let have = have.map(str::trim).unwrap_or_default();
        let norm = |s: &str| {
            if path && s.len() > 1 {
                s.trim_end_matches('/').to_string()
            } else {
                s.to_string()
            }
        };
        if norm(want) != norm(have) {
            let have = if have.is_empty() {
                "none".to_string()
            } else {
                format!("{have:?}")
            };
            out.push(format!("{attr}: configured {want:?}, the node has {have}"));
        }
    };
    compare(
        "node_addr",
        plan.node_addr.as_deref(),
        node.addr.as_deref(),
        false,
    );
    compare(
        "rack_id",
        plan.rack_id.as_deref(),
        node.rack_id.as_deref(),
        false,
    );
    compare(
        "persistent_path",
        plan.persistent_path.as_deref(),
        node.persistent_storage_path.as_deref(),
        true,
    );
    compare(
        "ephemeral_path",
        plan.ephemeral_path.as_deref(),
        node.ephemeral_storage_path.as_deref(),
        true,
    );
    compare(
        "bigstore_driver",
        plan.bigstore_driver.as_deref(),
        node.bigstore_driver.as_deref(),
        false,
    );
    if let Some(want) = plan.external_addr.as_ref().filter(|w| !w.is_empty()) {
        let mut want: Vec<String> = want.iter().map(|a| a.trim().to_ascii_lowercase()).collect();
        let mut have: Vec<String> = node
            .external_addr
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        want.sort();
        have.sort();
        if want != have {
            out.push(format!(
                "external_addr: configured [{}], the node has [{}]",
                want.join(", "),
                have.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
