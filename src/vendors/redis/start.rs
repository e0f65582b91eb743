//! Starting a bootstrap without ever starting two, and without giving up on a node that is
//! still coming up.
//!
//! Every round first asks the node where it is (`GET /v1/bootstrap`). A bootstrap already
//! running or done is adopted instead of posted again: it is either this apply's own (a POST
//! whose answer was lost) or one that an earlier run started and could not record (a provider
//! killed mid-create). Only an idle or failed node gets a POST. The POST is repeated when the
//! node surely did not act (503 while its services start, 429, refused connection: a second
//! POST while one runs would get 409 anyway); when it may have acted (another 5xx, a timeout, a
//! reset), the next round's look at the node tells.

use std::time::{Duration, Instant};

use super::client::{ApiError, BootstrapInfo, BootstrapRequest, NodeClient, StartOutcome};
use crate::framework::poll::Backoff;
use crate::framework::Ctx;

/// How long a node may keep answering "not ready" (or not answering at all) before the start
/// gives up: a freshly installed node's services take a while to come up.
pub const STARTUP_GRACE: Duration = Duration::from_secs(180);

/// Pauses between rounds while the node is not ready.
pub const ROUNDS: Backoff = Backoff {
    first: Duration::from_secs(1),
    max: Duration::from_secs(15),
    factor: 2.0,
};

/// Bootstrap states in which a bootstrap has started (and may still be running).
pub const RUNNING_STATES: &[&str] = &[
    "initiated",
    "creating_cluster",
    "joining_cluster",
    "recovering_cluster",
];

pub fn is_running(state: Option<&str>) -> bool {
    state.is_some_and(|s| RUNNING_STATES.contains(&s))
}

/// How the bootstrap came to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Started {
    /// A POST of this apply was accepted (200): the bootstrap is this resource's own.
    Posted,
    /// The node was bootstrapping, or done, when it was asked. `before_posting`: it was so
    /// before this apply sent anything (an earlier run's bootstrap); otherwise a POST of this
    /// apply may have started it (its answer was lost or was a 409). Either way its
    /// configuration is checked once it completes.
    Adopted {
        before_posting: bool,
        /// What the node reported when it was found (empty after a 409).
        info: Box<BootstrapInfo>,
    },
}

/// Why no bootstrap could be started or found.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A definite refusal (400, 401, 404, …) or a transport problem that will not heal.
    #[error(transparent)]
    Api(ApiError),
    /// The node kept answering "not ready" (or not at all) for the whole grace period.
    #[error("the node was not ready to bootstrap for {waited}; its last answer: {last}")]
    NotReady { waited: String, last: ApiError },
    /// A POST may have reached the node, and the node could not be asked afterwards.
    #[error("the bootstrap request got no clear answer ({first}), and the node could not be asked whether it started: {last}")]
    Unknown { first: String, last: ApiError },
    /// Cancelled (Terraform stop, or the create timeout).
    #[error("{0}")]
    Stopped(String),
}

impl StartError {
    /// The node may be bootstrapping: the resource should stay in state (tainted).
    pub fn may_have_started(&self) -> bool {
        matches!(self, StartError::Unknown { .. })
    }
}

/// Finds or starts the bootstrap `request` describes on `node`, within `grace` of the node
/// not being ready, pausing by `rounds` in between.
pub async fn start_or_adopt(
    ctx: &Ctx,
    node: &NodeClient,
    request: &BootstrapRequest,
    rounds: Backoff,
    grace: Duration,
) -> Result<Started, StartError> {
    let cancel = ctx.cancel_token();
    let mut posted = false;
    // The first POST failure whose outcome is unknown, for the error text.
    let mut unknown: Option<String> = None;
    let mut unready_since: Option<Instant> = None;
    let mut delay = rounds.first;
    loop {
        if let Some(reason) = ctx.cancel_reason() {
            return Err(StartError::Stopped(reason));
        }
        let failure = match node.bootstrap_status(cancel).await {
            Ok(info) if info.state() == Some("completed") || is_running(info.state()) => {
                return Ok(Started::Adopted {
                    before_posting: !posted,
                    info: Box::new(info),
                });
            }
            // idle, error (a new bootstrap is allowed from there) or a state this client does
            // not know: the node says nothing runs.
            Ok(_) => {
                posted = true;
                match node.start_bootstrap(request, cancel).await {
                    Ok(StartOutcome::Accepted) => return Ok(Started::Posted),
                    Ok(StartOutcome::AlreadyRunning) => {
                        return Ok(Started::Adopted {
                            before_posting: false,
                            info: Box::default(),
                        })
                    }
                    Err(e) if e.node_not_ready() => e,
                    Err(e) if e.outcome_unknown() => {
                        tracing::info!(endpoint = %node.endpoint(), error = %e, "no clear answer to the bootstrap request; asking the node whether it started");
                        unknown.get_or_insert_with(|| e.to_string());
                        e
                    }
                    Err(e) => return Err(StartError::Api(e)),
                }
            }
            Err(e) if e.is_transient() => e,
            Err(e) => return Err(StartError::Api(e)),
        };
        if failure.is_cancelled() {
            return Err(StartError::Stopped(
                ctx.cancel_reason()
                    .unwrap_or_else(|| "request cancelled".to_string()),
            ));
        }
        let since = *unready_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= grace {
            return Err(match unknown {
                Some(first) => StartError::Unknown {
                    first,
                    last: failure,
                },
                None => StartError::NotReady {
                    waited: humantime::format_duration(round_secs(since.elapsed())).to_string(),
                    last: failure,
                },
            });
        }
        tracing::info!(endpoint = %node.endpoint(), error = %failure, wait_ms = delay.as_millis() as u64, "node not ready to bootstrap; trying again");
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = tokio::time::sleep(delay) => {}
        }
        delay = delay.mul_f64(rounds.factor).min(rounds.max);
    }
}

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs().max(1))
}

#[cfg(test)]
mod tests;
