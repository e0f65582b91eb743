//! Creates whose answer may be lost, reconciled against a listing of the account.
//!
//! A create POST is not idempotent, so the HTTP client never repeats it after a 5xx or a
//! timeout. But such an outcome is *unclear*: the API may have created the cluster and only the
//! answer (with the new id) is gone. Failing then leaves a cluster Terraform does not know about,
//! and the next apply makes a second one. [`create_reconciled`] closes that gap for any API that
//! can list an account's clusters with their names:
//!
//! 1. one create per (account, planned name) at a time in this process, so a second resource
//!    with the same name sees the first one's cluster in its listing;
//! 2. list the account BEFORE the POST (one listing serves the creates of a few seconds: see
//!    [`shared_listing`]); a live cluster with the planned name stops the create
//!    (an interrupted earlier create left it: import it), unless duplicates are allowed;
//! 3. POST; after an unclear outcome list again: exactly one new cluster with the name (an id
//!    the first listing did not have) is adopted, none means the POST did not act and is sent
//!    again (a bounded number of times), several is an error naming each id.
//!
//! Nothing unclear is ever reported as created without an id: every exit after a POST that may
//! have acted either carries the id or says that the cluster may exist and how to import it.

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Display};
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::diagnostics::{AttrPath, Diagnostic};

/// Create requests sent at most for one resource while their outcomes stay unclear.
pub const MAX_SENDS: u32 = 3;
/// Pause between an unclear answer and the listing that looks for its cluster, so an API whose
/// listing lags its create a little still shows it.
pub const SETTLE: Duration = Duration::from_secs(2);

/// What the address of the resource is called in advice: the plugin protocol never tells a
/// provider its resource's address, but Terraform prints it above the diagnostic.
pub const ADDRESS: &str = "<this resource's address>";

/// One cluster as the account's listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub name: String,
    /// Deleted, or being deleted: never a duplicate, never adopted.
    pub gone: bool,
}

/// What listing the account gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Clusters(Vec<Listed>),
    /// The API has no listing (it answered, say, 404 or 501): creates go ahead without the
    /// duplicate check, and an unclear outcome cannot be reconciled. The text says why.
    Unavailable(String),
}

/// What a vendor's create error tells about the request.
pub trait CreateFailure: Display {
    /// The request may have reached the API, which may have acted, but its answer is lost or
    /// unusable: a 5xx, a timeout, a connection lost after sending, a success without an id.
    /// False when the API surely did not act (a 4xx, no connection, a rejected credential).
    fn may_have_acted(&self) -> bool;
}

/// The cluster a create is about, and how to speak of it.
#[derive(Debug, Clone)]
pub struct Target {
    /// "Instaclustr cluster", "CSS cluster": the start of summaries.
    pub noun: String,
    /// The planned name.
    pub name: String,
    /// The attribute holding the name; diagnostics point at it.
    pub name_attr: String,
    /// Identifies the account (endpoint and user or project) for the per-name lock.
    pub account: String,
    /// What the vendor calls what holds the clusters: "account", "project".
    pub scope: String,
    /// Stop when the account already has a live cluster with the name (crash recovery). Off for
    /// accounts that reuse names on purpose; the listing is still taken to reconcile.
    pub refuse_existing: bool,
    /// Extra advice in the "already exists" diagnostic (the setting that turns the check off).
    pub existing_hint: Option<String>,
    /// How a user finds a cluster by name in the account, for the "may exist" diagnostic.
    pub find_hint: String,
    pub max_sends: u32,
    pub settle: Duration,
}

impl Target {
    pub fn new(noun: &str, name: &str, name_attr: &str, account: &str) -> Target {
        Target {
            noun: noun.to_string(),
            name: name.to_string(),
            name_attr: name_attr.to_string(),
            account: account.to_string(),
            scope: "account".to_string(),
            refuse_existing: true,
            existing_hint: None,
            find_hint: "the vendor's console".to_string(),
            max_sends: MAX_SENDS,
            settle: SETTLE,
        }
    }
}

