//! Waits that share one status listing instead of polling each object.
//!
//! APIs that can report many objects in one request (Instaclustr's cluster list, CSS's) let the
//! concurrent waits of one provider process share a single status request per pause: twenty
//! creates under a 2.5 s rate limit would otherwise spend twenty slots per round on polls and
//! push every create, delete and final read back. A [`StatusBoard`] is the meeting point of the
//! waits of one kind (say, "clusters to reach RUNNING" of one account):
//!
//! - a wait that is alone on its board polls its own object, as a plain wait would (one detail
//!   read costs the same slot as a listing, and answers more);
//! - concurrent waits share one listing per pause: whoever needs one first fetches it, the others
//!   take its result; a wait whose object the listing shows settled (or missing, or anything the
//!   vendor's verdict does not recognise as progress) reads its own object once, and that read
//!   decides, so a listing never ends a wait by itself;
//! - once one object of the board has settled, the board knows how long settling typically takes
//!   (the shortest join-to-settled time seen, measured at the answer that showed it), and each
//!   wait reads its own object when that time has passed instead of joining listings: objects
//!   created one slot apart then cost one read each, one slot apart, which is what keeps a
//!   rate-limited apply at its floor. A prediction that was too early falls back to listings;
//! - listings hold back while a predicted read is due within two pauses, so they do not take
//!   the slot that read needs;
//! - with a [`HostNote`] (an API with a request interval, whose slots all processes of the host
//!   share), the typical time is also left for the boards of the other provider processes, and
//!   taken from them: their waits then predict too instead of listing until one of their own
//!   objects settles.
//!
//! Status polls go out as background requests (they yield to creates and deletes); the read a
//! listing or a prediction calls for is likely the final one and goes out in the foreground.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::context::Ctx;
use super::poll::{Backoff, Poll, WaitError};
use crate::http::HostNote;

/// What a listing says about one waited-for object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// Settled, failed, missing or unknown: the wait reads the object itself.
    Look,
    /// Still on its way; the text (the listed status) goes into logs and timeout errors.
    Pending(String),
}

/// How urgent a read is, for the HTTP layer's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Likely the final read of the wait: it queues with creates and deletes.
    Foreground,
    /// A status poll: it yields to every foreground request.
    Background,
}

/// The listing of a board as the waits see it: each object's status by id, or why the
/// listing failed.
#[derive(Debug)]
struct Snapshot<S> {
    generation: u64,
    /// When the listing was asked for: before any request of it was sent.
    requested_at: Instant,
    /// When it was answered: what it shows was so at this instant at the latest.
    answered_at: Instant,
    statuses: Result<HashMap<String, S>, String>,
}

#[derive(Debug)]
struct State<S> {
    next_ticket: u64,
    /// The waits on the board, with the instant each plans to read its object, if it does.
    waits: HashMap<u64, Option<Instant>>,
    latest: Option<Arc<Snapshot<S>>>,
    fetching: bool,
    /// No listing starts before this.
    next_listing: Instant,
    /// Listings since a wait joined or settled, for the backoff of an unlimited API.
    quiet_listings: u32,
    /// The listing failed lately: until then every wait polls its own object.
    listing_broken_until: Option<Instant>,
    typical: Option<Duration>,
    /// When the host note was last read, so that many waits do not read it at every step.
    note_read_at: Option<Instant>,
}

/// The meeting point of the concurrent waits of one kind; see the module documentation.
#[derive(Debug)]
pub struct StatusBoard<S> {
    state: Mutex<State<S>>,
    news: Notify,
    /// The API's request interval; zero means listings back off from half a second.
    interval: Duration,
    backoff: Backoff,
    /// The typical time as the other provider processes of this host learned it.
    note: Option<HostNote>,
}

/// How often a board without a typical time of its own looks at the host note.
const NOTE_READ_PAUSE: Duration = Duration::from_millis(500);

/// How long a failed listing sends the waits back to their own polls.
const BROKEN_LISTING_RETRY: Duration = Duration::from_secs(60);
/// The pauses between listings of an API without a request interval.
const LISTING_BACKOFF: Backoff = Backoff {
    first: Duration::from_millis(500),
    max: Duration::from_secs(5),
    factor: 1.5,
};

impl<S> StatusBoard<S> {
    pub fn new(interval: Duration) -> Self {
        StatusBoard {
            state: Mutex::new(State {
                next_ticket: 0,
                waits: HashMap::new(),
                latest: None,
                fetching: false,
                next_listing: Instant::now(),
                quiet_listings: 0,
                listing_broken_until: None,
                typical: None,
                note_read_at: None,
            }),
            news: Notify::new(),
            interval,
            backoff: Backoff::default(),
            note: None,
        }
    }

