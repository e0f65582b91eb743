//! One pre-create listing shared by the concurrent creates of one account.
//!
//! Every create lists the account first (the duplicate-name check). Twenty creates started
//! together would send twenty identical listings, each taking a slot of a rate-limited API
//! before any create may go. They share one instead: a create that needs a listing while another
//! is being fetched waits for that one, and a listing requested less than [`LISTING_REUSE`] ago
//! serves again. It is not reused for a name this process has sent a create for since the
//! listing was requested: that create's cluster may be missing from it, and the second resource
//! with the name must see it (rule 1 of the module above).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Listing;

/// How long a listing serves the creates that follow it.
pub const LISTING_REUSE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Account {
    /// The last listing, with the instant it was requested.
    latest: Option<(Instant, Listing)>,
    /// When this process last sent a create for each name (only names created lately).
    posted: HashMap<String, Instant>,
}

type Accounts = Mutex<HashMap<String, Arc<tokio::sync::Mutex<Account>>>>;

fn account(key: &str) -> Arc<tokio::sync::Mutex<Account>> {
    static ACCOUNTS: OnceLock<Accounts> = OnceLock::new();
    let mut accounts = ACCOUNTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(accounts.entry(key.to_string()).or_default())
}

/// The listing a create of `name` in `account_key` starts from: a recent shared one, or a new
/// one through `list` (which only this caller runs; others wait for it). `None` when cancelled
/// before a listing was had. Errors are not shared: the next create lists again.
pub(super) async fn listing_before<E, L, LF>(
    account_key: &str,
    name: &str,
    cancel: &CancellationToken,
    list: &mut L,
) -> Option<Result<Listing, E>>
where
    L: FnMut() -> LF,
    LF: Future<Output = Result<Listing, E>>,
{
    let account = account(account_key);
    let mut account = tokio::select! {
        biased;
        _ = cancel.cancelled() => return None,
        account = account.lock() => account,
    };
    let now = Instant::now();
    account
        .posted
        .retain(|_, at| now.duration_since(*at) < LISTING_REUSE);
    if let Some((requested, listing)) = &account.latest {
        let fresh = now.duration_since(*requested) < LISTING_REUSE;
        let created_since = account.posted.get(name).is_some_and(|at| at >= requested);
        if fresh && !created_since {
            return Some(Ok(listing.clone()));
        }
    }
    let requested = Instant::now();
    let listed = tokio::select! {
        biased;
        _ = cancel.cancelled() => return None,
        listed = list() => listed,
    };
    if let Ok(listing) = &listed {
        account.latest = Some((requested, listing.clone()));
    }
    Some(listed)
}

/// This process is about to send a create for `name`: listings requested before now no longer
/// serve a create of the same name.
pub(super) fn posting(account_key: &str, name: &str) {
    let account = account(account_key);
    // The create holds the name's lock, so nobody lists for this name meanwhile; when another
    // name's listing holds the account, the note waits for it without blocking the runtime.
    let now = Instant::now();
    let noted = match account.try_lock() {
        Ok(mut held) => {
            held.posted.insert(name.to_string(), now);
            true
        }
        Err(_) => false,
    };
    if !noted {
        let name = name.to_string();
        tokio::spawn(async move {
            account.lock().await.posted.insert(name, now);
        });
    }
}
