//! The concurrent waits of one project share the cluster list (`GET …/clusters`, every
//! cluster's status in one request, page by page) instead of reading each cluster; see
//! [`crate::framework::shared_status`]. The listed status only tells a wait when to read its
//! cluster: the detail read decides.

use std::collections::HashMap;
use std::future::Future;

use super::client::{ApiError, ClusterDetail, ClusterList, CssClient};
use crate::framework::poll::{Poll, WaitError};
use crate::framework::shared_status::{wait_listed, Boards, Listed, Priority, Watch};
use crate::framework::Ctx;

/// The boards of one client, by what the waits wait for.
pub type StatusBoards = Boards<ClusterDetail>;

/// A cluster being created: pending while listed and neither ready nor failed ("303").
pub fn available(listed: Option<&ClusterDetail>) -> Listed {
    match listed {
        Some(d) if !d.is_ready() && d.status() != "303" => {
            Listed::Pending(format!("status {}, actions {:?}", d.status(), d.actions))
        }
        _ => Listed::Look,
    }
}

/// A cluster being deleted: pending while it is listed at all.
pub fn deleted(listed: Option<&ClusterDetail>) -> Listed {
    match listed {
        Some(d) => Listed::Pending(format!("status {}, actions {:?}", d.status(), d.actions)),
        None => Listed::Look,
    }
}

/// Waits for cluster `id` on the board `kind` of `client`, reading it through `read`. Without
/// a list endpoint the listing fails, and the waits read their own clusters.
pub async fn shared_wait<T, E, V, R, RF>(
    client: &CssClient,
    ctx: &Ctx,
    kind: &'static str,
    what: &str,
    id: &str,
    verdict: V,
    read: R,
) -> Result<T, WaitError<E>>
where
    E: std::fmt::Display + From<ApiError>,
    V: Fn(Option<&ClusterDetail>) -> Listed,
    R: Fn(Priority) -> RF,
    RF: Future<Output = Result<Poll<T>, E>>,
{
    let board = client.boards().board(kind);
    let cancel = ctx.cancel_token();
    let list = || async {
        match client
            .at(Priority::Background)
            .list_clusters_if_offered(cancel)
            .await?
        {
            ClusterList::Clusters(all) => Ok::<_, E>(
                all.into_iter()
                    .filter_map(|d| Some((d.id.clone()?, d)))
                    .collect::<HashMap<_, _>>(),
            ),
            ClusterList::NotOffered { status } => Err(E::from(ApiError::Decode(format!(
                "the cluster list is not offered (HTTP {status})"
            )))),
        }
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

    fn cluster(status: &str) -> ClusterDetail {
        ClusterDetail {
            id: Some("c1".into()),
            status: Some(status.into()),
            ..ClusterDetail::default()
        }
    }

    #[test]
    fn a_listed_cluster_is_read_once_it_is_ready_failed_or_missing() {
        assert!(matches!(
            available(Some(&cluster("100"))),
            Listed::Pending(_)
        ));
        assert_eq!(available(Some(&cluster("200"))), Listed::Look);
        assert_eq!(available(Some(&cluster("303"))), Listed::Look);
        assert_eq!(available(None), Listed::Look);
        assert!(matches!(deleted(Some(&cluster("200"))), Listed::Pending(_)));
        assert_eq!(deleted(None), Listed::Look);
    }
}
