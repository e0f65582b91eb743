//! A small JSON reader and string writer for the cty JSON codecs.
//!
//! serde_json (without `arbitrary_precision`, which this crate cannot rely on) turns large
//! numbers into f64; cty numbers must survive exactly, so numbers are kept as their source text.

/// A parsed JSON document. Object members keep their order and duplicates so that callers can
/// reject duplicates with a path-aware message.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Deep enough for any real schema; shallow enough that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

impl Json {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// For handing type descriptions to `Type::from_json`, which works on serde_json values.
    pub(crate) fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as S;
        match self {
            Json::Null => S::Null,
            Json::Bool(b) => S::Bool(*b),
            Json::Number(n) => n
                .parse::<serde_json::Number>()
                .map(S::Number)
                .unwrap_or(S::Null),
            Json::String(s) => S::String(s.clone()),
            Json::Array(items) => S::Array(items.iter().map(Json::to_serde).collect()),
            Json::Object(members) => S::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// Parses one JSON document; anything but whitespace after it is an error.
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8 in JSON: {e}"))?;
    let mut p = Parser { src: text, pos: 0 };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(format!(
            "unexpected data after JSON value at byte {}",
            p.pos
        ));
    }
    Ok(value)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.src.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        match self.peek() {
            None => Err(format!("unexpected end of JSON input ({what})")),
            Some(_) => Err(format!("invalid JSON at byte {}: {what}", self.pos)),
        }
    }

    fn expect_literal(&mut self, lit: &str) -> Result<(), String> {
        if self.src[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            self.err(&format!("expected {lit}"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err(format!("JSON nested deeper than {MAX_DEPTH} levels"));
        }
        match self.peek() {
            Some(b'n') => self.expect_literal("null").map(|_| Json::Null),
            Some(b't') => self.expect_literal("true").map(|_| Json::Bool(true)),
            Some(b'f') => self.expect_literal("false").map(|_| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            _ => self.err("expected a value"),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return self.err("expected , or ]"),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return self.err("expected an object key");
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return self.err("expected :");
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return self.err("expected , or }"),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<String, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err("expected a digit"),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return self.err("expected a digit after the decimal point");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return self.err("expected a digit in the exponent");
            }
        }
        Ok(self.src[start..self.pos].to_string())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(hex) = self.src.get(self.pos..self.pos + 4) else {
            return self.err("truncated \\u escape");
        };
        // from_str_radix also takes a sign (`\u+0e9`), which JSON does not (found by fuzzing).
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.err("invalid \\u escape");
        }
        let code = u32::from_str_radix(hex, 16).or_else(|_| self.err("invalid \\u escape"))?;
        self.pos += 4;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run ends at an ASCII byte, so it is a char boundary of valid UTF-8 text.
            out.push_str(&self.src[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(esc) = self.peek() else {
                        return self.err("truncated escape");
                    };
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(format!("invalid escape at byte {}", self.pos - 1)),
                    }
                }
                Some(_) => return self.err("control character in string"),
                None => return self.err("unterminated string"),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.src[self.pos..].starts_with("\\u") {
                return self.err("unpaired surrogate in \\u escape");
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return self.err("unpaired surrogate in \\u escape");
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).map_or_else(|| self.err("invalid \\u escape"), Ok)
    }
}

/// Writes `s` as a JSON string the way Go's encoding/json does (cty's writer), including its
/// HTML-safe escapes, so our output matches Terraform's byte for byte where it matters.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        let needs_hex = matches!(
            c,
            '\u{0}'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'
        );
        if escape.is_none() && !needs_hex {
            continue;
        }
        out.extend_from_slice(&s.as_bytes()[run_start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e.as_bytes()),
            None => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
        }
        run_start = i + c.len_utf8();
    }
    out.extend_from_slice(&s.as_bytes()[run_start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documents() {
        let j =
            parse(br#" {"a": [1, -2.5e3, true, null], "b": "x\"\u00e9\ud83d\ude00"} "#).unwrap();
        assert_eq!(
            j,
            Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number("1".into()),
                        Json::Number("-2.5e3".into()),
                        Json::Bool(true),
                        Json::Null
                    ])
                ),
                ("b".into(), Json::String("x\"é😀".into())),
            ])
        );
    }

    #[test]
    fn keeps_big_numbers_as_text() {
        assert_eq!(
            parse(b"123456789012345678901234567890.5").unwrap(),
            Json::Number("123456789012345678901234567890.5".into())
        );
    }

    #[test]
    fn rejects_bad_documents() {
        for bad in [
            &b""[..],
            b"[1,]",
            b"{\"a\" 1}",
            b"01",
            b"1.",
            b"\"abc",
            b"\"\\ud800\"",
            b"\"\\u+0e9\"",
            b"\"\\ud83d\\u-e00\"",
            b"nul",
            b"[1] x",
            b"\"\x01\"",
            b"\xff",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn writes_strings_like_go() {
        let mut out = Vec::new();
        write_string(&mut out, "a\"b\\c\nd<&>\u{1}é\u{2028}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\"b\\c\nd\u003c\u0026\u003e\u0001é\u2028""#
        );
    }
}
