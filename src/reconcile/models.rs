//! Which price-table model a bill means. Bills name models three ways: a
//! Bedrock base ID (`anthropic.claude-opus-4-8`, matched by the catalog's
//! own patterns), a compact name (`Claude4.6Sonnet`, `Claude3Haiku`) and,
//! for AWS Marketplace lines, the product (`Claude Sonnet 4.6 (Amazon
//! Bedrock Edition)`). The last two are compared with each catalog model's
//! name by family, version and revision (`v2`); anything that matches no
//! model, or more than one, is unmapped, never guessed. Pure.

use crate::pricing::catalog::{Catalog, Match};

/// What identifies a Claude model in prose: family word, version numbers, revision.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Signature {
    family: String,
    version: Vec<u32>,
    revision: Option<u32>,
}

const FAMILIES: &[&str] = &["opus", "sonnet", "haiku", "fable", "mythos", "instant"];

pub struct BillModels<'a> {
    catalog: &'a Catalog,
    signed: Vec<(Signature, &'a str)>,
}

impl<'a> BillModels<'a> {
    pub fn new(catalog: &'a Catalog) -> Self {
        let signed =
            catalog.models().iter().filter_map(|m| Some((signature(&m.name)?, m.key.as_str()))).collect();
        BillModels { catalog, signed }
    }

    /// The model key `text` names, if exactly one.
    pub fn key_of(&self, text: &str) -> Option<String> {
        let trimmed = text.trim();
        if trimmed.starts_with("anthropic.") {
            return match self.catalog.find(trimmed) {
                Match::Found { model, .. } => Some(model.key.clone()),
                Match::Unknown | Match::Ambiguous(_) => None,
            };
        }
        let wanted = signature(trimmed)?;
        let mut keys = self.signed.iter().filter(|(s, _)| *s == wanted).map(|(_, k)| *k);
        match (keys.next(), keys.next()) {
            (Some(key), None) => Some(key.to_string()),
            _ => None,
        }
    }
}

/// `Claude Sonnet 4.6` / `Claude4.6Sonnet` / `Claude 3.5 Sonnet v2` →
/// (sonnet, [4, 6], None) / (sonnet, [4, 6], None) / (sonnet, [3, 5], Some(2)).
/// Text in parentheses (`(Amazon Bedrock Edition)`) is ignored.
fn signature(text: &str) -> Option<Signature> {
    let lower = text.to_ascii_lowercase();
    let lower = lower.split('(').next().unwrap_or_default();
    if !lower.contains("claude") {
        return None;
    }
    let family = FAMILIES.iter().find(|f| lower.contains(*f))?.to_string();
    let (mut version, mut revision) = (Vec::new(), None);
    let chars: Vec<char> = lower.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let n: u32 = chars[start..i].iter().collect::<String>().parse().ok()?;
        if start > 0 && chars[start - 1] == 'v' {
            revision = Some(n);
        } else if i - start < 8 {
            // Eight digits are a date (`20250929`), not a version.
            version.push(n);
        }
    }
    (!version.is_empty()).then_some(Signature { family, version, revision })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::catalog::ModelDef;

    fn catalog() -> Catalog {
        let model = |key: &str, name: &str, pattern: &str| ModelDef {
            key: key.into(),
            name: name.into(),
            patterns: vec![pattern.into()],
        };
        Catalog::new(vec![
            model("claude-3-haiku", "Claude 3 Haiku", "anthropic.claude-3-haiku-*"),
            model("claude-3-5-sonnet", "Claude 3.5 Sonnet", "anthropic.claude-3-5-sonnet-20240620-*"),
            model("claude-3-5-sonnet-v2", "Claude 3.5 Sonnet v2", "anthropic.claude-3-5-sonnet-20241022-*"),
            model("claude-sonnet-4-6", "Claude Sonnet 4.6", "anthropic.claude-sonnet-4-6"),
            model("claude-opus-4-8", "Claude Opus 4.8", "anthropic.claude-opus-4-8"),
            model("claude-opus-5", "Claude Opus 5", "anthropic.claude-opus-5"),
            model("claude-opus-5-5", "Claude Opus 5.5", "anthropic.claude-opus-5-5"),
        ])
    }

    #[test]
    fn bill_spellings_find_their_model_and_nothing_is_guessed() {
        let c = catalog();
        let models = BillModels::new(&c);
        let cases = [
            ("Claude4.6Sonnet", Some("claude-sonnet-4-6")),
            ("Claude Sonnet 4.6 (Amazon Bedrock Edition)", Some("claude-sonnet-4-6")),
            ("anthropic.claude-opus-4-8", Some("claude-opus-4-8")),
            ("Claude3Haiku", Some("claude-3-haiku")),
            ("Claude3.5Sonnet", Some("claude-3-5-sonnet")),
            ("Claude3.5SonnetV2", Some("claude-3-5-sonnet-v2")),
            ("Claude Opus 5 (Amazon Bedrock Edition)", Some("claude-opus-5")),
            ("Claude Opus 5.5 (Amazon Bedrock Edition)", Some("claude-opus-5-5")),
            // Not in the table, or not Claude: unmapped.
            ("Claude Fable 5.2 (Amazon Bedrock Edition)", None),
            ("anthropic.claude-opus-9", None),
            ("Llama3-70B", None),
            ("Claude", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(models.key_of(text).as_deref(), want, "{text}");
        }
    }
}
