//! AWS Signature Version 4 for CloudBasic requests, through the `aws-sigv4` crate's request
//! signer; pinned by AWS's own test-suite vectors below. The simulator checks every request with
//! an independent verifier (`crate::sim::cloudbasic::sigv4`).
//!
//! What CloudBasic gets on every request: `Host`, `Content-Type`, `X-Amz-Date`, and
//! `X-Amz-Content-Sha256` with the real SHA-256 of the body, all four signed.
//!
//! The secret key is registered with [`crate::http::secrets`] when [`Credentials`] are made, and
//! every signature when it is computed, so an API echoing a request cannot put them in a
//! diagnostic or a log line.

use std::fmt;
use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;
use sha2::{Digest, Sha256};

use crate::http::secrets;

/// The only algorithm CloudBasic documents.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Header carrying the signing time, `yyyymmddThhmmssZ` in UTC.
pub const AMZ_DATE: &str = "x-amz-date";
/// Header carrying the hex SHA-256 of the body.
pub const AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";

/// An access key pair (CloudBasic's `publicKey` / `privateKey`). Debug never shows the secret.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: String,
}

impl Credentials {
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        let secret_key = secret_key.into();
        secrets::register(&secret_key);
        Credentials {
            access_key: access_key.into(),
            secret_key,
        }
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Where a signature is valid: the `<region>/<service>` part of the credential scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub region: String,
    pub service: String,
}

/// What gets signed. `path` and `query` are exactly as they go on the wire (already
/// percent-encoded); `headers` are the headers to sign besides the two the signer adds itself
/// (`x-amz-date`, and `x-amz-content-sha256` when `content_sha256_header` is set). `host` must be
/// among them, with the value the HTTP client will send.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    /// Send and sign `X-Amz-Content-Sha256`. CloudBasic always gets it; AWS's generic test
    /// suite vectors are computed without it.
    pub content_sha256_header: bool,
}

/// The headers to add to the request, and what was signed (for tests and debug logs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub amz_date: String,
    pub content_sha256: String,
    pub authorization: String,
    pub signed_headers: String,
    pub signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("cannot sign the request: {0}")]
    Sign(String),
}

/// Signs `request` at `time`.
pub fn sign(
    request: &Request<'_>,
    credentials: &Credentials,
    scope: &Scope,
    time: SystemTime,
) -> Result<Signed, SigningError> {
    let fail = |e: &dyn fmt::Display| SigningError::Sign(e.to_string());
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key,
        &credentials.secret_key,
        None,
        None,
        "terraform-provider-cloudbasic",
    )
    .into();
    let mut settings = SigningSettings::default();
    if request.content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&scope.region)
        .name(&scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| fail(&e))?
        .into();
    let uri = match request.query {
        Some(q) => format!("{}?{q}", request.path),
        None => request.path.to_string(),
    };
    let signable = SignableRequest::new(
        request.method,
        &uri,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| fail(&e))?;
    let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| fail(&e))?
        .into_parts();
    let header = |name: &str| {
        instructions
            .headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
    };
    let authorization = header("authorization").ok_or_else(|| fail(&"no Authorization header"))?;
    // Valid for one request only (and ~15 minutes), hence short-lived.
    secrets::register_short_lived(&signature);
    secrets::register_short_lived(&authorization);
    let signed_headers = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_default()
        .to_string();
    Ok(Signed {
        amz_date: header(AMZ_DATE).unwrap_or_default(),
        content_sha256: sha256_hex(request.body),
        authorization,
        signed_headers,
        signature,
    })
}

