//! The process-wide register of secret values, and the one function that hides them: [`scrub`].
//!
//! Redaction by field name or by the caller's memory fails as soon as an API echoes a request
//! into an error body, a library quotes a header in an error, or a value reaches a log line
//! through some `Debug`. So every secret the process holds (API keys, passwords, tokens,
//! licences, private keys, signatures, `Authorization` values, sensitive Terraform attributes)
//! is registered once, and every text that leaves the process (hclog lines, diagnostics, error
//! messages built from response bodies) passes through [`scrub`], which replaces each registered
//! value with [`MARKER`].
//!
//! A secret is also looked for in the forms an echo is likely to use: JSON- and XML-escaped,
//! Rust-`Debug`-escaped, and percent-encoded the ways common URL and form encoders do it.
//! Basic-auth credentials add the base64 of `user:password` ([`register_basic_auth`]).
//!
//! Values shorter than [`MIN_LEN`] characters are not registered: hiding every `"1"` or `"abc"`
//! would make messages unreadable, and a secret that short protects nothing anyway.
//!
//! Values that change on every request (SigV4 signatures) go through [`register_short_lived`],
//! which keeps only the most recent ones, so a long run cannot grow the register without bound.
//!
//! Tests share the one register of the test process: what one test registers is hidden in every
//! other test's messages, so tests register distinctive values, never ordinary words.

use std::borrow::Cow;
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use base64::Engine as _;

/// What a secret is replaced with.
pub const MARKER: &str = "(sensitive value)";

/// Shortest value (in characters) that is registered; shorter ones are ignored.
pub const MIN_LEN: usize = 4;

/// How many short-lived values are remembered (the newest ones).
const SHORT_LIVED_CAP: usize = 256;

#[derive(Default)]
struct Register {
    /// Raw values given to [`register`].
    lasting: BTreeSet<String>,
    /// Raw values given to [`register_short_lived`], oldest first.
    recent: VecDeque<String>,
    /// Every form of every value above, longest first, without duplicates.
    patterns: Vec<String>,
}

impl Register {
    const fn new() -> Self {
        Register {
            lasting: BTreeSet::new(),
            recent: VecDeque::new(),
            patterns: Vec::new(),
        }
    }

    fn knows(&self, secret: &str) -> bool {
        self.lasting.contains(secret) || self.recent.iter().any(|s| s == secret)
    }

    fn add_lasting(&mut self, secret: &str) {
        if long_enough(secret) && self.lasting.insert(secret.to_string()) {
            self.rebuild();
        }
    }

    fn add_short_lived(&mut self, secret: &str, cap: usize) {
        if !long_enough(secret) || self.knows(secret) {
            return;
        }
        self.recent.push_back(secret.to_string());
        while self.recent.len() > cap {
            self.recent.pop_front();
        }
        self.rebuild();
    }

    fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        replace_all(text, self.patterns.iter().map(String::as_str))
    }

    fn rebuild(&mut self) {
        let mut all: BTreeSet<String> = BTreeSet::new();
        for raw in self.lasting.iter().chain(self.recent.iter()) {
            all.extend(forms(raw));
        }
        let mut patterns: Vec<String> = all.into_iter().collect();
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.patterns = patterns;
    }
}

static REGISTER: RwLock<Register> = RwLock::new(Register::new());
/// Set by the first registration, so that scrubbing costs nothing (not even a lock) before.
static ACTIVE: AtomicBool = AtomicBool::new(false);

// A poisoned lock only means a panic elsewhere; the register itself is still consistent, because
// every update builds the new pattern list before swapping it in.
fn read() -> RwLockReadGuard<'static, Register> {
    REGISTER.read().unwrap_or_else(|poison| poison.into_inner())
}

fn write() -> RwLockWriteGuard<'static, Register> {
    REGISTER
        .write()
        .unwrap_or_else(|poison| poison.into_inner())
}

fn long_enough(secret: &str) -> bool {
    secret.chars().nth(MIN_LEN - 1).is_some()
}