    /// The same board sharing its typical time through `note` (see the module documentation).
    pub fn with_note(mut self, note: Option<HostNote>) -> Self {
        self.note = note;
        self
    }

    /// Takes the other processes' typical time while this board has none of its own.
    fn consult_note(&self, state: &mut State<S>) {
        let Some(note) = &self.note else { return };
        let now = Instant::now();
        let due = state
            .note_read_at
            .is_none_or(|at| now.duration_since(at) >= NOTE_READ_PAUSE);
        if state.typical.is_none() && due {
            state.note_read_at = Some(now);
            state.typical = note.read();
        }
    }

    /// The same board with another backoff for the waits' own polls (tests use short ones).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// How long settling has taken at least, once an object of this board settled.
    pub fn typical(&self) -> Option<Duration> {
        self.lock().typical
    }

    /// The number of waits on the board now.
    pub fn waiting(&self) -> usize {
        self.lock().waits.len()
    }

    fn lock(&self) -> MutexGuard<'_, State<S>> {
        // The state holds plain values; a panic elsewhere leaves them meaningful.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn join(&self) -> Seat<'_, S> {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waits.insert(ticket, None);
        state.quiet_listings = 0;
        Seat {
            board: self,
            ticket,
            joined: Instant::now(),
        }
    }

    /// The pause after a listing: the request interval, or a backoff while nothing changes.
    fn pause(&self, quiet_listings: u32) -> Duration {
        if !self.interval.is_zero() {
            return self.interval;
        }
        let grown = LISTING_BACKOFF
            .first
            .mul_f64(LISTING_BACKOFF.factor.powi(quiet_listings.min(32) as i32));
        grown.min(LISTING_BACKOFF.max)
    }
}

/// One wait's place on a board; leaving it (also by cancellation) frees the seat.
struct Seat<'a, S> {
    board: &'a StatusBoard<S>,
    ticket: u64,
    joined: Instant,
}

impl<S> Drop for Seat<'_, S> {
    fn drop(&mut self) {
        self.board.lock().waits.remove(&self.ticket);
    }
}

/// What a wait does next.
enum Step {
    /// Read the object at the given instant (the typical settling time has passed then).
    Predicted(Instant),
    /// Alone, or the listing is broken: poll the object itself.
    OwnPoll,
    /// Take part in the shared listing.
    Listing,
}

impl<S> Seat<'_, S> {
    fn step(&self, prediction_tried: bool) -> Step {
        let mut state = self.board.lock();
        self.board.consult_note(&mut state);
        let now = Instant::now();
        if let (Some(typical), false) = (state.typical, prediction_tried) {
            let at = self.joined + typical;
            state.waits.insert(self.ticket, Some(at));
            return Step::Predicted(at);
        }
        state.waits.insert(self.ticket, None);
        let broken = state.listing_broken_until.is_some_and(|until| now < until);
        if broken || state.waits.len() <= 1 {
            Step::OwnPoll
        } else {
            Step::Listing
        }
    }

    /// The object settled: `observed_at` is when the request that showed it was answered (a
    /// request queues for its turn, so the time it was asked for would be too early).
    fn settled(&self, observed_at: Instant) {
        let mut state = self.board.lock();
        let took = observed_at.saturating_duration_since(self.joined);
        let typical = state.typical.map_or(took, |t| t.min(took));
        state.typical = Some(typical);
        state.quiet_listings = 0;
        if let Some(note) = &self.board.note {
            if note.read().is_none_or(|shared| typical < shared) {
                note.write(typical);
            }
        }
    }
}

/// What [`wait_listed`] needs to know about one object and its API.
pub struct Watch<'a, L, V, R> {
    /// "cluster 1234 to reach RUNNING", for logs and errors.
    pub what: &'a str,
    /// The object's id as the listing reports it.
    pub id: &'a str,
    /// One listing of the board's objects (a background request): statuses by id.
    pub list: L,
    /// What a listed status (None: not listed) means for this wait.
    pub verdict: V,
    /// One read of the object; `Ready` ends the wait.
    pub read: R,
}

