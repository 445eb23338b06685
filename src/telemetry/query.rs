//! The decision API's query string, decoded strictly: a malformed
//! percent-escape (`%ZZ`, `%4`), bytes that are not UTF-8 (`%FF`), a control
//! character (`%00`, a newline) or a parameter given twice is refused with
//! the reason, where lenient decoders (`form_urlencoded`, axum's `Query`)
//! substitute or drop and the caller is answered for a question it did not
//! ask.
//!
//! Only decoding: which parameters mean what is `api.rs`'s.

use std::collections::BTreeMap;

/// Why a query string was refused, for the 400's JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("`{text}` in parameter {pair} is not a percent-escape (% and two hexadecimal digits)")]
    BadEscape { pair: usize, text: String },
    #[error("parameter {pair} does not decode to UTF-8 text")]
    NotUtf8 { pair: usize },
    #[error("parameter {pair} holds a control character (U+{code:04X})")]
    Control { pair: usize, code: u32 },
    #[error("parameter {pair} has an empty name")]
    EmptyName { pair: usize },
    #[error("parameter `{name}` is given more than once")]
    Duplicate { name: String },
}

/// The parameters by name. Empty pairs (`a=1&&b=2`, a trailing `&`) are
/// skipped; `name` alone is `name=`. Pairs are counted from 1 in errors.
pub fn parse(query: Option<&str>) -> Result<BTreeMap<String, String>, QueryError> {
    let mut out = BTreeMap::new();
    let pairs = query.unwrap_or_default().split('&').filter(|p| !p.is_empty());
    for (i, pair) in pairs.enumerate() {
        let n = i + 1;
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name, n)?;
        if name.is_empty() {
            return Err(QueryError::EmptyName { pair: n });
        }
        let value = decode(value, n)?;
        if out.contains_key(&name) {
            // Which of two values would the caller mean? Refuse rather than guess.
            return Err(QueryError::Duplicate { name });
        }
        out.insert(name, value);
    }
    Ok(out)
}

/// `application/x-www-form-urlencoded` decoding of one name or value, refusing
/// what it cannot decode exactly.
fn decode(text: &str, pair: usize) -> Result<String, QueryError> {
    let raw = text.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
                let Some(byte) = byte.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                    let end = (i + 3).min(raw.len());
                    let text = String::from_utf8_lossy(&raw[i..end]).into_owned();
                    return Err(QueryError::BadEscape { pair, text });
                };
                bytes.push(byte);
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    let text = String::from_utf8(bytes).map_err(|_| QueryError::NotUtf8 { pair })?;
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(QueryError::Control { pair, code: u32::from(c) }),
        None => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(query: &str) -> Vec<(String, String)> {
        parse(Some(query)).unwrap().into_iter().collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn decodes_exactly_what_it_can() {
        let arn = "arn:aws:iam::1:role/app";
        let cases: [(&str, Vec<(String, String)>); 7] = [
            ("", vec![]),
            ("model=claude-sonnet-4-5", pairs(&[("model", "claude-sonnet-4-5")])),
            ("principal=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fapp", pairs(&[("principal", arn)])),
            ("principal=arn:aws:iam::1:role/app&&", pairs(&[("principal", arn)])),
            ("user_id=anna+b&tenant=%C3%A9t%C3%A9", pairs(&[("tenant", "été"), ("user_id", "anna b")])),
            ("region", pairs(&[("region", "")])),
            ("model=us.anthropic.claude%2Bx%2bflex", pairs(&[("model", "us.anthropic.claude+x+flex")])),
        ];
        for (query, want) in cases {
            assert_eq!(ok(query), want, "{query}");
        }
        assert_eq!(parse(None), Ok(BTreeMap::new()));
    }

    #[test]
    fn refuses_what_it_cannot_decode_exactly() {
        let escape = |pair, text: &str| QueryError::BadEscape { pair, text: text.into() };
        let cases = [
            ("model=%ZZ", escape(1, "%ZZ")),
            ("a=1&model=claude%4", escape(2, "%4")),
            ("model=%", escape(1, "%")),
            ("model=%+1", escape(1, "%+1")),
            ("model=%FF", QueryError::NotUtf8 { pair: 1 }),
            ("model=%C3%28", QueryError::NotUtf8 { pair: 1 }),
            ("principal=a%00b", QueryError::Control { pair: 1, code: 0 }),
            ("principal=a%0Ab", QueryError::Control { pair: 1, code: 10 }),
            ("user%00=x", QueryError::Control { pair: 1, code: 0 }),
            ("=x", QueryError::EmptyName { pair: 1 }),
            ("model=a&model=b", QueryError::Duplicate { name: "model".into() }),
            ("model=a&mod%65l=a", QueryError::Duplicate { name: "model".into() }),
        ];
        for (query, want) in cases {
            assert_eq!(parse(Some(query)), Err(want), "{query}");
        }
    }
}
