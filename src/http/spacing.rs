//! Request spacing and cancellable sleeping.
//!
//! Vendor rate limits count requests per caller, not per task, so the gate is one per client
//! (= per provider process) and shared by every concurrent resource operation.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::HttpError;

/// A "next free slot" gate: each request start reserves the earliest slot not before the
/// previous reservation plus `interval`, then sleeps until it.
#[derive(Debug)]
pub(crate) struct Spacer {
    interval: Duration,
    /// The earliest instant the next request may start. `None` until the first request.
    next_slot: Mutex<Option<Instant>>,
}

impl Spacer {
    pub(crate) fn new(interval: Duration) -> Self {
        Spacer {
            interval,
            next_slot: Mutex::new(None),
        }
    }

    /// Reserves the next slot and waits for it. A cancelled wait gives up its slot silently:
    /// the gap it leaves only makes the spacing more conservative.
    pub(crate) async fn wait_turn(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Duration, HttpError> {
        let now = Instant::now();
        let slot = {
            // A poisoned lock only means another task panicked while holding a plain Instant;
            // the value is still meaningful.
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let slot = match *next {
                Some(at) if at > now => at,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        let wait = slot.saturating_duration_since(now);
        if !wait.is_zero() {
            sleep_until(slot, cancel).await?;
        }
        Ok(wait)
    }

    /// Pushes the gate back so that no request of this client starts before `until` (used after
    /// a 429: the limit is per caller, so every task must hold off, not only the one that hit it).
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
mod tests {
    use super::*;

    // Real clocks (tokio's test-util is not enabled): lower bounds only, never tight upper ones.
    #[tokio::test]
    async fn slots_are_spaced_by_the_interval() {
        let interval = Duration::from_millis(100);
        let spacer = Spacer::new(interval);
        let cancel = CancellationToken::new();
        let start = Instant::now();
        assert_eq!(spacer.wait_turn(&cancel).await.unwrap(), Duration::ZERO);
        spacer.wait_turn(&cancel).await.unwrap();
        assert!(Instant::now() - start >= interval);
        spacer.wait_turn(&cancel).await.unwrap();
        assert!(Instant::now() - start >= interval * 2);
    }

    #[tokio::test]
    async fn defer_pushes_back_everyone() {
        let spacer = Spacer::new(Duration::ZERO);
        let cancel = CancellationToken::new();
        let start = Instant::now();
        spacer.defer_until(start + Duration::from_millis(150));
        spacer.wait_turn(&cancel).await.unwrap();
        assert!(Instant::now() - start >= Duration::from_millis(150));
        // An earlier deferral does not pull the gate forward, and a past one costs nothing.
        spacer.defer_until(start);
        assert_eq!(spacer.wait_turn(&cancel).await.unwrap(), Duration::ZERO);
    }

    #[tokio::test]
    async fn cancel_interrupts_the_wait() {
        let spacer = Spacer::new(Duration::from_secs(3600));
        let cancel = CancellationToken::new();
        spacer.wait_turn(&cancel).await.unwrap();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            trigger.cancel();
        });
        let started = std::time::Instant::now();
        let result = spacer.wait_turn(&cancel).await;
        assert!(matches!(result, Err(HttpError::Cancelled)));
        assert!(started.elapsed() < Duration::from_secs(60));
    }
}
