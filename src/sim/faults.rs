//! Injected faults: what a fault request may say ([`FaultRequest`] → [`Fault`]), which queued
//! fault a request draws ([`draw`]), and what the fault does to the exchange ([`apply`]).
//! The admin API that queues them is documented in [`super::admin`].

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Vendor;

/// Largest answer body a fault reads back to change it.
const MAX_ANSWER: usize = 64 * 1024 * 1024;

/// What `"garble": "invalid"` sends: a stray `<` opens no element, the braces open no JSON value,
/// and the 0xFF byte is not UTF-8, so neither a JSON nor an XML parser accepts it.
const INVALID_BODY: &[u8] = b"}{<< \xff clusterform-sim garbled this answer";

/// How a handled answer's body is spoiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Garble {
    /// The first half of the bytes (rounded down).
    Truncate,
    /// [`INVALID_BODY`] instead of the answer.
    Invalid,
}

/// A `POST /_admin/faults` body, before [`FaultRequest::validate`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    pub vendor: String,
    pub method: Option<String>,
    pub path_contains: Option<String>,
    pub status: Option<u16>,
    pub body: Option<Value>,
    pub retry_after: Option<u64>,
    pub times: Option<u32>,
    pub patch: Option<Value>,
    pub remove: Option<Vec<String>>,
    #[serde(default)]
    pub act: bool,
    #[serde(default)]
    pub drop: bool,
    pub delay_ms: Option<u64>,
    pub garble: Option<Garble>,
    pub probability: Option<f64>,
}

/// A queued fault (also its `GET /_admin/faults` shape).
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub vendor: String,
    pub method: Option<String>,
    pub path_contains: Option<String>,
    /// The status answered instead of (or, with `act`, after) normal handling.
    pub status: Option<u16>,
    pub body: Option<Value>,
    pub retry_after: Option<u64>,
    /// How many more times the fault fires; `None` = unlimited.
    pub times: Option<u32>,
    /// A lie rather than a failure: the request is handled, then this is merged into the body.
    pub patch: Option<Value>,
    /// Dotted paths removed from the handled answer's JSON body.
    pub remove: Vec<String>,
    /// Handle the request normally before answering with `status` or dropping.
    pub act: bool,
    /// Close the connection without any answer.
    pub drop: bool,
    pub delay_ms: Option<u64>,
    pub garble: Option<Garble>,
    /// Chance that a matching request draws this fault.
    pub probability: f64,
}

/// What a fired fault did, as the request log's `fault` field names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Answered `status` instead of handling.
    Status,
    /// Handled, then answered `status`.
    Act,
    /// Not handled; connection closed without an answer.
    Drop,
    /// Handled, then the connection closed without an answer.
    ActDrop,
    /// Handled, body garbled.
    Garble,
    /// Handled, body patched and/or fields removed.
    Lie,
    /// Handled, answer only late.
    Delay,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Act => "act",
            Kind::Drop => "drop",
            Kind::ActDrop => "act_drop",
            Kind::Garble => "garble",
            Kind::Lie => "lie",
            Kind::Delay => "delay",
        }
    }

    /// Whether the client got no HTTP answer at all.
    pub fn dropped(self) -> bool {
        matches!(self, Kind::Drop | Kind::ActDrop)
    }
}