/// A create that ended with an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    /// Create requests sent.
    pub sends: u32,
    /// Set when the id came from the listing after an unclear answer: that answer, in words.
    pub adopted_after: Option<String>,
}

/// Why a create ended without an id.
#[derive(Debug)]
pub enum ReconcileError<E> {
    /// Cancelled before any create request went out.
    Cancelled,
    /// The listing before the create failed; nothing was sent.
    ListBefore(E),
    /// The account already has live clusters with the planned name; nothing was sent.
    Exists { ids: Vec<String> },
    /// The API refused the create: it surely did not act.
    Create(E),
    /// After an unclear answer the account shows several new clusters with the name.
    Several { ids: Vec<String>, unclear: String },
    /// Every create request had an unclear answer and no listing shows a new cluster.
    GaveUp { sends: u32, last: E },
    /// After an unclear answer the account could not be listed (`listing` says why), so the
    /// cluster may exist.
    Unverified { unclear: E, listing: String },
}

/// Creates the cluster `target` names through `create` (the POST, answering the new id), with
/// the account listed through `list` before it and after every unclear answer. See the module
/// documentation for the rules.
pub async fn create_reconciled<E, L, LF, C, CF>(
    target: &Target,
    cancel: &CancellationToken,
    mut list: L,
    mut create: C,
) -> Result<Created, ReconcileError<E>>
where
    E: CreateFailure,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Listing, E>>,
    C: FnMut() -> CF,
    CF: Future<Output = Result<String, E>>,
{
    let lock = name_lock(&target.account, &target.name);
    let _turn = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(ReconcileError::Cancelled),
        turn = lock.lock_owned() => turn,
    };
    if cancel.is_cancelled() {
        return Err(ReconcileError::Cancelled);
    }

    let Some(before) =
        shared_listing::listing_before(&target.account, &target.name, cancel, &mut list).await
    else {
        return Err(ReconcileError::Cancelled);
    };
    let (before, unlistable) = match before.map_err(ReconcileError::ListBefore)? {
        Listing::Clusters(all) => (Some(all), String::new()),
        Listing::Unavailable(why) => {
            tracing::warn!(
                name = target.name.as_str(),
                why = why.as_str(),
                "the account cannot be listed: creating without the duplicate-name check"
            );
            (None, why)
        }
    };
    if let Some(before) = &before {
        let existing = live_named(before, &target.name);
        if target.refuse_existing && !existing.is_empty() {
            return Err(ReconcileError::Exists { ids: existing });
        }
    }
    let known: BTreeSet<String> = before.iter().flatten().map(|c| c.id.clone()).collect();

    // Set once a request may have acted: from then on every failure is looked up, not trusted.
    let mut unclear_seen = false;
    let mut sends = 0;
    loop {
        sends += 1;
        shared_listing::posting(&target.account, &target.name);
        let err = match create().await {
            Ok(id) => {
                return Ok(Created {
                    id,
                    sends,
                    adopted_after: None,
                })
            }
            Err(err) => err,
        };
        let unclear = err.may_have_acted();
        if !unclear && !unclear_seen {
            return Err(ReconcileError::Create(err));
        }
        unclear_seen = true;
        tracing::warn!(
            name = target.name.as_str(),
            sends,
            error = %err,
            "the create's outcome is unclear: listing the account to find the cluster"
        );
        if before.is_none() {
            return Err(ReconcileError::Unverified {
                unclear: err,
                listing: unlistable,
            });
        }
        if !sleep(target.settle, cancel).await {
            return Err(ReconcileError::Unverified {
                unclear: err,
                listing: format!(
                    "the operation was cancelled before the {} could be listed",
                    target.scope
                ),
            });
        }
        let after = match list().await {
            Ok(Listing::Clusters(all)) => all,
            Ok(Listing::Unavailable(why)) => {
                return Err(ReconcileError::Unverified {
                    unclear: err,
                    listing: why,
                })
            }
            Err(list_err) => {
                return Err(ReconcileError::Unverified {
                    unclear: err,
                    listing: format!("listing the {}'s clusters failed: {list_err}", target.scope),
                })
            }
        };
        let mut new: Vec<String> = live_named(&after, &target.name)
            .into_iter()
            .filter(|id| !known.contains(id))
            .collect();
        match new.len() {
            1 => {
                let id = new.remove(0);
                tracing::warn!(
                    name = target.name.as_str(),
                    id = id.as_str(),
                    "the create's answer was unclear, but the cluster exists: adopting it"
                );
                return Ok(Created {
                    id,
                    sends,
                    adopted_after: Some(err.to_string()),
                });
            }
            0 if !unclear => return Err(ReconcileError::Create(err)),
            0 if sends >= target.max_sends.max(1) => {
                return Err(ReconcileError::GaveUp { sends, last: err })
            }
            0 => {
                tracing::info!(
                    name = target.name.as_str(),
                    sends,
                    "no cluster was created behind the unclear answer: sending the create again"
                );
            }
            _ => {
                return Err(ReconcileError::Several {
                    ids: new,
                    unclear: err.to_string(),
                })
            }
        }
    }
}

