//! Logs in the shape Terraform reads from a plugin's stderr: one hclog JSON object per line.
//! Terraform re-levels them under `provider.<binary>` and shows them according to
//! `TF_LOG_PROVIDER`/`TF_LOG`; a timestamp without exactly six fractional digits makes it show
//! the raw line instead.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::SystemTime;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

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
    obj.insert("@level".into(), level.into());
    obj.insert("@message".into(), fields.message.into());
    obj.insert("@module".into(), module.into());
    obj.insert("@timestamp".into(), timestamp(SystemTime::now()).into());
    Value::Object(obj).to_string()
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