/// Registers a secret for the life of the process. Empty and short values (see [`MIN_LEN`]) are
/// ignored; registering a value again is cheap.
pub fn register(secret: &str) {
    if !long_enough(secret) || read().lasting.contains(secret) {
        return;
    }
    write().add_lasting(secret);
    ACTIVE.store(true, Ordering::Release);
}

/// Registers a value that is only meaningful for a short while (a request signature): only the
/// newest values of this kind are kept.
pub fn register_short_lived(secret: &str) {
    if !long_enough(secret) || read().knows(secret) {
        return;
    }
    write().add_short_lived(secret, SHORT_LIVED_CAP);
    ACTIVE.store(true, Ordering::Release);
}

/// Registers HTTP Basic credentials: the password, `user:password` and its base64 (what an
/// `Authorization: Basic …` header carries). The user name alone is not a secret.
pub fn register_basic_auth(user: &str, password: &str) {
    if password.is_empty() {
        return;
    }
    let pair = format!("{user}:{password}");
    register(password);
    register(&pair);
    register(&base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()));
}

/// Registers what a credential-carrying request header holds. `Authorization` values are taken
/// apart by scheme: Basic registers its credentials, SigV4 (`AWS4-HMAC-SHA256`) its signature
/// and the whole value as short-lived, any other scheme its token.
pub fn register_header(name: &str, value: &str) {
    let value = value.trim();
    if !name.eq_ignore_ascii_case("authorization")
        && !name.eq_ignore_ascii_case("proxy-authorization")
    {
        register(value);
        return;
    }
    let Some((scheme, rest)) = value.split_once(' ') else {
        register(value);
        return;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        register(rest);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            register_basic_auth(user, password);
        }
    } else if scheme.starts_with("AWS4-") {
        if let Some(signature) = rest
            .split("Signature=")
            .nth(1)
            .map(|s| s.split([',', ' ']).next().unwrap_or_default())
        {
            register_short_lived(signature);
        }
        register_short_lived(value);
    } else {
        register(rest);
        register(value);
    }
}

/// `text` with every registered secret replaced by [`MARKER`]. Borrowed when nothing matched.
pub fn scrub(text: &str) -> Cow<'_, str> {
    if !ACTIVE.load(Ordering::Acquire) {
        return Cow::Borrowed(text);
    }
    read().scrub(text)
}

/// Like [`scrub`], but never waits for the register's lock: `None` when it is held elsewhere.
/// For the panic hook, which may run on a thread that holds the lock.
pub fn try_scrub(text: &str) -> Option<Cow<'_, str>> {
    if !ACTIVE.load(Ordering::Acquire) {
        return Some(Cow::Borrowed(text));
    }
    let register = match REGISTER.try_read() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poison)) => poison.into_inner(),
        Err(TryLockError::WouldBlock) => return None,
    };
    Some(register.scrub(text))
}

/// Like [`scrub`], also hiding `extra` values (in all their forms) that are not registered, for
/// callers that hold a secret only for one call.
pub fn scrub_with<'a>(text: &'a str, extra: &[&str]) -> Cow<'a, str> {
    let extra_forms: Vec<String> = extra
        .iter()
        .filter(|s| long_enough(s))
        .flat_map(|s| forms(s))
        .collect();
    if !ACTIVE.load(Ordering::Acquire) {
        return replace_all(text, extra_forms.iter().map(String::as_str));
    }
    let register = read();
    replace_all(
        text,
        register
            .patterns
            .iter()
            .chain(extra_forms.iter())
            .map(String::as_str),
    )
}