/// Lower-case hex SHA-256, as SigV4 writes every hash.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    // AWS Signature Version 4 test suite (docs.aws.amazon.com, "signature-v4-test-suite"):
    // every case signs for this key, region, service and instant.
    const ACCESS: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const HOST: &str = "example.amazonaws.com";

    fn suite_time() -> SystemTime {
        // 2015-08-30T12:36:00Z
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    fn suite_scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            service: "service".into(),
        }
    }

    fn suite_sign(
        method: &str,
        path_and_query: &str,
        extra: &[(&str, &str)],
        body: &str,
    ) -> Signed {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let mut headers = vec![("Host", HOST)];
        headers.extend_from_slice(extra);
        sign(
            &Request {
                method,
                path,
                query,
                headers: &headers,
                body: body.as_bytes(),
                content_sha256_header: false,
            },
            &Credentials::new(ACCESS, SECRET),
            &suite_scope(),
            suite_time(),
        )
        .unwrap()
    }

    fn authz(signed_headers: &str, signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders={signed_headers}, Signature={signature}"
        )
    }

    /// One case of the suite: name, method, path and query, extra headers, body, then the
    /// expected signed headers and signature.
    type Vector = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
        &'static str,
        &'static str,
    );

    #[test]
    fn aws_test_suite_vectors() {
        let cases: &[Vector] = &[
            (
                "get-vanilla",
                "GET",
                "/",
                &[],
                "",
                "host;x-amz-date",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "get-vanilla-query-order-key-case",
                "GET",
                "/?Param2=value2&Param1=value1",
                &[],
                "",
                "host;x-amz-date",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "post-vanilla",
                "POST",
                "/",
                &[],
                "",
                "host;x-amz-date",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
            (
                "post-vanilla-query",
                "POST",
                "/?Param1=value1",
                &[],
                "",
                "host;x-amz-date",
                "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
            ),
            (
                "post-header-key-sort",
                "POST",
                "/",
                &[("My-Header1", "value1")],
                "",
                "host;my-header1;x-amz-date",
                "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
            ),
            (
                "post-header-value-case",
                "POST",
                "/",
                &[("My-Header1", "VALUE1")],
                "",
                "host;my-header1;x-amz-date",
                "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
            ),
            (
                "post-x-www-form-urlencoded",
                "POST",
                "/",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                "Param1=value1",
                "content-type;host;x-amz-date",
                "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            ),
            (
                "post-x-www-form-urlencoded-parameters",
                "POST",
                "/",
                &[(
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf8",
                )],
                "Param1=value1",
                "content-type;host;x-amz-date",
                "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
            ),
        ];
        for (name, method, target, extra, body, signed_headers, signature) in cases {
            let signed = suite_sign(method, target, extra, body);
            assert_eq!(signed.amz_date, "20150830T123600Z", "{name}");
            assert_eq!(
                signed.authorization,
                authz(signed_headers, signature),
                "test-suite case {name}"
            );
        }
    }

    #[test]
    fn get_vanilla_intermediate_steps() {
        // The suite's .creq and .sts files for get-vanilla.
        let creq = format!(
            "GET\n/\n\nhost:{HOST}\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{}",
            sha256_hex(b"")
        );
        assert_eq!(
            sha256_hex(creq.as_bytes()),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        // post-x-www-form-urlencoded's body hash, as the suite's .creq shows it.
        assert_eq!(
            sha256_hex(b"Param1=value1"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        );
    }

    #[test]
    fn cloudbasic_requests_sign_the_real_body_hash() {
        let body = br#"{"remoteServer":"10.0.0.2"}"#;
        let headers = [
            ("Host", "127.0.0.1:8080"),
            ("Content-Type", "application/json"),
        ];
        let signed = sign(
            &Request {
                method: "POST",
                path: "/cloudbasic/api/CreateCluster",
                query: None,
                headers: &headers,
                body,
                content_sha256_header: true,
            },
            &Credentials::new("PUBLICKEY", "body-hash-test-private"),
            &Scope {
                region: "us-east-1".into(),
                service: "cloudbasic".into(),
            },
            suite_time(),
        )
        .unwrap();
        assert_eq!(signed.content_sha256, sha256_hex(body));
        assert_ne!(signed.content_sha256, sha256_hex(b""));
        assert_eq!(
            signed.signed_headers,
            "content-type;host;x-amz-content-sha256;x-amz-date"
        );
        assert!(signed.authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=PUBLICKEY/20150830/us-east-1/cloudbasic/aws4_request, "
        ));
    }

    #[test]
    fn debug_hides_the_secret() {
        let text = format!("{:?}", Credentials::new("AK", "very-secret"));
        assert!(text.contains("AK"));
        assert!(!text.contains("very-secret"));
    }

    #[test]
    fn the_secret_key_and_signatures_are_registered() {
        let credentials = Credentials::new("AK", "signing-registered-Secret/1");
        let signed = sign(
            &Request {
                method: "POST",
                path: "/api/CreateCluster",
                query: None,
                headers: &[("Host", "h")],
                body: b"{}",
                content_sha256_header: true,
            },
            &credentials,
            &suite_scope(),
            suite_time(),
        )
        .unwrap();
        let text = format!(
            "echo signing-registered-Secret%2F1 {} {}",
            signed.signature, signed.authorization
        );
        let marker = secrets::MARKER;
        assert_eq!(
            secrets::scrub(&text),
            format!("echo {marker} {marker} {marker}")
        );
    }
}