/// Waits until `watch.read` answers Ready, sharing listings with the other waits of `board`
/// (see the module documentation). Stops when the context is cancelled or times out.
pub async fn wait_listed<S, T, E, L, LF, V, R, RF>(
    board: &StatusBoard<S>,
    ctx: &Ctx,
    watch: Watch<'_, L, V, R>,
) -> Result<T, WaitError<E>>
where
    E: std::fmt::Display,
    L: Fn() -> LF,
    LF: Future<Output = Result<HashMap<String, S>, E>>,
    V: Fn(Option<&S>) -> Listed,
    R: Fn(Priority) -> RF,
    RF: Future<Output = Result<Poll<T>, E>>,
{
    let seat = board.join();
    let stopped = |last: &str, reason: String| WaitError::Stopped {
        what: watch.what.to_string(),
        last: last.to_string(),
        reason,
    };
    let mut last = String::from("(not checked yet)");
    let mut prediction_tried = false;
    let mut own_delay = board.backoff.first;
    let mut seen = 0u64;
    loop {
        if let Some(reason) = ctx.cancel_reason() {
            return Err(stopped(&last, reason));
        }
        // `listed_at`: when a listing showed the object settled, for the typical time.
        let (priority, listed_at) = match seat.step(prediction_tried) {
            Step::Predicted(at) => {
                prediction_tried = true;
                if !sleep_until(ctx, at).await {
                    continue;
                }
                (Priority::Foreground, None)
            }
            Step::OwnPoll => match read_once(ctx, &watch, Priority::Background, &mut last).await? {
                Some(done) => {
                    seat.settled(Instant::now());
                    return Ok(done);
                }
                None => {
                    let jitter = 1.0 + (fastrand::f64() - 0.5) * 0.2;
                    sleep_until(ctx, Instant::now() + own_delay.mul_f64(jitter)).await;
                    own_delay = own_delay
                        .mul_f64(board.backoff.factor)
                        .min(board.backoff.max);
                    continue;
                }
            },
            Step::Listing => {
                let Some(snapshot) =
                    next_listing(board, ctx, &seat, seen, !prediction_tried, &watch.list).await
                else {
                    continue;
                };
                seen = snapshot.generation;
                match &snapshot.statuses {
                    Ok(statuses) => match (watch.verdict)(statuses.get(watch.id)) {
                        Listed::Look => (Priority::Foreground, Some(snapshot.answered_at)),
                        Listed::Pending(status) => {
                            tracing::debug!(
                                what = watch.what,
                                status = status.as_str(),
                                "still waiting (listed)"
                            );
                            last = status;
                            continue;
                        }
                    },
                    // The listing did not answer: the object's own read does.
                    Err(_) => (Priority::Foreground, None),
                }
            }
        };
        let asked_at = Instant::now();
        if let Some(done) = read_once(ctx, &watch, priority, &mut last).await? {
            // A read that queued for its turn saw the object when it was answered.
            seat.settled(listed_at.unwrap_or_else(Instant::now));
            return Ok(done);
        }
        if asked_at.elapsed() < own_delay {
            // Not there yet although the prediction or the listing said so: not straight again.
            sleep_until(ctx, asked_at + own_delay).await;
        }
    }
}

/// One read of the object: `Some` when it is ready, `None` with `last` updated when not.
async fn read_once<T, E, L, V, R, RF>(
    ctx: &Ctx,
    watch: &Watch<'_, L, V, R>,
    priority: Priority,
    last: &mut String,
) -> Result<Option<T>, WaitError<E>>
where
    R: Fn(Priority) -> RF,
    RF: Future<Output = Result<Poll<T>, E>>,
{
    match (watch.read)(priority).await {
        Ok(Poll::Ready(done)) => Ok(Some(done)),
        Ok(Poll::Pending(status)) => {
            tracing::debug!(what = watch.what, status = status.as_str(), "still waiting");
            *last = status;
            Ok(None)
        }
        Err(e) => match ctx.cancel_reason() {
            // A read that failed because the wait was cancelled reports the cancellation.
            Some(reason) => Err(WaitError::Stopped {
                what: watch.what.to_string(),
                last: last.clone(),
                reason,
            }),
            None => Err(WaitError::Check(e)),
        },
    }
}

