//! Pulling a human message out of an API error body, whatever its shape.
//!
//! Vendors disagree: `{"message": …}`, `{"errors": ["…"]}`, `{"error": {"message": …}}`,
//! `{"externalMessage": …}`, `{"errors": {"field": ["…"]}}`, XML `<Message>…</Message>`, or
//! an HTML page from a proxy. Users need the words either way, but never a secret the API
//! echoed back: registered secrets are scrubbed here, before the words reach any error type.

use serde_json::Value;

use super::secrets;

/// Longest message we pass on: an error body can be a whole HTML page.
const MAX_LEN: usize = 500;

/// The most useful one-line message in an error body, or `None` when the body is empty.
/// Registered secrets (see [`secrets`]) are replaced by [`secrets::MARKER`].
pub fn error_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let found = match serde_json::from_str::<Value>(text) {
        Ok(json) => from_json(&json).or_else(|| Some(text.to_string())),
        Err(_) if text.starts_with('<') => from_markup(text),
        Err(_) => Some(text.to_string()),
    };
    // Scrubbed before tidying: collapsing whitespace or cutting at the length limit could
    // otherwise leave a part of a secret that no longer matches the registered value.
    found
        .map(|message| tidy(&secrets::scrub(&message)))
        .filter(|message| !message.is_empty())
}

fn from_json(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(from_json).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(map) => {
            for key in [
                "message",
                "Message",
                "errorMessage",
                "error_message",
                "externalMessage",
                "error_description",
                "detail",
                "msg",
            ] {
                if let Some(found) = map.get(key).and_then(from_json) {
                    return Some(found);
                }
            }
            for key in ["error", "errors", "Error", "error_details"] {
                match map.get(key) {
                    // {"errors": {"field": ["must not be blank"]}}
                    Some(Value::Object(fields)) if !fields.keys().any(|k| k.contains("essage")) => {
                        let parts: Vec<String> = fields
                            .iter()
                            .filter_map(|(field, v)| from_json(v).map(|m| format!("{field}: {m}")))
                            .collect();
                        if !parts.is_empty() {
                            return Some(parts.join("; "));
                        }
                    }
                    Some(other) => {
                        if let Some(found) = from_json(other) {
                            return Some(found);
                        }
                    }
                    None => {}
                }
            }
            None
        }
        _ => None,
    }
}

/// XML `<Message>` (CloudBasic-style errors) or the `<title>` of an HTML page.
fn from_markup(text: &str) -> Option<String> {
    for tag in ["Message", "message", "title"] {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        if let Some(start) = text.find(&open) {
            let rest = &text[start + open.len()..];
            if let Some(end) = rest.find(&close) {
                let inner = rest[..end].trim();
                if !inner.is_empty() {
                    return Some(inner.to_string());
                }
            }
        }
    }
    Some(text.to_string())
}

/// One line, bounded length, cut on a character boundary.
fn tidy(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_LEN {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_LEN).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::error_message;

    #[test]
    fn common_shapes() {
        let cases: &[(&str, &str)] = &[
            (r#"{"message":"Invalid node size"}"#, "Invalid node size"),
            (r#"{"errors":["a bad","b bad"]}"#, "a bad; b bad"),
            (r#"{"errors":[{"message":"x","field":"f"}]}"#, "x"),
            (r#"{"error":"nope"}"#, "nope"),
            (r#"{"error":{"message":"deep"}}"#, "deep"),
            (
                r#"{"errCode":"CSS.0001","externalMessage":"bad params"}"#,
                "bad params",
            ),
            (
                r#"{"errors":{"clusterName":["must match"]}}"#,
                "clusterName: must match",
            ),
            (r#"{"status":"error"}"#, r#"{"status":"error"}"#),
            (
                "<Error><Message>Invalid value</Message></Error>",
                "Invalid value",
            ),
            (
                "<html><title>502 Bad Gateway</title></html>",
                "502 Bad Gateway",
            ),
            ("plain\n  words ", "plain words"),
        ];
        for (body, want) in cases {
            assert_eq!(
                error_message(body.as_bytes()).as_deref(),
                Some(*want),
                "{body}"
            );
        }
        assert_eq!(error_message(b"  "), None);
    }

    #[test]
    fn registered_secrets_are_scrubbed_from_every_shape() {
        use super::secrets::{register, MARKER};
        let secret = "msg-Secret/Val+1";
        register(secret);
        let long_tail = "y".repeat(600);
        for body in [
            format!(r#"{{"message":"bad key {secret}"}}"#),
            // Echoed inside a JSON string in escaped form, then decoded by the extraction.
            r#"{"errors":["bad key msg-Secret\/Val+1"]}"#.to_string(),
            format!("<Error><Message>bad key {secret}</Message></Error>"),
            format!("plain bad key {secret}"),
            // A secret right at the cut: scrubbed before the cut, so no prefix survives.
            format!("{}{secret}{long_tail}", "x".repeat(495)),
            format!("not json {{ key={}", "msg-Secret%2FVal%2B1"),
        ] {
            let message = error_message(body.as_bytes()).unwrap_or_default();
            assert!(!message.contains("msg-Secret"), "{body} -> {message}");
            assert!(
                message.contains(&MARKER[..5]) || message.ends_with('…'),
                "{message}"
            );
        }
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(5000);
        let message = error_message(body.as_bytes()).unwrap();
        assert!(message.chars().count() <= 501);
    }
}
