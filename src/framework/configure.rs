//! What a provider's `configure` learns besides its block: which Terraform is calling. The
//! `User-Agent` every request carries is built here, once for every provider, from the
//! provider's name, the crate version and the Terraform version of the ConfigureProvider call.

use crate::http::HttpSettings;

/// Sent in place of the Terraform version when the caller announced none (every Terraform
/// since 0.12 does; a bare gRPC client may not).
pub const UNKNOWN_TERRAFORM_VERSION: &str = "unknown";

/// The caller of ConfigureProvider, as `Provider::configure` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigureContext {
    provider: &'static str,
    terraform_version: Option<String>,
}

impl ConfigureContext {
    /// `terraform_version` as the request carried it; empty means not announced.
    pub fn new(provider: &'static str, terraform_version: &str) -> Self {
        ConfigureContext {
            provider,
            terraform_version: header_safe(terraform_version),
        }
    }

    /// The Terraform version the caller announced, if any (only header-safe characters kept).
    pub fn terraform_version(&self) -> Option<&str> {
        self.terraform_version.as_deref()
    }

    /// `terraform-provider-<name>/<crate version> Terraform/<version or "unknown">`.
    pub fn user_agent(&self) -> String {
        format!(
            "terraform-provider-{}/{} Terraform/{}",
            self.provider,
            env!("CARGO_PKG_VERSION"),
            self.terraform_version()
                .unwrap_or(UNKNOWN_TERRAFORM_VERSION)
        )
    }

    /// The shared HTTP defaults with this provider's user agent: start every client's settings
    /// from here (`..ctx.http_settings()`) and the user agent needs no further thought.
    pub fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            user_agent: self.user_agent(),
            ..HttpSettings::default()
        }
    }
}

/// The version as a User-Agent product version: the characters a version string is made of
/// (`1.11.4`, `1.12.0-alpha20250319`, `1.8.0+local`); anything else would make the header
/// invalid, so it is dropped rather than failing every request. None when nothing is left.
fn header_safe(version: &str) -> Option<String> {
    let kept: String = version
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_' | '~'))
        .collect();
    (!kept.is_empty()).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = env!("CARGO_PKG_VERSION");

    #[test]
    fn the_user_agent_names_provider_crate_version_and_terraform() {
        let ctx = ConfigureContext::new("css", "1.11.4");
        assert_eq!(ctx.terraform_version(), Some("1.11.4"));
        assert_eq!(
            ctx.user_agent(),
            format!("terraform-provider-css/{VERSION} Terraform/1.11.4")
        );
        assert_eq!(ctx.http_settings().user_agent, ctx.user_agent());
    }

    #[test]
    fn no_announced_version_reads_unknown() {
        for empty in ["", "  "] {
            let ctx = ConfigureContext::new("redis", empty);
            assert_eq!(ctx.terraform_version(), None);
            assert_eq!(
                ctx.user_agent(),
                format!("terraform-provider-redis/{VERSION} Terraform/unknown")
            );
        }
    }

    #[test]
    fn characters_a_header_cannot_carry_are_dropped() {
        let ctx = ConfigureContext::new("cloudbasic", "1.12.0-alpha\r\nX-Evil: 1");
        assert_eq!(ctx.terraform_version(), Some("1.12.0-alphaX-Evil1"));
        assert_eq!(
            ConfigureContext::new("cloudbasic", "1.8.0+local").terraform_version(),
            Some("1.8.0+local")
        );
        assert_eq!(
            ConfigureContext::new("x", "\u{7f}é").terraform_version(),
            None
        );
    }
}
