//! A cancellable poller with backoff, for every "wait until the API says it is ready" loop.

use std::future::Future;
use std::time::Duration;

use super::context::Ctx;

/// One look at the remote object.
pub enum Poll<T> {
    Ready(T),
    /// Not there yet; the text (usually the remote status) goes into logs and timeout errors.
    Pending(String),
}

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub factor: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(500),
            max: Duration::from_secs(30),
            factor: 1.5,
        }
    }
}

/// How many polls in a row a wait rides out when they fail transiently (each after the HTTP
/// layer's own retries) before it gives up.
pub const MISSES_TOLERATED: u32 = 5;

/// Transient failures in a row during one wait: an API busy with the very operation being
/// waited for may miss an answer now and then (a 5xx burst longer than the retries, an answer
/// cut off on the way), which is waited out; the operation's timeout still bounds the wait.
#[derive(Debug, Default)]
pub struct Misses(std::sync::atomic::AtomicU32);

impl Misses {
    /// Whether a failure, `transient` or not, is one more miss to wait out.
    pub fn tolerate(&self, transient: bool) -> bool {
        use std::sync::atomic::Ordering;
        transient && self.0.fetch_add(1, Ordering::Relaxed) < MISSES_TOLERATED
    }

    /// A poll got its answer: the count starts again.
    pub fn reset(&self) {
        self.0.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// One poll's read through the count: `Ok(Ok(answer))` (the count starts again),
    /// `Ok(Err(pending text))` for a `transient` failure to wait out, `Err` for one that ends
    /// the wait.
    pub fn ride_out<T, E: std::fmt::Display>(
        &self,
        read: Result<T, E>,
        transient: impl FnOnce(&E) -> bool,
    ) -> Result<Result<T, String>, E> {
        match read {
            Ok(answer) => {
                self.reset();
                Ok(Ok(answer))
            }
            Err(e) if self.tolerate(transient(&e)) => Ok(Err(format!("no usable answer ({e})"))),
            Err(e) => Err(e),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError<E> {
    #[error("gave up waiting for {what} (last status {last:?}): {reason}")]
    Stopped {
        what: String,
        last: String,
        reason: String,
    },
    #[error(transparent)]
    Check(E),
}

/// Calls `check` until it returns Ready, sleeping with backoff in between; stops early when the
/// context is cancelled (StopProvider) or its deadline passes.
pub async fn wait_until<T, E, F, Fut>(
    ctx: &Ctx,
    what: &str,
    backoff: Backoff,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let mut delay = backoff.first;
    let mut last = String::from("(not checked yet)");
    loop {
        if let Some(reason) = ctx.cancel_reason() {
            return Err(WaitError::Stopped {
                what: what.to_string(),
                last,
                reason,
            });
        }
        match check().await {
            Ok(Poll::Ready(v)) => return Ok(v),
            Ok(Poll::Pending(status)) => {
                tracing::debug!(what, status = status.as_str(), "still waiting");
                last = status;
            }
            Err(e) => {
                // A check that failed because we were cancelled reports the cancellation.
                if let Some(reason) = ctx.cancel_reason() {
                    return Err(WaitError::Stopped {
                        what: what.to_string(),
                        last,
                        reason,
                    });
                }
                return Err(WaitError::Check(e));
            }
        }
        let jitter = 1.0 + (fastrand::f64() - 0.5) * 0.2;
        let sleep = delay.mul_f64(jitter);
        tokio::select! {
            _ = ctx.cancel_token().cancelled() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
        delay = delay.mul_f64(backoff.factor).min(backoff.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_util::sync::CancellationToken;

    fn fast() -> Backoff {
        Backoff {
            first: Duration::from_millis(5),
            max: Duration::from_millis(20),
            factor: 2.0,
        }
    }

    #[tokio::test]
    async fn returns_when_ready() {
        let stop = CancellationToken::new();
        let ctx = Ctx::new(&stop, Duration::from_secs(60));
        let mut n = 0;
        let v: Result<u32, WaitError<()>> = wait_until(&ctx, "thing", fast(), || {
            n += 1;
            let ready = n >= 3;
            async move {
                Ok(if ready {
                    Poll::Ready(n)
                } else {
                    Poll::Pending("BUSY".into())
                })
            }
        })
        .await;
        assert_eq!(v.unwrap(), 3);
    }

    #[tokio::test]
    async fn stop_cancels_the_wait() {
        let stop = CancellationToken::new();
        let ctx = Ctx::new(&stop, Duration::from_secs(600));
        let s2 = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            s2.cancel();
        });
        let slow = Backoff {
            first: Duration::from_secs(300),
            ..fast()
        };
        let r: Result<(), WaitError<()>> = wait_until(&ctx, "thing", slow, || async {
            Ok(Poll::Pending("BUSY".into()))
        })
        .await;
        match r {
            Err(WaitError::Stopped { last, reason, .. }) => {
                assert_eq!(last, "BUSY");
                assert!(reason.contains("stop"));
            }
            _ => panic!("expected a stop"),
        }
    }

    #[tokio::test]
    async fn timeout_ends_the_wait() {
        let stop = CancellationToken::new();
        let ctx = Ctx::new(&stop, Duration::from_millis(30));
        let r: Result<(), WaitError<()>> = wait_until(&ctx, "thing", fast(), || async {
            Ok(Poll::Pending("BUSY".into()))
        })
        .await;
        match r {
            Err(WaitError::Stopped { reason, .. }) => assert!(reason.contains("timeout")),
            _ => panic!("expected a timeout"),
        }
    }
}
