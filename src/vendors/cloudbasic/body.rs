//! Request and response bodies in CloudBasic's two encodings.
//!
//! Every action takes a flat record of scalars. In JSON its keys are camelCase
//! (`{"remoteServer": …}`); in XML the root element is `<{Action}Request>` (the vendor's
//! samples: `<CreateClusterRequest>`, `<AlterClusterRequest>`, `<DeleteClusterRequest>`) and
//! each key is a child element with the first letter upper-cased (`<RemoteServer>`). One list
//! of fields per action feeds both, so the two encodings cannot disagree on a name.
//!
//! Answers come in the request's encoding. Success is the status code (200 = done); the
//! request id of either is kept for logs and diagnostics, and the scalar values of an answer
//! (ActivateInstance's `publicKey` and `privateKey`) are kept by name.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

/// How bodies are encoded (`payload_format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PayloadFormat {
    #[default]
    Json,
    Xml,
}

impl PayloadFormat {
    pub const NAMES: [&'static str; 2] = ["json", "xml"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "json" => Some(PayloadFormat::Json),
            "xml" => Some(PayloadFormat::Xml),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PayloadFormat::Json => "json",
            PayloadFormat::Xml => "xml",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            PayloadFormat::Json => "application/json",
            PayloadFormat::Xml => "application/xml",
        }
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field value: the API's fields are strings, integers (`port`) or booleans
/// (`isProduction`, `agreeToEula`).
#[derive(Clone, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Scalar::Text(t) => Cow::Borrowed(t),
            Scalar::Int(i) => Cow::Owned(i.to_string()),
            Scalar::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }
}

/// One action's request body: fields in the order the vendor's samples list them, named as in
/// JSON (camelCase). Debug shows names only, since key material travels in these bodies.
#[derive(Clone)]
pub struct ActionBody {
    pub action: &'static str,
    pub fields: Vec<(&'static str, Scalar)>,
}

impl fmt::Debug for ActionBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(n, _)| *n).collect();
        f.debug_struct("ActionBody")
            .field("action", &self.action)
            .field("fields", &names)
            .finish()
    }
}

impl ActionBody {
    pub fn new(action: &'static str) -> Self {
        ActionBody {
            action,
            fields: Vec::new(),
        }
    }

    pub fn text(mut self, name: &'static str, value: &str) -> Self {
        self.fields.push((name, Scalar::Text(value.to_string())));
        self
    }

    pub fn int(mut self, name: &'static str, value: i64) -> Self {
        self.fields.push((name, Scalar::Int(value)));
        self
    }

    pub fn flag(mut self, name: &'static str, value: bool) -> Self {
        self.fields.push((name, Scalar::Bool(value)));
        self
    }

    pub fn encode(&self, format: PayloadFormat) -> Vec<u8> {
        match format {
            PayloadFormat::Json => self.to_json(),
            PayloadFormat::Xml => self.to_xml().into_bytes(),
        }
    }

    fn to_json(&self) -> Vec<u8> {
        // Written by hand rather than through a map so the keys keep the samples' order.
        let mut out = String::from("{");
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&Value::String((*name).to_string()).to_string());
            out.push(':');
            match value {
                Scalar::Text(t) => out.push_str(&Value::String(t.clone()).to_string()),
                Scalar::Int(n) => out.push_str(&n.to_string()),
                Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            }
        }
        out.push('}');
        out.into_bytes()
    }

    fn to_xml(&self) -> String {
        let root = format!("{}Request", self.action);
        let mut out = format!("<{root}>");
        for (name, value) in &self.fields {
            let element = xml_name(name);
            out.push_str(&format!(
                "<{element}>{}</{element}>",
                quick_xml::escape::escape(value.text())
            ));
        }
        out.push_str(&format!("</{root}>"));
        out
    }
}

