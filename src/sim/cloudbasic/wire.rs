//! CloudBasic's two body encodings as the simulator reads and writes them.
//!
//! Reading is lenient on purpose: the format comes from `Content-Type` (anything with `xml` is
//! XML, anything with `json` is JSON) or, without one, from the body's first character; field
//! names match case-insensitively (`remoteServer`, `RemoteServer`); an XML body may have any
//! root element (`<CreateClusterRequest>`, `<ActionRequest>`, …) and attributes are ignored;
//! values may be JSON strings or numbers. Writing follows the request's format.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Json,
    Xml,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }

    /// The request's format: its content type, else the shape of its body.
    pub fn of_request(content_type: Option<&str>, body: &[u8]) -> Format {
        let ct = content_type.unwrap_or_default().to_ascii_lowercase();
        if ct.contains("xml") {
            Format::Xml
        } else if ct.contains("json") {
            Format::Json
        } else if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            Format::Xml
        } else {
            Format::Json
        }
    }
}

/// A request's fields by lower-cased name, each with the name as sent and its value as text
/// (`None` for values that are neither text nor numbers, e.g. JSON objects).
#[derive(Clone, Debug, Default)]
pub struct Fields(BTreeMap<String, (String, Option<String>)>);

impl Fields {
    /// The value of `name` (any case), `Some("")` for a present but empty or non-scalar one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(&name.to_ascii_lowercase())
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    /// Whether `name` was sent as a JSON value other than a string or number.
    pub fn is_scalar(&self, name: &str) -> bool {
        self.0
            .get(&name.to_ascii_lowercase())
            .is_none_or(|(_, v)| v.is_some())
    }

    /// Everything as sent, for the admin call log.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .values()
                .map(|(name, v)| {
                    (
                        name.clone(),
                        v.clone().map(Value::String).unwrap_or(Value::Null),
                    )
                })
                .collect(),
        )
    }

    fn insert(&mut self, name: &str, value: Option<String>) {
        self.0
            .insert(name.to_ascii_lowercase(), (name.to_string(), value));
    }
}

/// Parses a body; an empty body has no fields. The error text goes into a 400.
pub fn parse_fields(format: Format, body: &[u8]) -> Result<Fields, String> {
    let text = std::str::from_utf8(body).map_err(|_| "request body is not UTF-8".to_string())?;
    let mut fields = Fields::default();
    if text.trim().is_empty() {
        return Ok(fields);
    }
    match format {
        Format::Json => {
            let value: Value =
                serde_json::from_str(text).map_err(|e| format!("malformed JSON body: {e}"))?;
            let Value::Object(map) = value else {
                return Err("request body must be a JSON object".to_string());
            };
            for (name, v) in map {
                let text = match v {
                    Value::String(s) => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                };
                fields.insert(&name, text);
            }
        }
        Format::Xml => {
            // quick-xml reads the root's child elements as a map; the root's name is ignored.
            let map: BTreeMap<String, String> =
                quick_xml::de::from_str(text).map_err(|e| format!("malformed XML body: {e}"))?;
            for (name, v) in map {
                if !name.starts_with('@') {
                    fields.insert(&name, Some(v.trim().to_string()));
                }
            }
        }
    }
    Ok(fields)
}

/// `remoteServer` → `RemoteServer`.
fn pascal(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn respond(status: StatusCode, format: Format, body: String) -> Response {
    let content_type = match format {
        Format::Json => "application/json",
        Format::Xml => "application/xml",
    };
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// A success answer: JSON `{"requestId": N, …}` or XML `<{Action}Response><RequestId>N</RequestId>…`.
pub fn success(
    format: Format,
    action: &str,
    request_id: u64,
    extra: &[(&str, String)],
) -> Response {
    match format {
        Format::Json => {
            let mut map = Map::new();
            for (k, v) in extra {
                map.insert((*k).to_string(), Value::String(v.clone()));
            }
            map.insert("requestId".into(), json!(request_id));
            respond(StatusCode::OK, format, Value::Object(map).to_string())
        }
        Format::Xml => {
            let mut out = format!("<{action}Response>");
            for (k, v) in extra {
                let el = pascal(k);
                out.push_str(&format!("<{el}>{}</{el}>", escape(v)));
            }
            out.push_str(&format!(
                "<RequestId>{request_id}</RequestId></{action}Response>"
            ));
            respond(StatusCode::OK, format, out)
        }
    }
}

/// The vendor's error shape: JSON `{"errors": [...], "requestId": N}`, XML
/// `<Error><RequestId>N</RequestId><Message>…</Message>…</Error>` (one `Message` per error).
pub fn error(format: Format, status: StatusCode, request_id: u64, messages: &[String]) -> Response {
    match format {
        Format::Json => respond(
            status,
            format,
            json!({ "errors": messages, "requestId": request_id }).to_string(),
        ),
        Format::Xml => {
            let mut out = format!("<Error><RequestId>{request_id}</RequestId>");
            for m in messages {
                out.push_str(&format!("<Message>{}</Message>", escape(m)));
            }
            out.push_str("</Error>");
            respond(status, format, out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_content_type_or_body() {
        assert_eq!(
            Format::of_request(Some("application/xml; charset=utf-8"), b"{}"),
            Format::Xml
        );
        assert_eq!(Format::of_request(Some("text/xml"), b""), Format::Xml);
        assert_eq!(
            Format::of_request(Some("application/json"), b"<x/>"),
            Format::Json
        );
        assert_eq!(Format::of_request(None, b"  <x/>"), Format::Xml);
        assert_eq!(Format::of_request(None, b""), Format::Json);
    }

    #[test]
    fn fields_read_leniently() {
        let f = parse_fields(
            Format::Json,
            br#"{"RemoteServer":"a","port":"81","Port2":82,"obj":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(f.get("remoteServer"), Some("a"));
        assert_eq!(f.get("PORT"), Some("81"));
        assert_eq!(f.get("port2"), Some("82"));
        assert_eq!(f.get("obj"), Some(""));
        assert!(!f.is_scalar("obj"));
        assert_eq!(f.get("missing"), None);

        let f = parse_fields(
            Format::Xml,
            b"<?xml version=\"1.0\"?><ActionRequest xmlns=\"urn:x\"><remoteServer> a&amp;b </remoteServer><Port>444</Port><Empty/></ActionRequest>",
        )
        .unwrap();
        assert_eq!(f.get("RemoteServer"), Some("a&b"));
        assert_eq!(f.get("port"), Some("444"));
        assert_eq!(f.get("empty"), Some(""));

        assert!(parse_fields(Format::Json, b"[1]").is_err());
        assert!(parse_fields(Format::Xml, b"<a><b>").is_err());
        assert!(parse_fields(Format::Json, b" ").unwrap().get("x").is_none());
    }

    #[test]
    fn answers_follow_the_format() {
        let r = error(
            Format::Xml,
            StatusCode::BAD_REQUEST,
            3,
            &["{Port}:bad <x>".into()],
        );
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/xml");
        let r = success(
            Format::Json,
            "CreateCluster",
            4,
            &[("publicKey", "K".into())],
        );
        assert_eq!(r.status(), StatusCode::OK);
    }
}