/// A listing newer than generation `seen` and requested after this wait joined: fetched by
/// this wait when it is the first to need one, else another's. `None` when the wait should
/// plan again (cancelled, or a prediction it has not tried came up meanwhile).
async fn next_listing<S, E, L, LF>(
    board: &StatusBoard<S>,
    ctx: &Ctx,
    seat: &Seat<'_, S>,
    seen: u64,
    may_predict: bool,
    list: &L,
) -> Option<Arc<Snapshot<S>>>
where
    E: std::fmt::Display,
    L: Fn() -> LF,
    LF: Future<Output = Result<HashMap<String, S>, E>>,
{
    loop {
        let news = board.news.notified();
        tokio::pin!(news);
        news.as_mut().enable();
        let wake_at = {
            let mut state = board.lock();
            if let Some(latest) = &state.latest {
                if latest.generation > seen && latest.requested_at >= seat.joined {
                    return Some(Arc::clone(latest));
                }
            }
            board.consult_note(&mut state);
            if may_predict && state.typical.is_some() {
                // A prediction is available now: the wait reads at its own time instead.
                return None;
            }
            let now = Instant::now();
            let pause = board.pause(state.quiet_listings);
            let held_until = state
                .waits
                .values()
                .flatten()
                .filter(|at| **at > now && **at <= now + pause * 2)
                .max()
                .copied();
            match (state.fetching, held_until) {
                (false, None) if now >= state.next_listing => {
                    state.fetching = true;
                    None
                }
                (true, _) => Some(now + pause),
                (false, held) => Some(held.unwrap_or(state.next_listing).max(state.next_listing)),
            }
        };
        match wake_at {
            None => {
                return tokio::select! {
                    biased;
                    _ = ctx.cancel_token().cancelled() => None,
                    snapshot = fetch(board, list) => Some(snapshot),
                }
            }
            Some(at) => {
                tokio::select! {
                    _ = ctx.cancel_token().cancelled() => return None,
                    _ = &mut news => {}
                    _ = tokio::time::sleep_until(at) => {}
                }
            }
        }
    }
}

/// Sends the board's listing and publishes it; this wait holds `fetching` meanwhile.
async fn fetch<S, E, L, LF>(board: &StatusBoard<S>, list: &L) -> Arc<Snapshot<S>>
where
    E: std::fmt::Display,
    L: Fn() -> LF,
    LF: Future<Output = Result<HashMap<String, S>, E>>,
{
    // Dropped unfinished (the wait was cancelled): the next wait that needs a listing fetches.
    struct Fetching<'a, S>(&'a StatusBoard<S>, bool);
    impl<S> Drop for Fetching<'_, S> {
        fn drop(&mut self) {
            if !self.1 {
                self.0.lock().fetching = false;
                self.0.news.notify_waiters();
            }
        }
    }
    let mut guard = Fetching(board, false);
    let requested_at = Instant::now();
    let statuses = list().await.map_err(|e| e.to_string());
    let answered_at = Instant::now();
    let mut state = board.lock();
    let generation = state.latest.as_ref().map_or(0, |s| s.generation) + 1;
    if let Err(why) = &statuses {
        tracing::debug!(
            error = why.as_str(),
            "status listing failed: waits poll their own objects"
        );
        state.listing_broken_until = Some(Instant::now() + BROKEN_LISTING_RETRY);
    }
    let snapshot = Arc::new(Snapshot {
        generation,
        requested_at,
        answered_at,
        statuses,
    });
    state.latest = Some(Arc::clone(&snapshot));
    state.next_listing = Instant::now() + board.pause(state.quiet_listings);
    state.quiet_listings = state.quiet_listings.saturating_add(1);
    state.fetching = false;
    guard.1 = true;
    drop(state);
    board.news.notify_waiters();
    snapshot
}

/// False when the context was cancelled first.
async fn sleep_until(ctx: &Ctx, at: Instant) -> bool {
    tokio::select! {
        biased;
        _ = ctx.cancel_token().cancelled() => false,
        _ = tokio::time::sleep_until(at) => true,
    }
}

/// The host note of a board's kind, if the boards share their typical times.
type NoteOf = dyn Fn(&'static str) -> Option<HostNote> + Send + Sync;

/// One board per kind of wait, made on first use: a client keeps one of these per account.
pub struct Boards<S> {
    interval: Duration,
    boards: Mutex<HashMap<&'static str, Arc<StatusBoard<S>>>>,
    note_of: Option<Box<NoteOf>>,
}

impl<S> std::fmt::Debug for Boards<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Boards")
            .field("interval", &self.interval)
            .field("shares_typical", &self.note_of.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> Boards<S> {
    pub fn new(interval: Duration) -> Self {
        Boards {
            interval,
            boards: Mutex::new(HashMap::new()),
            note_of: None,
        }
    }

    /// Boards that share their typical times with the other processes of the host through the
    /// note `note_of(kind)` gives (see the module documentation).
    pub fn sharing_typical(
        mut self,
        note_of: impl Fn(&'static str) -> Option<HostNote> + Send + Sync + 'static,
    ) -> Self {
        self.note_of = Some(Box::new(note_of));
        self
    }

    /// The board of `kind` ("RUNNING", "deleted", ...).
    pub fn board(&self, kind: &'static str) -> Arc<StatusBoard<S>> {
        let mut boards = self
            .boards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(boards.entry(kind).or_insert_with(|| {
            let note = self.note_of.as_ref().and_then(|note_of| note_of(kind));
            Arc::new(StatusBoard::new(self.interval).with_note(note))
        }))
    }
}

#[cfg(test)]
mod tests;