/// `remoteServer` → `RemoteServer`.
pub fn xml_name(json_name: &str) -> String {
    let mut chars = json_name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// One problem the API reported. `field` is the API's field name when the message starts with
/// `{Field}:` (CloudBasic's convention: `{RemoteServer}:Invalid value for RemoteServer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn parse(raw: &str) -> Problem {
        let raw = raw.trim();
        let tagged = raw.strip_prefix('{').and_then(|rest| {
            let (field, message) = rest.split_once('}')?;
            let message = message.trim_start().strip_prefix(':').unwrap_or(message);
            let field = field.trim();
            let is_name =
                !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            is_name.then(|| Problem {
                field: Some(field.to_string()),
                message: message.trim().to_string(),
            })
        });
        tagged.unwrap_or_else(|| Problem {
            field: None,
            message: raw.to_string(),
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What an answer body says, whichever encoding it came in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub request_id: Option<String>,
    pub problems: Vec<Problem>,
    /// The body was neither empty nor a JSON object nor XML (a proxy's text, a cut-off body).
    pub unreadable: bool,
    /// Scalar values by lower-cased name: the top-level members of a JSON answer, the leaf
    /// elements of an XML one (`publicKey` and `<PublicKey>` both as `publickey`).
    pub values: BTreeMap<String, String>,
}

impl Answer {
    /// The value named `name` (any case), if the answer has a non-empty one.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Longest message passed on: an error body can be a proxy's whole HTML page.
const MAX_MESSAGE: usize = 500;

/// Reads an answer body: JSON `{"errors": [...], "requestId": 20}` or XML
/// `<Error><RequestId>…</RequestId><Message>…</Message></Error>` (the elements are found at any
/// depth, so AWS-style `<ErrorResponse><Error>…` wrappers read too). The content type decides,
/// else the first character. Anything else becomes one problem holding the text.
pub fn read_answer(body: &[u8], content_type: Option<&str>) -> Answer {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return Answer::default();
    }
    let xml = match content_type.map(str::to_ascii_lowercase) {
        Some(ct) if ct.contains("xml") => true,
        Some(ct) if ct.contains("json") => false,
        _ => text.starts_with('<'),
    };
    let parsed = if xml { read_xml(text) } else { read_json(text) };
    parsed.unwrap_or_else(|| Answer {
        request_id: None,
        problems: vec![Problem::parse(&shorten(text))],
        unreadable: true,
        values: BTreeMap::new(),
    })
}

fn read_json(text: &str) -> Option<Answer> {
    let Value::Object(map) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    let request_id =
        json_field(&map, &["requestId", "RequestId", "request_id"]).and_then(scalar_text);
    let mut problems = Vec::new();
    match json_field(&map, &["errors", "Errors"]) {
        Some(Value::Array(items)) => problems.extend(items.iter().filter_map(json_message)),
        Some(other) => problems.extend(json_message(other)),
        None => {}
    }
    if problems.is_empty() {
        problems.extend(
            json_field(&map, &["message", "Message", "error", "Error"]).and_then(json_message),
        );
    }
    let values = map
        .iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.to_ascii_lowercase(), s.clone())),
            Value::Number(n) => Some((k.to_ascii_lowercase(), n.to_string())),
            Value::Bool(b) => Some((k.to_ascii_lowercase(), b.to_string())),
            _ => None,
        })
        .collect();
    Some(Answer {
        request_id,
        problems,
        unreadable: false,
        values,
    })
}

fn json_field<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| map.get(*n))
}

fn json_message(value: &Value) -> Option<Problem> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Object(m) => json_field(m, &["message", "Message"]).and_then(scalar_text)?,
        other => scalar_text(other)?,
    };
    (!text.trim().is_empty()).then(|| Problem::parse(&shorten(&text)))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The text of every `RequestId` and `Message` element, at any depth. `None` when the body is
