//! What one CRUD call carries besides its model: cancellation (StopProvider or the operation's
//! timeout, whichever comes first) and warnings for the user.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::diagnostics::{Diagnostic, Diagnostics};

pub struct Ctx {
    cancel: CancellationToken,
    stop: CancellationToken,
    deadline: Instant,
    timeout: Duration,
    warnings: Mutex<Diagnostics>,
    timer: Option<tokio::task::JoinHandle<()>>,
    import: bool,
}

impl Ctx {
    /// A context cancelled by `stop` (the provider's StopProvider token) or after `timeout`.
    pub fn new(stop: &CancellationToken, timeout: Duration) -> Self {
        let cancel = stop.child_token();
        // Durations are validated at plan time; a far-off deadline still must not overflow.
        let timeout = timeout.min(super::validators::MAX_DURATION);
        let deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
        let timer = tokio::runtime::Handle::try_current().ok().map(|rt| {
            let token = cancel.clone();
            rt.spawn(async move {
                tokio::time::sleep(timeout).await;
                token.cancel();
            })
        });
        Ctx {
            cancel,
            stop: stop.clone(),
            deadline,
            timeout,
            warnings: Mutex::new(Diagnostics::new()),
            timer,
            import: false,
        }
    }

    /// Marks the Read that follows `terraform import` (or an `import` block).
    pub fn for_import(mut self, import: bool) -> Self {
        self.import = import;
        self
    }

    /// This Read completes an import: the state holds only what the import id told.
    pub fn is_import(&self) -> bool {
        self.import
    }

    /// Fires on StopProvider (Ctrl-C) or when the operation's time is up.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Why the context was cancelled, in words for a diagnostic; None while it is live.
    pub fn cancel_reason(&self) -> Option<String> {
        if self.stop.is_cancelled() {
            Some("Terraform asked the provider to stop (interrupted)".to_string())
        } else if self.cancel.is_cancelled() || Instant::now() >= self.deadline {
            Some(format!(
                "the operation's timeout of {} ran out (set it in the `timeouts` block)",
                humantime::format_duration(self.timeout)
            ))
        } else {
            None
        }
    }

    pub fn warn(&self, summary: impl Into<String>, detail: impl Into<String>) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(Diagnostic::warning(summary, detail));
        }
    }

    pub fn take_warnings(&self) -> Diagnostics {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.abort();
        }
    }
}
