//! Logs in the shape Terraform reads from a plugin's stderr: one hclog JSON object per line.
//! Terraform re-levels them under `provider.<binary>` and shows them according to
//! `TF_LOG_PROVIDER`/`TF_LOG`; a timestamp without exactly six fractional digits makes it show
//! the raw line instead.
//!
//! Every line is scrubbed of the secrets registered with [`crate::http::secrets`] (message and
//! every field value), so not even TRACE shows a credential, whatever a caller logged.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::SystemTime;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::http::secrets;

/// The most verbose level Terraform will show, from the same variables it reads itself.
/// Without them only warnings and errors are written: Terraform would drop the rest anyway.
pub fn level_from_env(env: impl Fn(&str) -> Option<String>) -> Level {
    let raw = env("TF_LOG_PROVIDER")
        .filter(|v| !v.is_empty())
        .or_else(|| env("TF_LOG").filter(|v| !v.is_empty()));
    match raw.map(|v| v.to_ascii_lowercase()).as_deref() {
        Some("trace") | Some("json") => Level::TRACE,
        Some("debug") => Level::DEBUG,
        Some("info") => Level::INFO,
        Some("warn") => Level::WARN,
        Some("error") => Level::ERROR,
        // Terraform treats any other non-empty value as TRACE.
        Some(_) => Level::TRACE,
        None => Level::WARN,
    }
}

/// Installs the hclog layer as the global subscriber (once per process).
pub fn init(module: &'static str) {
    let level = level_from_env(|k| std::env::var(k).ok());
    let layer = HclogLayer { module, max: level };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct HclogLayer {
    module: &'static str,
    max: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= self.max
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let line = render(self.module, event);
        // A closed stderr must not take the provider down.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

fn render(module: &str, event: &Event<'_>) -> String {
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut obj = fields.extra;
    let level = match *event.metadata().level() {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    };
    for value in obj.values_mut() {
        scrub_value(value);
    }
    obj.insert("@level".into(), level.into());
    obj.insert(
        "@message".into(),
        secrets::scrub(&fields.message).into_owned().into(),
    );
    obj.insert("@module".into(), module.into());
    obj.insert("@timestamp".into(), timestamp(SystemTime::now()).into());
    Value::Object(obj).to_string()
}

/// Replaces a field value that is, or contains, a registered secret. Numbers and booleans are
/// compared in their printed form, so that a numeric PIN logged as a number is hidden too.
fn scrub_value(value: &mut Value) {
    let replacement = match value {
        Value::String(text) => match secrets::scrub(text) {
            std::borrow::Cow::Owned(scrubbed) => Some(scrubbed),
            std::borrow::Cow::Borrowed(_) => None,
        },
        Value::Number(number) => {
            let printed = number.to_string();
            let scrubbed = secrets::scrub(&printed);
            (scrubbed != printed).then(|| scrubbed.into_owned())
        }
        _ => None,
    };
    if let Some(replacement) = replacement {
        *value = Value::String(replacement);
    }
}

/// RFC 3339 in UTC with microseconds: `2006-01-02T15:04:05.000000Z`.
pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

#[derive(Default)]
struct FieldCollector {
    message: String,
    extra: Map<String, Value>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.extra.insert(field.name().into(), value.into());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.extra.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.extra.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.extra.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message.push_str(&text);
        } else {
            self.extra.insert(field.name().into(), text.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamp_has_six_fraction_digits() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123000Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
    }

    /// A layer writing into a buffer instead of stderr, so tests can read the lines.
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let line = render("test-provider", event);
            self.0.lock().unwrap().push(line);
        }
    }

    #[test]
    fn message_and_fields_are_scrubbed() {
        crate::http::secrets::register("log-Secret-9Qw");
        crate::http::secrets::register("731946");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let debug_value = vec!["log-Secret-9Qw"];
            tracing::warn!(
                token = "Bearer log-Secret-9Qw",
                pin = 731946u64,
                count = 3u64,
                shown = ?debug_value,
                display = %format!("k=log-Secret-9Qw"),
                "login with log-Secret-9Qw failed"
            );
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert!(
            !line.contains("log-Secret-9Qw") && !line.contains("731946"),
            "{line}"
        );
        let parsed: Value = serde_json::from_str(line).unwrap();
        let marker = crate::http::secrets::MARKER;
        assert_eq!(parsed["@message"], format!("login with {marker} failed"));
        assert_eq!(parsed["token"], format!("Bearer {marker}"));
        assert_eq!(parsed["pin"], marker);
        assert_eq!(parsed["count"], 3);
        assert_eq!(parsed["shown"], format!("[\"{marker}\"]"));
        assert_eq!(parsed["display"], format!("k={marker}"));
        assert_eq!(parsed["@level"], "warn");
    }

    #[test]
    fn level_follows_terraform_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(env(&[])), Level::WARN);
        assert_eq!(level_from_env(env(&[("TF_LOG", "DEBUG")])), Level::DEBUG);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "DEBUG"), ("TF_LOG_PROVIDER", "trace")])),
            Level::TRACE
        );
        assert_eq!(level_from_env(env(&[("TF_LOG", "1")])), Level::TRACE);
    }
}
