//! Attribute validators. They run at validate/plan time on known values only (unknown values are
//! checked again once known), and report on the attribute's path so Terraform points at the line.

use std::net::Ipv4Addr;

use regex::Regex;

use super::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use super::Value;

pub trait Validator: Send + Sync {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics);
}

fn invalid(path: &AttrPath, detail: String) -> Diagnostic {
    Diagnostic::error(format!("Invalid value for {path}"), detail).at(path.clone())
}

struct OneOf(Vec<String>);

/// The value must be one of these strings.
pub fn one_of(allowed: &[&str]) -> impl Validator {
    OneOf(allowed.iter().map(|s| s.to_string()).collect())
}

impl Validator for OneOf {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if !self.0.iter().any(|a| a == s) {
                diags.push(invalid(
                    path,
                    format!(
                        "{s:?} is not allowed; expected one of: {}.",
                        self.0.join(", ")
                    ),
                ));
            }
        }
    }
}

struct Matches {
    re: Regex,
    rule: String,
}

/// The string must match the pattern; `rule` explains it in words for the diagnostic.
/// Patterns are program constants, so a bad one is a programming error caught by tests.
pub fn matches(pattern: &str, rule: &str) -> impl Validator {
    Matches {
        re: Regex::new(pattern).unwrap_or_else(|e| panic!("bad validator pattern {pattern}: {e}")),
        rule: rule.to_string(),
    }
}

impl Validator for Matches {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if !self.re.is_match(s) {
                diags.push(invalid(path, format!("{s:?} is not valid: {}.", self.rule)));
            }
        }
    }
}

struct IntBetween(i64, i64);

/// A whole number within `lo..=hi`.
pub fn int_between(lo: i64, hi: i64) -> impl Validator {
    IntBetween(lo, hi)
}

impl Validator for IntBetween {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Value::Number(n) = value {
            match n.as_i64() {
                Some(i) if (self.0..=self.1).contains(&i) => {}
                _ => diags.push(invalid(
                    path,
                    format!(
                        "{n} is not allowed; expected a whole number from {} to {}.",
                        self.0, self.1
                    ),
                )),
            }
        }
    }
}

struct WholeNumber;

/// A whole number of any size that fits 64 bits (a version, a counter).
pub fn whole_number() -> impl Validator {
    WholeNumber
}

impl Validator for WholeNumber {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Value::Number(n) = value {
            if n.as_i64().is_none() {
                diags.push(invalid(
                    path,
                    format!("{n} is not allowed; expected a whole number."),
                ));
            }
        }
    }
}

struct Length(usize, usize);

/// A string of `lo..=hi` characters.
pub fn length_between(lo: usize, hi: usize) -> impl Validator {
    Length(lo, hi)
}

impl Validator for Length {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            let n = s.chars().count();
            if n < self.0 || n > self.1 {
                diags.push(invalid(
                    path,
                    format!("must be {} to {} characters long, got {n}.", self.0, self.1),
                ));
            }
        }
    }
}

struct NotEmpty;

/// A string with at least one non-blank character.
pub fn not_empty() -> impl Validator {
    NotEmpty
}

impl Validator for NotEmpty {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if s.trim().is_empty() {
                diags.push(invalid(path, "must not be empty.".to_string()));
            }
        }
    }
}

struct DurationString;

/// A duration such as "30m", "90s" or "1h30m".
pub fn duration() -> impl Validator {
    DurationString
}

impl Validator for DurationString {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(e) = parse_duration(s) {
                diags.push(invalid(
                    path,
                    format!("{s:?} is not a duration like \"30m\" or \"1h30m\": {e}."),
                ));
            }
        }
    }
}

/// The longest duration accepted anywhere (timeouts, intervals): ten years. Longer ones are a
/// typo, and would overflow the clock arithmetic of a wait.
pub const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(10 * 365 * 86_400);

/// Durations as Terraform users write them, in Go's syntax: "90s", "1h30m", "2.5s", "300ms";
/// at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration_unbounded(s)?;
    if d > MAX_DURATION {
        return Err("longer than the maximum of 87600h (ten years)".to_string());
    }
    Ok(d)
}

fn parse_duration_unbounded(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    if s.is_empty() {
        return Err("empty duration".to_string());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit after {rest:?}"))?;
        let (num, tail) = rest.split_at(num_len);
        let value: f64 = num
            .parse()
            .map_err(|_| format!("{num:?} is not a number"))?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let seconds = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
        };
        total += value * seconds;
        rest = next;
    }
    std::time::Duration::try_from_secs_f64(total).map_err(|e| e.to_string())
}

struct PrivateCidr {
    min_prefix: u8,
    max_prefix: u8,
}

/// An IPv4 CIDR inside a private range (10/8, 172.16/12, 192.168/16) with a prefix length in
/// `min_prefix..=max_prefix`.
pub fn private_ipv4_cidr(min_prefix: u8, max_prefix: u8) -> impl Validator {
    PrivateCidr {
        min_prefix,
        max_prefix,
    }
}

impl Validator for PrivateCidr {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let parsed = s
            .split_once('/')
            .and_then(|(ip, len)| Some((ip.parse::<Ipv4Addr>().ok()?, len.parse::<u8>().ok()?)));
        match parsed {
            None => diags.push(invalid(
                path,
                format!("{s:?} is not an IPv4 CIDR like \"10.224.0.0/12\"."),
            )),
            Some((_, len)) if len < self.min_prefix || len > self.max_prefix => {
                diags.push(invalid(
                    path,
                    format!(
                        "{s:?} has prefix /{len}; the prefix must be /{} to /{}.",
                        self.min_prefix, self.max_prefix
                    ),
                ))
            }
            Some((ip, _)) if !ip.is_private() => diags.push(invalid(
                path,
                format!(
                    "{s:?} is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)."
                ),
            )),
            _ => {}
        }
    }
}

