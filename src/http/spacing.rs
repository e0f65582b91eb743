//! Request spacing and cancellable sleeping.
//!
//! Vendor rate limits count requests per caller, not per task, so the gate is one per client
//! (= per provider process) and shared by every concurrent resource operation. With a
//! non-zero interval it also goes through the [`HostGate`] of the request's origin, which holds
//! the interval across every process of the user on this host.
//!
//! Requests are foreground (creates, updates, deletes, the reads that end an operation) or
//! background (status polls while waiting for a cluster): when a turn comes, a background
//! request takes it only if no foreground request is waiting, here or, through the host gate,
//! in another process. Terraform's foreground traffic is finite, so background requests wait
//! but do not starve.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::host_gate::{Acquired, HostGate, HostTurn, Origin};
use super::HttpError;

/// Which requests go first when both kinds wait for the same turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Priority {
    /// Requests a Terraform operation is blocked on.
    #[default]
    Foreground,
    /// Requests that can wait for a quieter moment: status polls.
    Background,
}

/// A "next free slot" gate. With a non-zero interval, requests go one at a time and the next one
/// may start only `interval` after the previous one was answered: spacing the starts alone lets
/// two requests arrive closer than the interval when the first one waited for its connection,
/// and the APIs count arrivals.
#[derive(Debug)]
pub(crate) struct Spacer {
    interval: Duration,
    /// Caps a 429 hold-off read from the host gate (another process's `Retry-After`).
    retry_after_cap: Duration,
    /// The earliest instant the next request may start. `None` until the first request.
    next_slot: Mutex<Option<Instant>>,
    /// Held by the request in flight when spacing is on.
    in_flight: tokio::sync::Mutex<()>,
    /// Background requests queue here first, so they meet `in_flight` one at a time and
    /// in order.
    background_line: tokio::sync::Mutex<()>,
    /// Foreground requests waiting for `in_flight`.
    foreground_waiting: AtomicUsize,
    /// Present when the interval is non-zero and the user's gate directory is usable.
    hosts: Option<HostGate>,
}

/// The right to send one request; dropping it (once the answer is in) starts the interval.
pub(crate) struct Turn<'a> {
    spacer: &'a Spacer,
    // Released before `in_flight`, so the answer time is on file when the next local request
    // looks.
    host: Option<HostTurn>,
    _in_flight: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl Turn<'_> {
    /// A 429 said to hold off for `delay`: the limit is per caller, so every task of this
    /// process, and every process aimed at the same origin, waits too.
    pub(crate) fn throttled(&mut self, delay: Duration) {
        self.spacer.defer_until(Instant::now() + delay);
        if let Some(host) = self.host.as_mut() {
            host.defer_until(SystemTime::now() + delay);
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if !self.spacer.interval.is_zero() {
            self.spacer
                .defer_until(Instant::now() + self.spacer.interval);
        }
    }
}