impl FaultRequest {
    /// The fault this request queues, or why it makes no sense (the text of a 400). The vendor
    /// name is checked by the caller, which knows the vendor modules.
    pub fn validate(self) -> Result<Fault, String> {
        if self.times == Some(0) {
            return Err("times must be at least 1".into());
        }
        if let Some(p) = self.probability {
            // Written as a positive test so that NaN is refused too.
            let in_range = p > 0.0 && p <= 1.0;
            if !in_range {
                return Err(format!("probability must be in (0, 1], got {p}"));
            }
        }
        if let Some(s) = self.status {
            if s < 100 || StatusCode::from_u16(s).is_err() {
                return Err(format!(
                    "status must be an HTTP status code (100-999), got {s}"
                ));
            }
        }
        let replaces = self.status.is_some() || self.drop;
        if self.status.is_some() && self.drop {
            return Err("a fault either drops the connection or answers a status, not both".into());
        }
        if (self.body.is_some() || self.retry_after.is_some()) && self.status.is_none() {
            return Err("body and retry_after belong to a fault with a status".into());
        }
        if self.act && !replaces {
            return Err(
                "act needs a status or drop: what the client gets instead of the real answer"
                    .into(),
            );
        }
        let changes = self.patch.is_some() || self.remove.is_some() || self.garble.is_some();
        if changes && replaces {
            return Err(
                "patch, remove and garble change the real answer; a fault with a status \
                        or drop replaces it, so they cannot be combined"
                    .into(),
            );
        }
        if !replaces && !changes && self.delay_ms.is_none() {
            return Err("a fault needs a status, drop, patch, remove, garble or delay_ms".into());
        }
        if self.patch.as_ref().is_some_and(|p| !p.is_object()) {
            return Err("patch must be a JSON object".into());
        }
        let remove = self.remove.unwrap_or_default();
        if let Some(bad) = remove.iter().find(|p| p.split('.').any(str::is_empty)) {
            return Err(format!(
                "remove lists dotted field paths like \"a.b\", got {bad:?}"
            ));
        }
        Ok(Fault {
            vendor: self.vendor,
            method: self.method,
            path_contains: self.path_contains,
            status: self.status,
            body: self.body,
            retry_after: self.retry_after,
            // A fault that fires by chance is a background failure rate: unlimited unless bounded.
            times: match (self.times, self.probability) {
                (Some(t), _) => Some(t),
                (None, Some(_)) => None,
                (None, None) => Some(1),
            },
            patch: self.patch,
            remove,
            act: self.act,
            drop: self.drop,
            delay_ms: self.delay_ms,
            garble: self.garble,
            probability: self.probability.unwrap_or(1.0),
        })
    }
}

impl Fault {
    pub fn kind(&self) -> Kind {
        match (self.drop, self.status.is_some(), self.act) {
            (true, _, true) => Kind::ActDrop,
            (true, _, false) => Kind::Drop,
            (false, true, true) => Kind::Act,
            (false, true, false) => Kind::Status,
            (false, false, _) if self.garble.is_some() => Kind::Garble,
            (false, false, _) if self.patch.is_some() || !self.remove.is_empty() => Kind::Lie,
            (false, false, _) => Kind::Delay,
        }
    }

    /// Whether the request reaches the vendor router (auth, then the handler).
    fn handles(&self) -> bool {
        self.act || (self.status.is_none() && !self.drop)
    }

    fn matches(&self, vendor: &str, method: &str, path: &str) -> bool {
        self.vendor == vendor
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }

    fn fires(&self) -> bool {
        self.probability >= 1.0 || fastrand::f64() < self.probability
    }
}

/// The first queued fault that matches this request and fires (each matching fault draws its
/// own chance, in queue order), with one use taken from it.
pub fn draw(faults: &mut Vec<Fault>, vendor: &str, method: &str, path: &str) -> Option<Fault> {
    let idx = faults
        .iter()
        .position(|f| f.matches(vendor, method, path) && f.fires())?;
    let fault = faults[idx].clone();
    match &mut faults[idx].times {
        Some(t) if *t <= 1 => {
            faults.remove(idx);
        }
        Some(t) => *t -= 1,
        None => {}
    }
    Some(fault)
}