struct MapKeys {
    allowed: &'static [&'static str],
    required: &'static [&'static str],
}

/// A map whose keys must be among `allowed` (an unknown key is an error on that key, listing
/// the allowed ones), with every key of `required` present.
pub fn map_keys(
    allowed: &'static [&'static str],
    required: &'static [&'static str],
) -> impl Validator {
    MapKeys { allowed, required }
}

impl Validator for MapKeys {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Some(entries) = value.entries() else {
            return;
        };
        for key in entries.keys() {
            if !self.allowed.contains(&key.as_str()) {
                let at = path.clone().key(key);
                diags.push(
                    Diagnostic::error(
                        format!("Unknown key {key:?} in {path}"),
                        format!(
                            "{path} takes the keys {}; {key:?} is not one of them.",
                            self.allowed.join(", ")
                        ),
                    )
                    .at(at),
                );
            }
        }
        for key in self.required {
            if !entries.contains_key(*key) {
                diags.push(invalid(path, format!("the key {key:?} is required.")));
            }
        }
    }
}

struct OneOfAnyCase(&'static [&'static str]);

/// One of these strings, in any case.
pub fn one_of_any_case(allowed: &'static [&'static str]) -> impl Validator {
    OneOfAnyCase(allowed)
}

impl Validator for OneOfAnyCase {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if !self.0.iter().any(|a| a.eq_ignore_ascii_case(s)) {
                let shown: Vec<String> = self.0.iter().map(|a| format!("{a:?}")).collect();
                diags.push(invalid(
                    path,
                    format!(
                        "{s:?} is not allowed; expected one of {} (any case).",
                        shown.join(", ")
                    ),
                ));
            }
        }
    }
}

/// Any check written as a function returning the problem in words.
pub struct Check(pub fn(&Value) -> Option<String>);

impl Validator for Check {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(problem) = (self.0)(value) {
            diags.push(invalid(path, problem));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(v: impl Validator, value: Value) -> usize {
        let mut d = Diagnostics::new();
        v.validate(&value, &AttrPath::root("x"), &mut d);
        d.0.len()
    }

    #[test]
    fn validators_accept_and_reject() {
        assert_eq!(errors(one_of(&["A", "B"]), Value::from("A")), 0);
        assert_eq!(errors(one_of(&["A", "B"]), Value::from("C")), 1);
        assert_eq!(
            errors(matches("^[a-z]{1,3}$", "1-3 letters"), Value::from("abcd")),
            1
        );
        assert_eq!(errors(int_between(1, 5), Value::from(5i64)), 0);
        assert_eq!(errors(int_between(1, 5), Value::from(9i64)), 1);
        assert_eq!(errors(whole_number(), Value::from(-3i64)), 0);
        let half = crate::framework::Number::from_f64(1.5)
            .map(Value::from)
            .unwrap();
        assert_eq!(errors(whole_number(), half), 1);
        assert_eq!(errors(duration(), Value::from("1h30m")), 0);
        assert_eq!(errors(duration(), Value::from("soon")), 1);
        assert_eq!(
            parse_duration("2.5s").unwrap(),
            std::time::Duration::from_millis(2500)
        );
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            std::time::Duration::from_secs(5400)
        );
        assert_eq!(parse_duration("0s").unwrap(), std::time::Duration::ZERO);
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("3000000000000000h").is_err());
        assert!(parse_duration("87601h").is_err());
        assert!(parse_duration("87600h").is_ok());
        assert_eq!(errors(duration(), Value::from("3000000000000000h")), 1);
        assert_eq!(
            errors(private_ipv4_cidr(12, 22), Value::from("10.224.0.0/12")),
            0
        );
        assert_eq!(
            errors(private_ipv4_cidr(12, 22), Value::from("8.8.0.0/16")),
            1
        );
        assert_eq!(
            errors(private_ipv4_cidr(12, 22), Value::from("10.0.0.0/8")),
            1
        );
        assert_eq!(errors(length_between(2, 3), Value::from("é")), 1);
        // Unknown and null values are never judged.
        assert_eq!(errors(one_of(&["A"]), Value::Unknown), 0);
        assert_eq!(errors(one_of(&["A"]), Value::Null), 0);
    }

    #[test]
    fn map_keys_name_the_unknown_key_and_the_missing_one() {
        let mut d = Diagnostics::new();
        let v = Value::map([("nmae", Value::from("AWS_VPC"))]);
        map_keys(&["name", "account_name"], &["name"]).validate(&v, &AttrPath::root("p"), &mut d);
        assert_eq!(d.0.len(), 2);
        assert_eq!(d.0[0].path, Some(AttrPath::root("p").key("nmae")));
        assert!(d.0[0].detail.contains("account_name"));
        assert!(d.0[1].detail.contains("\"name\""));
        assert_eq!(
            errors(one_of_any_case(&["RUNNING", ""]), Value::from("running")),
            0
        );
        assert_eq!(
            errors(one_of_any_case(&["RUNNING", ""]), Value::from("")),
            0
        );
        assert_eq!(
            errors(one_of_any_case(&["RUNNING"]), Value::from("ready")),
            1
        );
    }

    #[test]
    fn diagnostic_names_the_attribute() {
        let mut d = Diagnostics::new();
        one_of(&["A"]).validate(&Value::from("Z"), &AttrPath::root("sla_tier"), &mut d);
        assert_eq!(d.0[0].path, Some(AttrPath::root("sla_tier")));
        assert!(d.0[0].summary.contains("sla_tier"));
    }
}
