//! The concurrent waits of one account share `GET /provisioning/v1` (every cluster's
//! `derivedStatus` in one request) instead of polling each cluster under the 2.5 s limit; see
//! [`crate::framework::shared_status`]. A listed status only tells a wait when to read its
//! cluster: what the detail read says decides, as in a wait of its own.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use super::client::{ApiError, InstaclustrClient};
use crate::framework::poll::{Poll, WaitError};
use crate::framework::shared_status::{wait_listed, Boards, Listed, Priority, Watch};
use crate::framework::Ctx;

/// The boards of one client: by the status waited for.
pub type StatusBoards = Boards<String>;

pub fn boards(interval: Duration) -> StatusBoards {
    Boards::new(interval)
}

/// What a listed status means for a wait for `target` (RUNNING or PROVISIONED): statuses on the
/// way there are pending; anything else (there, FAILED, DEFERRED, missing, unknown) is read.
pub fn toward(target: &str, listed: Option<&String>) -> Listed {
    let Some(status) = listed else {
        return Listed::Look;
    };
    let on_the_way: &[&str] = match target {
        "PROVISIONED" => &["GENESIS", "PROVISIONING"],
        _ => &["GENESIS", "PROVISIONING", "PROVISIONED", "JOINING"],
    };
    if on_the_way.iter().any(|s| status.eq_ignore_ascii_case(s)) {
        Listed::Pending(status.clone())
    } else {
        Listed::Look
    }
}

/// A cluster being deleted is pending while it is listed with any status but DELETED.
pub fn deleted(listed: Option<&String>) -> Listed {
    match listed {
        Some(status) if !status.eq_ignore_ascii_case("DELETED") => Listed::Pending(status.clone()),
        _ => Listed::Look,
    }
}

/// Waits for cluster `id` on the board `kind` of `client`, reading it through `read`.
pub async fn shared_wait<T, E, V, R, RF>(
    client: &InstaclustrClient,
    ctx: &Ctx,
    kind: &'static str,
    what: &str,
    id: &str,
    verdict: V,
    read: R,
) -> Result<T, WaitError<E>>
where
    E: std::fmt::Display + From<ApiError>,
    V: Fn(Option<&String>) -> Listed,
    R: Fn(Priority) -> RF,
    RF: Future<Output = Result<Poll<T>, E>>,
{
    let board = client.boards().board(kind);
    let cancel = ctx.cancel_token();
    let list = || async {
        let all = client
            .at(Priority::Background)
            .list_clusters(cancel)
            .await?;
        Ok::<_, E>(
            all.into_iter()
                .filter_map(|c| Some((c.id?, c.derived_status.unwrap_or_default())))
                .collect::<HashMap<_, _>>(),
        )
    };
    wait_listed(
        &board,
        ctx,
        Watch {
            what,
            id,
            list,
            verdict,
            read,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_on_the_way_are_pending_the_rest_is_read() {
        let s = |v: &str| Some(v.to_string());
        assert!(matches!(
            toward("RUNNING", s("PROVISIONED").as_ref()),
            Listed::Pending(_)
        ));
        assert_eq!(toward("RUNNING", s("RUNNING").as_ref()), Listed::Look);
        assert_eq!(toward("RUNNING", s("FAILED").as_ref()), Listed::Look);
        assert_eq!(toward("RUNNING", s("SOMETHING_NEW").as_ref()), Listed::Look);
        assert_eq!(toward("RUNNING", None), Listed::Look);
        assert_eq!(
            toward("PROVISIONED", s("PROVISIONED").as_ref()),
            Listed::Look
        );
        assert!(matches!(
            toward("PROVISIONED", s("genesis").as_ref()),
            Listed::Pending(_)
        ));
        assert!(matches!(
            deleted(s("DELETING").as_ref()),
            Listed::Pending(_)
        ));
        assert_eq!(deleted(s("DELETED").as_ref()), Listed::Look);
        assert_eq!(deleted(None), Listed::Look);
    }
}