/// Runs the exchange the way `fault` says. The delay is an async sleep outside the state lock,
/// so other requests (and the admin API) go on meanwhile.
pub async fn apply(fault: &Fault, vendor: &Vendor, req: Request, next: Next) -> Response {
    let handled = if fault.handles() {
        Some(next.run(req).await)
    } else {
        None
    };
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.drop {
        return dropped_connection();
    }
    if fault.status.is_some() {
        return fault_response(vendor, fault);
    }
    let Some(resp) = handled else {
        // Unreachable by `handles()`; answering the fault's error shape keeps the gate total.
        return fault_response(vendor, fault);
    };
    if fault.patch.is_none() && fault.remove.is_empty() && fault.garble.is_none() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(mut bytes) = axum::body::to_bytes(body, MAX_ANSWER).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "clusterform-sim could not read the answer to change it",
        )
            .into_response();
    };
    if fault.patch.is_some() || !fault.remove.is_empty() {
        bytes = lie(bytes, fault);
    }
    bytes = match fault.garble {
        Some(Garble::Truncate) => bytes.slice(..bytes.len() / 2),
        Some(Garble::Invalid) => Bytes::from_static(INVALID_BODY),
        None => bytes,
    };
    let mut out = Response::from_parts(parts, Body::from(bytes));
    // hyper writes the length of the new body; the handler's header would contradict it.
    out.headers_mut().remove(header::CONTENT_LENGTH);
    out
}

/// The body with `remove` applied, then `patch` merged. A JSON body gets both; an XML body
/// (CloudBasic) only the removals, of elements below its root element; any other body is left
/// alone.
fn lie(bytes: Bytes, fault: &Fault) -> Bytes {
    let paths: Vec<Vec<&str>> = fault
        .remove
        .iter()
        .map(|p| p.split('.').collect())
        .collect();
    if let Ok(mut json) = serde_json::from_slice::<Value>(&bytes) {
        for segments in &paths {
            remove_path(&mut json, segments);
        }
        if let Some(patch) = &fault.patch {
            merge(&mut json, patch);
        }
        return Bytes::from(json.to_string());
    }
    if paths.is_empty() || bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'<') {
        return bytes;
    }
    match remove_xml(&bytes, &paths) {
        Some(out) => Bytes::from(out),
        None => bytes,
    }
}

/// Copies the XML document without the elements at `paths` (element names below the root,
/// compared ignoring ASCII case so one path fits a vendor's JSON `publicKey` and XML
/// `PublicKey`; repeated elements all go). `None` if the document does not parse.
fn remove_xml(bytes: &[u8], paths: &[Vec<&str>]) -> Option<Vec<u8>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut writer = quick_xml::Writer::new(Vec::new());
    // Open element names, root first.
    let mut open: Vec<String> = Vec::new();
    // The depth of the removed element being skipped, if any.
    let mut skipping: Option<usize> = None;
    let removed = |open: &[String]| {
        paths.iter().any(|path| {
            open.len() == path.len() + 1
                && open[1..]
                    .iter()
                    .zip(path)
                    .all(|(name, seg)| name.eq_ignore_ascii_case(seg))
        })
    };
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                if skipping.is_none() && removed(&open) {
                    skipping = Some(open.len());
                }
            }
            _ => {}
        }
        if skipping.is_none() {
            writer.write_event(event.borrow()).ok()?;
        }
        if matches!(event, Event::End(_) | Event::Empty(_)) {
            if skipping == Some(open.len()) {
                skipping = None;
            }
            open.pop();
        }
    }
    Some(writer.into_inner())
}

/// Removes the dotted path; an array on the way applies the rest of the path to every element.
fn remove_path(target: &mut Value, segments: &[&str]) {
    match (target, segments) {
        (Value::Array(items), _) => {
            for item in items {
                remove_path(item, segments);
            }
        }
        (Value::Object(map), [last]) => {
            map.remove(*last);
        }
        (Value::Object(map), [first, rest @ ..]) => {
            if let Some(child) = map.get_mut(*first) {
                remove_path(child, rest);
            }
        }
        _ => {}
    }
}