/// Replaces every occurrence of every pattern. Matches are collected on the original text and
/// overlapping ones merged, so that two overlapping secrets (or one inside another) become one
/// marker and the marker itself is never searched.
fn replace_all<'a, 'p>(text: &'a str, patterns: impl Iterator<Item = &'p str>) -> Cow<'a, str> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for pattern in patterns {
        if pattern.is_empty() || pattern.len() > text.len() {
            continue;
        }
        let mut from = 0;
        while let Some(found) = text[from..].find(pattern) {
            let start = from + found;
            spans.push((start, start + pattern.len()));
            // One character on, not past the match: "aaaa" in "aaaaa" must cover all five.
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            if from >= text.len() {
                break;
            }
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut current: Option<(usize, usize)> = None;
    for (start, end) in spans {
        match current {
            Some((s, e)) if start < e => current = Some((s, e.max(end))),
            Some((s, e)) => {
                out.push_str(&text[copied..s]);
                out.push_str(MARKER);
                copied = e;
                current = Some((start, end));
            }
            None => current = Some((start, end)),
        }
    }
    if let Some((s, e)) = current {
        out.push_str(&text[copied..s]);
        out.push_str(MARKER);
        copied = e;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The raw value and the encodings an echo of it is likely to use.
fn forms(raw: &str) -> Vec<String> {
    let mut out = vec![raw.to_string()];
    let mut add = |form: String| {
        if form != raw && !out.contains(&form) {
            out.push(form);
        }
    };
    let json = json_escaped(raw);
    if raw.contains('/') {
        // Some encoders (PHP, some Java ones) escape the slash as well.
        add(json.replace('/', "\\/"));
    }
    if !raw.is_ascii() {
        add(json_ascii(&json, false));
        add(json_ascii(&json, true));
    }
    add(json);
    let debug = format!("{raw:?}");
    add(debug[1..debug.len() - 1].to_string());
    add(xml_escaped(raw, "&apos;", "&quot;"));
    add(xml_escaped(raw, "&#39;", "&#34;"));
    // Unreserved characters only (RFC 3986), upper- and lower-case hex.
    add(percent(raw, b"-._~", false, true));
    add(percent(raw, b"-._~", false, false));
    // application/x-www-form-urlencoded (WHATWG, reqwest, Go's QueryEscape keeps `~` too).
    add(percent(raw, b"*-._", true, true));
    add(percent(raw, b"-._~", true, true));
    // JavaScript's encodeURIComponent.
    add(percent(raw, b"-_.!~*'()", false, true));
    // Python's urllib.parse.quote (keeps `/`).
    add(percent(raw, b"-._~/", false, true));
    out
}

fn json_escaped(raw: &str) -> String {
    let quoted = serde_json::Value::String(raw.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

/// A JSON-escaped string with every non-ASCII character written as `\uXXXX` (UTF-16).
fn json_ascii(json: &str, upper: bool) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{unit:04X}"));
            } else {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fn xml_escaped(raw: &str, apos: &str, quot: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str(apos),
            '"' => out.push_str(quot),
            other => out.push(other),
        }
    }
    out
}

fn percent(raw: &str, keep: &[u8], space_as_plus: bool, upper: bool) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(char::from(byte));
        } else if byte == b' ' && space_as_plus {
            out.push('+');
        } else if upper {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push_str(&format!("%{byte:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The register is global and shared by every test of the process: values here are unique
    // to this module, and assertions only concern them.

    #[test]
    fn raw_values_are_replaced_and_short_ones_ignored() {
        register("reg-raw-Zx81q");
        register("");
        register("ab1");
        let text = "key reg-raw-Zx81q and ab1 again reg-raw-Zx81q";
        assert_eq!(scrub(text), format!("key {MARKER} and ab1 again {MARKER}"));
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escaped_forms_are_replaced() {
        let secret = "reg\"json\\Q7/é\n";
        register(secret);
        let body = serde_json::json!({"echo": secret}).to_string();
        assert!(!body.contains(secret), "the test needs an escaped form");
        let scrubbed = scrub(&body);
        assert_eq!(scrubbed, format!(r#"{{"echo":"{MARKER}"}}"#));
        // Escaped slash and \u escapes of non-ASCII characters.
        for echo in [
            r#"reg\"json\\Q7\/é\n"#,
            r#"reg\"json\\Q7/\u00e9\n"#,
            r#"reg\"json\\Q7/\u00E9\n"#,
        ] {
            assert_eq!(scrub(echo), MARKER, "{echo}");
        }
        // Debug output of a struct holding the value.
        assert_eq!(scrub(&format!("{secret:?}")), format!("\"{MARKER}\""));
    }

    #[test]
    fn percent_encoded_and_xml_forms_are_replaced() {
        let secret = "reg pct/Key+V=1&x'";
        register(secret);
        for echo in [
            "reg%20pct%2FKey%2BV%3D1%26x%27",
            "reg%20pct%2fKey%2bV%3d1%26x%27",
            "reg+pct%2FKey%2BV%3D1%26x%27",
            "reg%20pct%2FKey%2BV%3D1%26x'",
            "reg%20pct/Key%2BV%3D1%26x%27",
            "reg pct/Key+V=1&amp;x&apos;",
            "reg pct/Key+V=1&amp;x&#39;",
        ] {
            assert_eq!(
                scrub(&format!("url?k={echo}&n=1")),
                format!("url?k={MARKER}&n=1"),
                "{echo}"
            );
        }
    }

    #[test]
    fn overlapping_secrets_become_one_marker_longest_first() {
        register("reg-ovl-AAAA");
        register("AAAA-reg-ovl-tail");
        register("reg-ovl-AAAA-reg-inner-longer");
        // One secret inside another: the longer one wins, nothing of it is left.
        assert_eq!(
            scrub("x reg-ovl-AAAA-reg-inner-longer y"),
            format!("x {MARKER} y")
        );
        // Two secrets sharing characters: one marker over both.
        assert_eq!(
            scrub("x reg-ovl-AAAA-reg-ovl-tail y"),
            format!("x {MARKER} y")
        );
        // A secret that overlaps itself.
        register("reg-self-reg-self");
        assert_eq!(scrub("reg-self-reg-self-reg-self!"), format!("{MARKER}!"));
    }

    #[test]
    fn scrub_with_adds_one_call_values() {
        assert_eq!(
            scrub_with("a once-only-Zq b", &["once-only-Zq", "xy"]),
            format!("a {MARKER} b")
        );
        assert_eq!(scrub_with("a xy b", &["xy"]), "a xy b");
        assert!(scrub("a once-only-Zq b").contains("once-only-Zq"));
    }

    #[test]
    fn basic_auth_and_authorization_headers() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("reg-user:reg-Basic-pw9");
        register_header("Authorization", &format!("Basic {b64}"));
        assert_eq!(scrub(&format!("got {b64}")), format!("got {MARKER}"));
        assert_eq!(scrub("pw reg-Basic-pw9"), format!("pw {MARKER}"));
        assert_eq!(scrub("reg-user:reg-Basic-pw9"), MARKER);
        // The user name alone stays readable.
        assert_eq!(scrub("user reg-user"), "user reg-user");

        register_header("X-Auth-Token", "reg-token-Hh2");
        assert_eq!(scrub("t=reg-token-Hh2"), format!("t={MARKER}"));

        let sig = "0f".repeat(32);
        register_header(
            "authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential=AKREG/20240501/us-east-1/svc/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={sig}"
            ),
        );
        assert_eq!(scrub(&format!("sig {sig}.")), format!("sig {MARKER}."));
        // The access key in the credential scope is not a secret.
        assert!(scrub("AKREG").contains("AKREG"));
    }

    #[test]
    fn short_lived_values_are_bounded() {
        // A private register: flooding the global one would push out values other tests of
        // this process rely on.
        let mut register = Register::new();
        register.add_short_lived("short-lived-first", 3);
        assert_eq!(register.scrub("short-lived-first"), MARKER);
        for n in 0..3 {
            register.add_short_lived(&format!("short-lived-{n}"), 3);
        }
        assert_eq!(register.scrub("short-lived-first"), "short-lived-first");
        assert_eq!(register.scrub("short-lived-2"), MARKER);
        // A lasting value is never pushed out, and is not stored twice.
        register.add_lasting("lasting-kept");
        register.add_short_lived("lasting-kept", 3);
        for n in 3..9 {
            register.add_short_lived(&format!("short-lived-{n}"), 3);
        }
        assert_eq!(register.scrub("lasting-kept"), MARKER);
        assert_eq!(register.recent.len(), 3);
    }

    #[test]
    fn replacement_keeps_character_boundaries() {
        register("reg-ünï-cödé");
        assert_eq!(scrub("äö reg-ünï-cödé ü"), format!("äö {MARKER} ü"));
        assert_eq!(
            try_scrub("x reg-ünï-cödé").as_deref(),
            Some(format!("x {MARKER}").as_str())
        );
    }
}