/// Counts a foreground request as waiting until dropped (also when its wait is cancelled).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Spacer {
    /// `hosts` is used only with a non-zero interval.
    pub(crate) fn new(
        interval: Duration,
        retry_after_cap: Duration,
        hosts: Option<HostGate>,
    ) -> Self {
        Spacer {
            interval,
            retry_after_cap,
            next_slot: Mutex::new(None),
            in_flight: tokio::sync::Mutex::new(()),
            background_line: tokio::sync::Mutex::new(()),
            foreground_waiting: AtomicUsize::new(0),
            hosts: hosts.filter(|_| !interval.is_zero()),
        }
    }

    /// The cross-process gate, when this client spaces its requests.
    pub(crate) fn hosts(&self) -> Option<&HostGate> {
        self.hosts.as_ref()
    }

    /// Waits for this client's next turn to send to `origin` and returns it with the time spent
    /// waiting. Foreground requests are served in arrival order; background ones in arrival
    /// order among themselves, whenever no foreground request waits.
    pub(crate) async fn wait_turn(
        &self,
        origin: Option<&Origin>,
        priority: Priority,
        cancel: &CancellationToken,
    ) -> Result<(Turn<'_>, Duration), HttpError> {
        let began = Instant::now();
        if self.interval.is_zero() {
            // No queue at all; only a 429 may have pushed the slot back.
            self.sleep_until_slot(cancel).await?;
            return Ok((
                Turn {
                    spacer: self,
                    host: None,
                    _in_flight: None,
                },
                began.elapsed(),
            ));
        }
        let background = priority == Priority::Background;
        let _line = if background {
            Some(locked(&self.background_line, cancel).await?)
        } else {
            None
        };
        let mut waiting = (!background).then(|| Waiting::new(&self.foreground_waiting));
        loop {
            let guard = locked(&self.in_flight, cancel).await?;
            waiting.take();
            // The lock is fair: dropping it hands it to the foreground request queued behind,
            // and this one queues again after it.
            if background && self.foreground_is_waiting() {
                drop(guard);
                tokio::task::yield_now().await;
                continue;
            }
            self.sleep_until_slot(cancel).await?;
            if background && self.foreground_is_waiting() {
                drop(guard);
                tokio::task::yield_now().await;
                continue;
            }
            let host = match (&self.hosts, origin) {
                (Some(hosts), Some(origin)) => {
                    let acquired = hosts
                        .acquire(
                            origin,
                            self.interval,
                            self.retry_after_cap,
                            priority,
                            &|| self.foreground_is_waiting(),
                            cancel,
                        )
                        .await?;
                    match acquired {
                        Acquired::Turn(turn) => Some(turn),
                        Acquired::Unavailable => None,
                        Acquired::GiveWay(pause) => {
                            // Given back unused: the slot stays where it was.
                            drop(guard);
                            sleep(pause, cancel).await?;
                            tokio::task::yield_now().await;
                            continue;
                        }
                    }
                }
                _ => None,
            };
            return Ok((
                Turn {
                    spacer: self,
                    host,
                    _in_flight: Some(guard),
                },
                began.elapsed(),
            ));
        }
    }

    fn foreground_is_waiting(&self) -> bool {
        self.foreground_waiting.load(Ordering::SeqCst) > 0
    }

    async fn sleep_until_slot(&self, cancel: &CancellationToken) -> Result<(), HttpError> {
        let slot = {
            // A poisoned lock only means another task panicked while holding a plain Instant;
            // the value is still meaningful.
            let next = self
                .next_slot
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            *next
        };
        match slot {
            Some(at) if at > Instant::now() => sleep_until(at, cancel).await,
            _ => Ok(()),
        }
    }

    /// Pushes the gate back so that no request of this client starts before `until`.
    pub(crate) fn defer_until(&self, until: Instant) {
        let mut next = self
            .next_slot
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match *next {
            Some(at) if at >= until => {}
            _ => *next = Some(until),
        }
    }
}

/// Locks `mutex` unless `cancel` fires first.
async fn locked<'a>(
    mutex: &'a tokio::sync::Mutex<()>,
    cancel: &CancellationToken,
) -> Result<tokio::sync::MutexGuard<'a, ()>, HttpError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(HttpError::Cancelled),
        guard = mutex.lock() => Ok(guard),
    }
}

/// Sleeps until `deadline` unless `cancel` fires first.
pub(crate) async fn sleep_until(
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), HttpError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(HttpError::Cancelled),
        _ = tokio::time::sleep_until(deadline) => Ok(()),
    }
}

/// Sleeps for `duration` unless `cancel` fires first.
pub(crate) async fn sleep(duration: Duration, cancel: &CancellationToken) -> Result<(), HttpError> {
    if cancel.is_cancelled() {
        return Err(HttpError::Cancelled);
    }
    if duration.is_zero() {
        return Ok(());
    }
    sleep_until(Instant::now() + duration, cancel).await
}

#[cfg(test)]
mod tests;
