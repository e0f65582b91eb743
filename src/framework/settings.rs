//! Provider settings that may come from HCL or from an environment variable (HCL wins), and the
//! slot through which resources reach the client that `configure` built.

use std::sync::{Arc, OnceLock};

use super::diagnostics::{AttrPath, Diagnostic};
use super::Value;

/// The string value of `attr` in the provider block, else of `env_var`, else None. Empty
/// strings count as unset, as in HashiCorp's providers.
pub fn string_setting(config: &Value, attr: &str, env_var: Option<&str>) -> Option<String> {
    config
        .get(attr)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            env_var
                .and_then(|k| std::env::var(k).ok())
                .filter(|s| !s.is_empty())
        })
}

/// Like `string_setting`, but missing is an error naming both places it can be set.
pub fn required_setting(config: &Value, attr: &str, env_var: &str) -> Result<String, Diagnostic> {
    string_setting(config, attr, Some(env_var)).ok_or_else(|| {
        Diagnostic::error(
            format!("Missing provider setting {attr}"),
            format!("Set `{attr}` in the provider block or the environment variable {env_var}."),
        )
        .at(AttrPath::root(attr))
    })
}

/// A boolean setting from HCL or an environment variable ("1", "true", "yes").
pub fn bool_setting(config: &Value, attr: &str, env_var: &str) -> Result<bool, Diagnostic> {
    if let Some(b) = config.get(attr).and_then(|v| v.as_bool()) {
        return Ok(b);
    }
    match std::env::var(env_var).ok().filter(|s| !s.is_empty()) {
        None => Ok(false),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(Diagnostic::error(
                format!("Invalid {env_var}"),
                format!("{env_var} must be true or false, got {v:?}."),
            )
            .at(AttrPath::root(attr))),
        },
    }
}

/// Filled once by the provider's `configure`, read by its resources.
pub struct Configured<T>(Arc<OnceLock<T>>);

impl<T> Clone for Configured<T> {
    fn clone(&self) -> Self {
        Configured(self.0.clone())
    }
}

impl<T> Default for Configured<T> {
    fn default() -> Self {
        Configured(Arc::new(OnceLock::new()))
    }
}

impl<T> Configured<T> {
    /// Terraform configures a provider once per process; a second call keeps the first client.
    pub fn set(&self, value: T) {
        let _ = self.0.set(value);
    }

    pub fn get(&self) -> Result<&T, Diagnostic> {
        self.0.get().ok_or_else(|| {
            Diagnostic::error(
                "Provider is not configured",
                "Terraform called the resource before configuring the provider; this is a bug in the provider or Terraform.",
            )
        })
    }
}