/// Objects merge key by key; anything else is replaced.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// A response whose body fails on its first poll.
///
/// hyper (HTTP/1) only buffers the status line and headers when it gets a response, and flushes
/// them together with the first body bytes. A body that errors before yielding anything makes the
/// connection task end with a body error; the socket is then dropped with the head still
/// unflushed, so the client reads no byte at all: EOF, or a reset when its request is still
/// unread in the kernel buffer. The body must not be empty (an exact size hint of 0 is sent as
/// `Content-Length: 0` without polling it), which a stream body of unknown size guarantees.
fn dropped_connection() -> Response {
    let failure = io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by an injected fault",
    );
    Body::from_stream(tokio_stream::once(Err::<Bytes, io::Error>(failure))).into_response()
}

/// The fault's own answer: `status`, `body` (default: the vendor's error shape) and `Retry-After`.
fn fault_response(vendor: &Vendor, fault: &Fault) -> Response {
    let status = fault
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = fault
        .body
        .clone()
        .unwrap_or_else(|| (vendor.error_body)(status, "injected fault (clusterform-sim)"));
    let mut resp = (status, Json(body)).into_response();
    if let Some(secs) = fault.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> Result<Fault, String> {
        let req: FaultRequest = serde_json::from_value(body).map_err(|e| e.to_string())?;
        req.validate()
    }

    #[test]
    fn remove_follows_dotted_paths_through_arrays() {
        let mut body = json!({
            "id": "c1",
            "dataCentres": [
                {"name": "dc1", "nodes": [{"id": "n1", "publicAddress": "1.2.3.4"}, {"id": "n2"}]},
                {"name": "dc2", "nodes": [{"id": "n3", "publicAddress": "5.6.7.8"}]}
            ]
        });
        remove_path(&mut body, &["dataCentres", "nodes", "publicAddress"]);
        remove_path(&mut body, &["id"]);
        remove_path(&mut body, &["no", "such", "path"]);
        assert_eq!(
            body,
            json!({"dataCentres": [
                {"name": "dc1", "nodes": [{"id": "n1"}, {"id": "n2"}]},
                {"name": "dc2", "nodes": [{"id": "n3"}]}
            ]})
        );
        let mut list = json!([{"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}]);
        remove_path(&mut list, &["a", "b"]);
        assert_eq!(list, json!([{"a": {"c": 2}}, {"a": {}}]));
    }

    #[test]
    fn lies_remove_then_patch_and_leave_other_bodies_alone() {
        let fault = request(json!({
            "vendor": "x", "remove": ["a.b", "gone"], "patch": {"a": {"new": true}, "extra": 1}
        }))
        .unwrap();
        let out = lie(Bytes::from(r#"{"a":{"b":1,"c":2},"gone":3}"#), &fault);
        assert_eq!(
            serde_json::from_slice::<Value>(&out).unwrap(),
            json!({"a": {"c": 2, "new": true}, "extra": 1})
        );
        let text = Bytes::from_static(b"gone: 3");
        assert_eq!(lie(text.clone(), &fault), text);
    }

    #[test]
    fn xml_answers_lose_elements_below_the_root() {
        let fault = request(json!({
            "vendor": "x", "remove": ["publicKey", "errors.message", "absent"], "patch": {"a": 1}
        }))
        .unwrap();
        let xml = Bytes::from_static(
            b"<?xml version=\"1.0\"?><R><PublicKey>k</PublicKey><Errors><Message>a</Message>\
              <Message/><Code>7</Code></Errors><publickey><x/></publickey><RequestId>1</RequestId></R>",
        );
        assert_eq!(
            std::str::from_utf8(&lie(xml, &fault)).unwrap(),
            "<?xml version=\"1.0\"?><R><Errors><Code>7</Code></Errors><RequestId>1</RequestId></R>"
        );
        let broken = Bytes::from_static(b"<R><PublicKey>k</R>");
        assert_eq!(lie(broken.clone(), &fault), broken);
    }

    #[test]
    fn the_invalid_body_is_not_json() {
        // Not UTF-8 either (so no XML): tests/sim_faults.rs checks that on the wire.
        assert!(serde_json::from_slice::<Value>(INVALID_BODY).is_err());
    }

    #[test]
    fn times_default_to_one_unless_the_fault_fires_by_chance() {
        let once = request(json!({"vendor": "x", "status": 500})).unwrap();
        assert_eq!((once.times, once.probability), (Some(1), 1.0));
        let background = request(json!({"vendor": "x", "status": 500, "probability": 0.5}));
        assert_eq!(background.unwrap().times, None);
        let bounded = request(json!({"vendor": "x", "drop": true, "probability": 0.5, "times": 3}));
        assert_eq!(bounded.unwrap().times, Some(3));
    }

    #[test]
    fn kinds_name_what_the_client_got() {
        let kind = |body: Value| request(body).unwrap().kind().as_str();
        assert_eq!(kind(json!({"vendor": "x", "status": 503})), "status");
        assert_eq!(
            kind(json!({"vendor": "x", "status": 503, "act": true})),
            "act"
        );
        assert_eq!(kind(json!({"vendor": "x", "drop": true})), "drop");
        assert_eq!(
            kind(json!({"vendor": "x", "drop": true, "act": true})),
            "act_drop"
        );
        assert_eq!(
            kind(json!({"vendor": "x", "garble": "truncate", "patch": {}})),
            "garble"
        );
        assert_eq!(kind(json!({"vendor": "x", "remove": ["a"]})), "lie");
        assert_eq!(
            kind(json!({"vendor": "x", "patch": {"a": 1}, "delay_ms": 5})),
            "lie"
        );
        assert_eq!(kind(json!({"vendor": "x", "delay_ms": 5})), "delay");
        assert_eq!(
            kind(json!({"vendor": "x", "status": 500, "delay_ms": 5})),
            "status"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            json!({"vendor": "x"}),
            json!({"vendor": "x", "status": 42}),
            json!({"vendor": "x", "status": 500, "times": 0}),
            json!({"vendor": "x", "status": 500, "drop": true}),
            json!({"vendor": "x", "drop": true, "body": {}}),
            json!({"vendor": "x", "drop": true, "retry_after": 1}),
            json!({"vendor": "x", "patch": {}, "retry_after": 1}),
            json!({"vendor": "x", "act": true}),
            json!({"vendor": "x", "act": true, "delay_ms": 10}),
            json!({"vendor": "x", "status": 500, "patch": {}}),
            json!({"vendor": "x", "status": 500, "garble": "truncate"}),
            json!({"vendor": "x", "drop": true, "remove": ["a"]}),
            json!({"vendor": "x", "garble": "scramble"}),
            json!({"vendor": "x", "patch": [1]}),
            json!({"vendor": "x", "remove": ["a..b"]}),
            json!({"vendor": "x", "remove": [""]}),
            json!({"vendor": "x", "status": 500, "probability": 0}),
            json!({"vendor": "x", "status": 500, "probability": 1.5}),
            json!({"vendor": "x", "status": 500, "probability": -0.1}),
            json!({"vendor": "x", "status": 500, "colour": "red"}),
        ] {
            assert!(request(bad.clone()).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn draws_skip_faults_that_do_not_fire_and_count_only_fired_ones() {
        let never = Fault {
            // The smallest positive chance: practically never fires.
            probability: f64::MIN_POSITIVE,
            ..request(json!({"vendor": "x", "status": 500, "probability": 1})).unwrap()
        };
        let twice = request(json!({"vendor": "x", "status": 503, "times": 2})).unwrap();
        let mut faults = vec![never, twice];
        for _ in 0..2 {
            assert_eq!(
                draw(&mut faults, "x", "GET", "/a").unwrap().status,
                Some(503)
            );
        }
        assert_eq!(faults.len(), 1);
        assert!(draw(&mut faults, "x", "GET", "/a").is_none());
        assert_eq!(faults[0].times, None, "an unlimited fault stays queued");
    }
}
