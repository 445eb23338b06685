//! The API's bearer token check: a request without `Authorization: Bearer
//! <token>`, or with another token, is answered 401 with
//! `WWW-Authenticate: Bearer` (RFC 6750) before any handler runs.
//!
//! Both tokens are hashed before they are compared in constant time, so the
//! time taken says nothing about the token's bytes or length. Never logs a
//! token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ApiToken;

/// What requests must present: the configured token's digest.
#[derive(Clone)]
pub struct Bearer(Arc<[u8; 32]>);

impl Bearer {
    pub fn new(token: &ApiToken) -> Self {
        Bearer(Arc::new(digest(token.as_bytes())))
    }

    fn admits(&self, presented: &[u8]) -> bool {
        bool::from(digest(presented).ct_eq(&self.0[..]))
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The middleware (`axum::middleware::from_fn_with_state(bearer, require)`).
pub async fn require(State(bearer): State<Bearer>, request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    match presented.map(credentials) {
        Some(Some(token)) if bearer.admits(token) => next.run(request).await,
        Some(_) => refuse("invalid_token", "the bearer token is not the configured one"),
        None => refuse("", "this API needs an Authorization: Bearer <token> header"),
    }
}

/// The token of a `Bearer` header value (the scheme is case-insensitive).
fn credentials(value: &[u8]) -> Option<&[u8]> {
    let (scheme, token) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(token.trim_ascii()).filter(|t| !t.is_empty())
}

fn refuse(error: &str, reason: &str) -> Response {
    // RFC 6750 §3: no error code when no credentials were sent.
    let challenge = match error {
        "" => "Bearer realm=\"bedrock-cost-monitor\"".to_string(),
        code => format!("Bearer realm=\"bedrock-cost-monitor\", error=\"{code}\""),
    };
    let body = Json(json!({ "error": "unauthorized", "reason": reason }));
    let mut response = (StatusCode::UNAUTHORIZED, body).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bearer_scheme_with_the_same_token_is_admitted() {
        assert_eq!(credentials(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(credentials(b"bearer  abc "), Some(&b"abc"[..]));
        assert_eq!(credentials(b"Basic YWJjOmRlZg=="), None);
        assert_eq!(credentials(b"Bearer "), None);
        assert_eq!(credentials(b"Bearer"), None);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t"), "s3cret\n").unwrap();
        let api = crate::config::http::ApiSection {
            token_file: Some("t".into()),
            ..crate::config::http::ApiSection::default()
        };
        let token = crate::config::http::read_token(&api, dir.path(), &|_| None).unwrap().unwrap();
        let bearer = Bearer::new(&token);
        assert!(bearer.admits(b"s3cret"));
        assert!(!bearer.admits(b"s3cre") && !bearer.admits(b"s3cret2") && !bearer.admits(b""));
    }
}
