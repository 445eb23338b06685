//! Reading `/metrics` (Prometheus text format 0.0.4) into samples, and the
//! samples the ledger families must have for a [`Truth`].

use std::collections::BTreeMap;

use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::shard;

use super::{literal_rates, Truth};

/// A sample's identity: family name and label pairs.
pub type SampleKey = (String, BTreeMap<String, String>);

/// The families the ledger's cost totals are exported as.
/// The emulator's default account: the daemon's primary one.
pub const PRIMARY_ACCOUNT: &str = "123456789012";

pub const COST_FAMILIES: [&str; 3] =
    ["bedrock_tokens_total", "bedrock_cost_usd_total", "bedrock_unpriced_tokens_total"];

/// Every sample of the exposition (comments skipped), by name and labels.
pub fn parse(text: &str) -> BTreeMap<SampleKey, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("bad sample line {line:?}"));
        let name = line[..name_end].to_string();
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end + 1..])
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let value = rest.split_whitespace().next().unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|e| panic!("bad value in {line:?}: {e}"));
        assert!(samples.insert((name, labels), value).is_none(), "duplicate sample {line:?}");
    }
    samples
}

/// `a="x",b="y\"z"} rest` → the labels and `rest`.
fn parse_labels(mut s: &str) -> (BTreeMap<String, String>, &str) {
    let mut labels = BTreeMap::new();
    loop {
        s = s.trim_start_matches(',');
        if let Some(rest) = s.strip_prefix('}') {
            return (labels, rest);
        }
        let (name, after) = s.split_once("=\"").unwrap_or_else(|| panic!("bad labels {s:?}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated escape in {s:?}"),
                },
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {s:?}"),
            }
        };
        labels.insert(name.to_string(), value);
        s = &after[end + 1..];
    }
}

/// Only the samples of `families`.
pub fn only(samples: &BTreeMap<SampleKey, f64>, families: &[&str]) -> BTreeMap<SampleKey, f64> {
    samples
        .iter()
        .filter(|((name, _), _)| families.contains(&name.as_str()))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn key(name: &str, labels: &[(&str, &str)]) -> SampleKey {
    (name.to_string(), labels.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect())
}

fn token_label(t: TokenType) -> &'static str {
    match t {
        TokenType::Input => "input",
        TokenType::Output => "output",
        TokenType::CacheRead => "cache_read",
        TokenType::CacheWrite5m | TokenType::CacheWrite1h => "cache_write",
    }
}

/// The cost families `/metrics` must serve for `truth`: tokens for every
/// series, USD (the f64 nearest the exact decimal) for priced ones, unpriced
/// tokens for the others, which never get a USD sample.
pub fn expected(truth: &Truth) -> BTreeMap<SampleKey, f64> {
    let mut out = BTreeMap::new();
    for ((shard_key, model_id, token_type), &tokens) in &truth.tokens {
        let token = token_label(*token_type);
        // The emulator's default account is the primary one; a member's key names its own.
        let account = shard::account_label(shard_key, PRIMARY_ACCOUNT);
        let region = shard::region_of(shard_key);
        // Exact below 2^53: the sample is the integer itself.
        let count = tokens as f64;
        match literal_rates(model_id) {
            Some((model, _)) => {
                // bedrock-runtime usage belongs to the account's default project.
                let labels = [
                    ("account", account),
                    ("region", region),
                    ("model_id", model_id),
                    ("model", model),
                    ("project", "default"),
                    ("token_type", token),
                ];
                let usd = Truth::usd(model_id, *token_type, tokens).unwrap();
                out.insert(key("bedrock_tokens_total", &labels), count);
                out.insert(key("bedrock_cost_usd_total", &labels), usd.to_string().parse::<f64>().unwrap());
            }
            None => {
                let labels = [
                    ("account", account),
                    ("region", region),
                    ("model_id", model_id),
                    ("model", "unpriced"),
                    ("project", "default"),
                    ("token_type", token),
                ];
                out.insert(key("bedrock_tokens_total", &labels), count);
                let labels = [
                    ("account", account),
                    ("region", region),
                    ("model_id", model_id),
                    ("project", "default"),
                    ("token_type", token),
                ];
                out.insert(key("bedrock_unpriced_tokens_total", &labels), count);
            }
        }
    }
    out
}
