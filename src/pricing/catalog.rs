//! The known Claude models and the patterns that recognise their base IDs.
//!
//! Newer Bedrock IDs drop the date suffix and new dated revisions appear, so a
//! model is recognised by patterns (`*` matches any run of characters), not a
//! closed list. The most specific pattern wins; a tie is refused, never guessed.

/// A model family member with one price history, e.g. `claude-sonnet-4-5`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelDef {
    /// Stable key: the `model` label and the `resolved_model` of `price`.
    pub key: String,
    pub name: String,
    /// Base-ID patterns; one without `*` is an exact ID.
    pub patterns: Vec<String>,
}

/// How a base ID matched a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match<'a> {
    Found { model: &'a ModelDef, pattern: &'a str },
    Unknown,
    Ambiguous(Vec<&'a str>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    models: Vec<ModelDef>,
}

impl Catalog {
    pub fn new(models: Vec<ModelDef>) -> Self {
        Catalog { models }
    }

    pub fn models(&self) -> &[ModelDef] {
        &self.models
    }

    pub fn get(&self, key: &str) -> Option<&ModelDef> {
        self.models.iter().find(|m| m.key == key)
    }

    pub fn find(&self, base_id: &str) -> Match<'_> {
        let mut best: Vec<(&ModelDef, &str)> = Vec::new();
        let mut best_rank = (false, 0usize);
        for model in &self.models {
            for pattern in &model.patterns {
                if !glob_match(pattern, base_id) {
                    continue;
                }
                // Exact IDs beat any pattern; then more literal characters win.
                let rank = (!pattern.contains('*'), pattern.replace('*', "").len());
                if rank > best_rank || best.is_empty() {
                    best_rank = rank;
                    best = vec![(model, pattern)];
                } else if rank == best_rank {
                    best.push((model, pattern));
                }
            }
        }
        match best.as_slice() {
            [] => Match::Unknown,
            [(model, pattern)] => Match::Found { model, pattern },
            many => Match::Ambiguous(many.iter().map(|(_, p)| *p).collect()),
        }
    }
}

/// Glob match where `*` stands for any (possibly empty) run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let cases = [
            ("a*", "abc", true),
            ("a*", "a", true),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("*c", "abc", true),
            ("a*c", "ac", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxcyyb", false),
            ("ab*ba", "aba", false),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
        ];
        for (p, t, want) in cases {
            assert_eq!(glob_match(p, t), want, "{p} ~ {t}");
        }
    }

    fn def(key: &str, patterns: &[&str]) -> ModelDef {
        ModelDef {
            key: key.into(),
            name: key.into(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn most_specific_pattern_wins_and_ties_are_refused() {
        let catalog = Catalog::new(vec![
            def("opus-4", &["anthropic.claude-opus-4-20250514-v1:0", "anthropic.claude-opus-4-2*"]),
            def("opus-4-5", &["anthropic.claude-opus-4-5*"]),
            def("x", &["anthropic.claude-x*"]),
            def("y", &["anthropic.claude-x*"]),
        ]);
        let key = |id: &str| match catalog.find(id) {
            Match::Found { model, .. } => model.key.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(key("anthropic.claude-opus-4-20250514-v1:0"), "opus-4");
        assert_eq!(key("anthropic.claude-opus-4-5-20251101-v1:0"), "opus-4-5");
        assert_eq!(key("anthropic.claude-opus-4-5-20260101-v2:0"), "opus-4-5");
        assert_eq!(key("anthropic.claude-opus-5"), "Unknown");
        assert!(matches!(catalog.find("anthropic.claude-x1"), Match::Ambiguous(_)));
    }

    /// Undated IDs: a broad family pattern loses to a longer one, and exact
    /// `-v*` patterns keep a model from swallowing its later minor versions.
    #[test]
    fn undated_ids_stay_with_their_model() {
        let catalog = Catalog::new(vec![
            def("opus-4-any", &["anthropic.claude-opus-4-*"]),
            def("opus-4-8", &["anthropic.claude-opus-4-8*"]),
            def("opus-5", &["anthropic.claude-opus-5", "anthropic.claude-opus-5-v*"]),
            def("opus-5-5", &["anthropic.claude-opus-5-5", "anthropic.claude-opus-5-5-v*"]),
        ]);
        let key = |id: &str| match catalog.find(id) {
            Match::Found { model, .. } => model.key.clone(),
            other => format!("{other:?}"),
        };
        let cases = [
            ("anthropic.claude-opus-4-8", "opus-4-8"),
            ("anthropic.claude-opus-4-8-v1:0", "opus-4-8"),
            ("anthropic.claude-opus-4-7", "opus-4-any"),
            ("anthropic.claude-opus-5", "opus-5"),
            ("anthropic.claude-opus-5-v1:0", "opus-5"),
            ("anthropic.claude-opus-5-5", "opus-5-5"),
            ("anthropic.claude-opus-5-5-v2:0", "opus-5-5"),
            ("anthropic.claude-opus-5-6", "Unknown"),
        ];
        for (id, want) in cases {
            assert_eq!(key(id), want, "{id}");
        }
    }
}
