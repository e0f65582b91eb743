//! Request spacing and cancellable sleeping.
//!
//! Vendor rate limits count requests per caller, not per task, so the gate is one per client
//! (= per provider process) and shared by every concurrent resource operation.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::HttpError;

/// A "next free slot" gate. With a non-zero interval, requests go one at a time and the next one
/// may start only `interval` after the previous one was answered: spacing the starts alone lets
/// two requests arrive closer than the interval when the first one waited for its connection,
/// and the APIs count arrivals.
#[derive(Debug)]
pub(crate) struct Spacer {
    interval: Duration,
    /// The earliest instant the next request may start. `None` until the first request.
    next_slot: Mutex<Option<Instant>>,
    /// Held by the request in flight when spacing is on.
    in_flight: tokio::sync::Mutex<()>,
}

/// The right to send one request; dropping it (once the answer is in) starts the interval.
pub(crate) struct Turn<'a> {
    spacer: &'a Spacer,
    _in_flight: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if !self.spacer.interval.is_zero() {
            self.spacer
                .defer_until(Instant::now() + self.spacer.interval);
        }
    }
}

impl Spacer {
    pub(crate) fn new(interval: Duration) -> Self {
        Spacer {
            interval,
            next_slot: Mutex::new(None),
            in_flight: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits for this client's next turn (tasks are served in arrival order) and returns it
    /// with the time spent waiting.
    pub(crate) async fn wait_turn(
        &self,
        cancel: &CancellationToken,
    ) -> Result<(Turn<'_>, Duration), HttpError> {
        let now = Instant::now();
        // A 429 may have pushed the gate back even when no interval is configured.
        let guard = if self.interval.is_zero() {
            None
        } else {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(HttpError::Cancelled),
                guard = self.in_flight.lock() => Some(guard),
            }
        };
        let slot = {
            // A poisoned lock only means another task panicked while holding a plain Instant;
            // the value is still meaningful.
            let next = self
                .next_slot
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            match *next {
                Some(at) if at > Instant::now() => at,
                _ => Instant::now(),
            }
        };
        if slot > Instant::now() {
            sleep_until(slot, cancel).await?;
        }
        Ok((
            Turn {
                spacer: self,
                _in_flight: guard,
            },
            now.elapsed(),
        ))
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
        let (first, waited) = spacer.wait_turn(&cancel).await.unwrap();
        assert!(waited < interval);
        drop(first);
        drop(spacer.wait_turn(&cancel).await.unwrap());
        assert!(Instant::now() - start >= interval);
        drop(spacer.wait_turn(&cancel).await.unwrap());
        assert!(Instant::now() - start >= interval * 2);
    }

    #[tokio::test]
    async fn the_interval_runs_from_the_answer_of_the_request_in_flight() {
        let interval = Duration::from_millis(50);
        let spacer = std::sync::Arc::new(Spacer::new(interval));
        let cancel = CancellationToken::new();
        let (turn, _) = spacer.wait_turn(&cancel).await.unwrap();
        let (s2, c2) = (spacer.clone(), cancel.clone());
        let second = tokio::spawn(async move {
            let _ = s2.wait_turn(&c2).await.map(|_| ());
            Instant::now()
        });
        // The first request takes 100 ms to be answered; the second may only start 50 ms later.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let answered = Instant::now();
        drop(turn);
        let started = second.await.unwrap();
        assert!(started - answered >= interval);
    }

    #[tokio::test]
    async fn defer_pushes_back_everyone() {
        let spacer = Spacer::new(Duration::ZERO);
        let cancel = CancellationToken::new();
        let start = Instant::now();
        spacer.defer_until(start + Duration::from_millis(150));
        drop(spacer.wait_turn(&cancel).await.unwrap());
        assert!(Instant::now() - start >= Duration::from_millis(150));
        // An earlier deferral does not pull the gate forward, and a past one costs nothing.
        spacer.defer_until(start);
        let (_turn, waited) = spacer.wait_turn(&cancel).await.unwrap();
        assert!(waited < Duration::from_millis(150));
    }

    #[tokio::test]
    async fn cancel_interrupts_the_wait() {
        let spacer = Spacer::new(Duration::from_secs(3600));
        let cancel = CancellationToken::new();
        drop(spacer.wait_turn(&cancel).await.unwrap());
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
