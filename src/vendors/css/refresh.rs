//! One cluster as the API reports it now: the detail, the tags (from the tags endpoint when the
//! detail leaves them out) and the snapshot policy, mapped onto a [`Cluster`]. The resource's
//! read and the `css_cluster` data source both go through here, so they cannot drift apart.

use super::client::{ApiError, CssClient};
use super::model::Cluster;
use crate::framework::Ctx;

/// The cluster `id` on top of `base` (what the API leaves out keeps `base`'s value), or `None`
/// when it does not exist (404, or 403 CSS.0015).
pub async fn refresh(
    ctx: &Ctx,
    client: &CssClient,
    id: &str,
    mut base: Cluster,
) -> Result<Option<Cluster>, ApiError> {
    let Some(mut detail) = client.get_cluster(id, ctx.cancel_token()).await? else {
        return Ok(None);
    };
    if detail.tags.is_none() {
        // Not in this API version's detail: ask the tags endpoint, best effort.
        match client.get_tags(id, ctx.cancel_token()).await {
            Ok(tags) => detail.tags = tags,
            Err(e) if e.is_cancelled() => return Err(e),
            Err(e) => tracing::warn!(error = %e, "could not read the tags"),
        }
    }
    base.apply_detail(&detail);
    match client.get_snapshot_policy(id, ctx.cancel_token()).await {
        Ok(policy) => base.apply_policy(policy.as_ref()),
        Err(e) if e.is_cancelled() => return Err(e),
        // The policy is a side table: failing to read it must not block every refresh.
        Err(e) => ctx.warn(
            "Could not read the snapshot policy",
            format!("backup_strategy of cluster {id} keeps its previous value: {e}"),
        ),
    }
    Ok(Some(base))
}