/// not XML at all.
fn read_xml(text: &str) -> Option<Answer> {
    let mut reader = Reader::from_str(text);
    let mut open: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut answer = Answer::default();
    let mut saw_element = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                saw_element = true;
                open.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                current.clear();
            }
            Ok(Event::Text(t)) => current.push_str(&t.decode().ok()?),
            Ok(Event::CData(t)) => current.push_str(&t.decode().ok()?),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    current.push(c);
                } else if let Some(resolved) = r
                    .decode()
                    .ok()
                    .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name))
                {
                    current.push_str(resolved);
                }
            }
            Ok(Event::End(_)) => {
                let name = open.pop().unwrap_or_default();
                let value = current.trim();
                if !value.is_empty() {
                    answer
                        .values
                        .entry(name.to_ascii_lowercase())
                        .or_insert_with(|| value.to_string());
                    match name.as_str() {
                        "RequestId" | "RequestID" | "requestId" => {
                            answer.request_id.get_or_insert_with(|| value.to_string());
                        }
                        "Message" | "message" => {
                            answer.problems.push(Problem::parse(&shorten(value)))
                        }
                        _ => {}
                    }
                }
                current.clear();
            }
            Ok(Event::Empty(_)) => saw_element = true,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            // A truncated or broken document: keep what was read if it was XML at all.
            Err(_) => break,
        }
    }
    saw_element.then_some(answer)
}