/// Ids of the clusters called `name` that are not gone, in listing order, each once.
fn live_named(clusters: &[Listed], name: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for c in clusters {
        if c.name == name && !c.gone && !c.id.trim().is_empty() && !ids.contains(&c.id) {
            ids.push(c.id.clone());
        }
    }
    ids
}

/// False when cancelled first.
async fn sleep(duration: Duration, cancel: &CancellationToken) -> bool {
    if duration.is_zero() {
        return !cancel.is_cancelled();
    }
    tokio::select! {
        biased;
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(duration) => true,
    }
}

type NameLocks = Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>;

/// The process-wide lock of one (account, name). Entries nobody holds are dropped as others
/// are made, so the table stays as small as the creates in flight.
fn name_lock(account: &str, name: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<NameLocks> = OnceLock::new();
    let key = format!("{account}\n{name}");
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(lock) = locks.get(&key).and_then(Weak::upgrade) {
        return lock;
    }
    locks.retain(|_, lock| lock.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(key, Arc::downgrade(&lock));
    lock
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

/// How to bring cluster `id` under this resource: the command and the import block.
pub fn import_advice(id: &str) -> String {
    format!(
        "  terraform import {ADDRESS} {id}\n\nor, with Terraform 1.5 or later, an import block:\n\n  import {{\n    to = {ADDRESS}\n    id = {id:?}\n  }}"
    )
}

/// One import command per id, for "import the one this resource should manage".
fn import_commands(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("  terraform import {ADDRESS} {id}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where the resource's address is, for text that says "<this resource's address>".
pub const ADDRESS_NOTE: &str = "(Terraform shows this resource's address above this message, after \"with\"; Terraform 0.13 shows its type and name in the \"in resource\" line.)";

impl<E: Display> ReconcileError<E> {
    /// The error as the user sees it, on the name attribute where the cluster is in question.
    pub fn diagnostic(&self, target: &Target) -> Diagnostic {
        let noun = &target.noun;
        let name = &target.name;
        let scope = &target.scope;
        let at = AttrPath::root(&target.name_attr);
        match self {
            ReconcileError::Cancelled => Diagnostic::error(
                format!("Creating the {noun} was cancelled"),
                format!("Nothing was sent: the create of {name:?} was cancelled while it waited for its turn."),
            ),
            ReconcileError::ListBefore(e) => Diagnostic::error(
                format!("Listing the {scope}'s clusters failed before creating {noun} {name:?}"),
                format!(
                    "Before a create the provider lists the {scope}'s clusters, to find one that an interrupted earlier create left behind. That listing failed, so nothing was created: {e}"
                ),
            ),
            ReconcileError::Exists { ids } => {
                let (has, advice) = match ids.as_slice() {
                    [id] => (
                        format!("a cluster named {name:?} (id {id})"),
                        format!("To manage the existing cluster with this resource, import it and apply again:\n\n{}", import_advice(id)),
                    ),
                    _ => (
                        format!("{} clusters named {name:?} (ids {})", ids.len(), ids.join(", ")),
                        format!("Import the one this resource should manage and apply again:\n\n{}", import_commands(ids)),
                    ),
                };
                let mut detail = format!(
                    "The {scope} already has {has}, but this resource has no id in Terraform's state. That is what a create leaves behind when the provider or Terraform is stopped before the new id reaches state, so nothing was created now, to avoid a second cluster. {advice}\n\n{ADDRESS_NOTE}"
                );
                if let Some(hint) = &target.existing_hint {
                    detail.push_str("\n\n");
                    detail.push_str(hint);
                }
                Diagnostic::error(format!("{noun} named {name:?} already exists"), detail).at(at)
            }
            ReconcileError::Create(e) => {
                Diagnostic::error(format!("Creating {noun} {name:?} failed"), e.to_string())
            }
            ReconcileError::Several { ids, unclear } => Diagnostic::error(
                format!("{noun} {name:?}: the create's outcome is unclear and several clusters match"),
                format!(
                    "The create request got no usable answer ({unclear}), and the {scope} now has {} new clusters named {name:?} (ids {}): a repeated request or another client created more than one. Terraform's state has none of them for this resource. Import the one it should manage, and delete the others:\n\n{}\n\n{ADDRESS_NOTE}",
                    ids.len(),
                    ids.join(", "),
                    import_commands(ids)
                ),
            )
            .at(at),
            ReconcileError::GaveUp { sends, last } => Diagnostic::error(
                format!("{noun} {name:?} could not be created"),
                format!(
                    "{sends} create requests got no usable answer (the last: {last}), and listing the {scope} after each showed no new cluster named {name:?}. Check the {scope} ({}) for a cluster with this name before applying again; if one appears, import it instead of creating another:\n\n  terraform import {ADDRESS} <its id>\n\n{ADDRESS_NOTE}",
                    target.find_hint
                ),
            )
            .at(at),
            ReconcileError::Unverified { unclear, listing } => {
                let again = if target.refuse_existing {
                    "Applying again without the import does not make a second cluster: the create stops with the existing cluster's id."
                } else {
                    "Applying again without the import creates a second cluster with the same name."
                };
                Diagnostic::error(
                    format!("{noun} {name:?} may exist"),
                    format!(
                        "The create request got no usable answer ({unclear}), so the API may have created the cluster, and {listing}. Terraform's state has no id for it. Look for a cluster named {name:?} in the {scope} ({}); if it exists, import it before applying again:\n\n  terraform import {ADDRESS} <its id>\n\n{again} {ADDRESS_NOTE}",
                        target.find_hint
                    ),
                )
                .at(at)
            }
        }
    }
}

impl<E: Display> Display for ReconcileError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReconcileError::Cancelled => f.write_str("cancelled before the create was sent"),
            ReconcileError::ListBefore(e) => write!(f, "listing before the create failed: {e}"),
            ReconcileError::Exists { ids } => write!(f, "already exists: {}", ids.join(", ")),
            ReconcileError::Create(e) => e.fmt(f),
            ReconcileError::Several { ids, .. } => {
                write!(f, "several new clusters match: {}", ids.join(", "))
            }
            ReconcileError::GaveUp { sends, last } => {
                write!(f, "{sends} unclear create answers: {last}")
            }
            ReconcileError::Unverified { unclear, listing } => {
                write!(f, "may exist ({unclear}); {listing}")
            }
        }
    }
}

mod shared_listing;
pub use shared_listing::LISTING_REUSE;

#[cfg(test)]
mod tests;