/// One line, bounded length, cut on a character boundary.
fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_MESSAGE {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_MESSAGE).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ActionBody {
        ActionBody::new("CreateCluster")
            .text("remoteServer", "10.0.0.2")
            .text("localServer", "db-a.example.com")
            .int("port", 4432)
            .text("publicKey", "PUB")
            .text("privateKey", "p<&>\"'")
    }

    #[test]
    fn json_keeps_the_sample_order_and_types() {
        let json = String::from_utf8(sample().encode(PayloadFormat::Json)).unwrap();
        assert_eq!(
            json,
            r#"{"remoteServer":"10.0.0.2","localServer":"db-a.example.com","port":4432,"publicKey":"PUB","privateKey":"p<&>\"'"}"#
        );
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["port"], 4432);
    }

    #[test]
    fn xml_uses_the_action_root_and_pascal_case_elements() {
        let xml = String::from_utf8(sample().encode(PayloadFormat::Xml)).unwrap();
        assert_eq!(
            xml,
            "<CreateClusterRequest><RemoteServer>10.0.0.2</RemoteServer>\
             <LocalServer>db-a.example.com</LocalServer><Port>4432</Port>\
             <PublicKey>PUB</PublicKey><PrivateKey>p&lt;&amp;&gt;&quot;&apos;</PrivateKey>\
             </CreateClusterRequest>"
        );
    }

    #[test]
    fn debug_shows_no_values() {
        let text = format!("{:?}", sample());
        assert!(text.contains("privateKey"));
        assert!(!text.contains("PUB"));
    }

    #[test]
    fn problems_name_their_field() {
        assert_eq!(
            Problem::parse("{RemoteServer}:Invalid value for RemoteServer"),
            Problem {
                field: Some("RemoteServer".into()),
                message: "Invalid value for RemoteServer".into()
            }
        );
        assert_eq!(
            Problem::parse("{Port} : bad").field.as_deref(),
            Some("Port")
        );
        assert_eq!(Problem::parse("plain words").field, None);
        assert_eq!(Problem::parse("{not a field}: x").field, None);
        assert_eq!(Problem::parse("{Port}").message, "");
    }

    #[test]
    fn json_errors_read() {
        let a = read_answer(
            br#"{"errors":["{RemoteServer}:Invalid value for RemoteServer","{Port}:Invalid value for Port"],"requestId":20}"#,
            Some("application/json; charset=utf-8"),
        );
        assert_eq!(a.request_id.as_deref(), Some("20"));
        let fields: Vec<_> = a
            .problems
            .iter()
            .map(|p| p.field.clone().unwrap_or_default())
            .collect();
        assert_eq!(fields, ["RemoteServer", "Port"]);
        let a = read_answer(br#"{"message":"nope","requestId":"r-1"}"#, None);
        assert_eq!(a.request_id.as_deref(), Some("r-1"));
        assert_eq!(a.problems[0].message, "nope");
        let a = read_answer(br#"{"errors":[{"message":"{Port}:x"}]}"#, None);
        assert_eq!(a.problems[0].field.as_deref(), Some("Port"));
    }

    #[test]
    fn xml_errors_read() {
        let a = read_answer(
            b"<?xml version=\"1.0\"?><Error><RequestId>21</RequestId>\
              <Message>{PublicKey}:Invalid value &amp; more &#x41;</Message></Error>",
            Some("application/xml"),
        );
        assert_eq!(a.request_id.as_deref(), Some("21"));
        assert_eq!(
            a.problems,
            vec![Problem {
                field: Some("PublicKey".into()),
                message: "Invalid value & more A".into()
            }]
        );
        let nested = read_answer(
            b"<ErrorResponse><Error><Code>X</Code><Message>deep</Message></Error><RequestId>7</RequestId></ErrorResponse>",
            None,
        );
        assert_eq!(nested.request_id.as_deref(), Some("7"));
        assert_eq!(nested.problems[0].message, "deep");
    }

    #[test]
    fn other_bodies_become_one_problem() {
        let a = read_answer(
            b"<html><body>502 Bad Gateway</body></html>",
            Some("text/html"),
        );
        assert!(a.problems.is_empty() || a.problems[0].field.is_none());
        let a = read_answer(b"upstream timed out", None);
        assert_eq!(a.problems[0].message, "upstream timed out");
        assert!(a.unreadable);
        assert!(read_answer(br#"{"requestI"#, Some("application/json")).unreadable);
        assert!(!read_answer(br#"{"requestId":3}"#, None).unreadable);
        assert!(
            !read_answer(
                b"<CreateClusterResponse><RequestId>3</RequestId></CreateClusterResponse>",
                None
            )
            .unreadable
        );
        assert_eq!(read_answer(b"  ", None), Answer::default());
        let long = "x".repeat(2000);
        assert!(
            read_answer(long.as_bytes(), None).problems[0]
                .message
                .chars()
                .count()
                <= 501
        );
    }

    #[test]
    fn booleans_and_answer_values() {
        let body = ActionBody::new("ActivateInstance")
            .text("email", "a@b")
            .flag("agreeToEula", true)
            .flag("isProduction", false);
        assert_eq!(
            String::from_utf8(body.encode(PayloadFormat::Json)).unwrap(),
            r#"{"email":"a@b","agreeToEula":true,"isProduction":false}"#
        );
        assert_eq!(
            String::from_utf8(body.encode(PayloadFormat::Xml)).unwrap(),
            "<ActivateInstanceRequest><Email>a@b</Email><AgreeToEula>true</AgreeToEula>\
             <IsProduction>false</IsProduction></ActivateInstanceRequest>"
        );
        let json = read_answer(
            br#"{"publicKey":"PK","privateKey":"SK","requestId":4}"#,
            None,
        );
        assert_eq!(
            (json.value("PublicKey"), json.value("privateKey")),
            (Some("PK"), Some("SK"))
        );
        let xml = read_answer(
            b"<ActivateInstanceResponse><PublicKey>PK</PublicKey><PrivateKey>S&amp;K</PrivateKey>\
              <RequestId>5</RequestId></ActivateInstanceResponse>",
            Some("application/xml"),
        );
        assert_eq!(
            (xml.value("publicKey"), xml.value("privatekey")),
            (Some("PK"), Some("S&K"))
        );
        assert_eq!(xml.request_id.as_deref(), Some("5"));
        assert_eq!(
            read_answer(br#"{"publicKey":""}"#, None).value("publicKey"),
            None
        );
    }

    #[test]
    fn formats() {
        assert_eq!(PayloadFormat::parse("xml"), Some(PayloadFormat::Xml));
        assert_eq!(PayloadFormat::parse("XML"), None);
        assert_eq!(PayloadFormat::default().content_type(), "application/json");
        assert_eq!(xml_name("standaloneServer"), "StandaloneServer");
    }
}
