//! Expressions and their placeholders (`#name` for attribute names, `:value`
//! for values), merged per request the way DynamoDB wants them (never an
//! empty map), and the sort-key conditions of a Query.
//!
//! Builds text and maps only; must not send anything.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::attrs;

/// An expression with its placeholders (`#name`, `:value`).
#[derive(Clone, Debug, Default)]
pub(super) struct Expr {
    pub text: String,
    pub names: Vec<(&'static str, &'static str)>,
    pub values: Vec<(&'static str, AttributeValue)>,
}

impl Expr {
    pub fn new(text: impl Into<String>) -> Expr {
        Expr { text: text.into(), ..Expr::default() }
    }

    pub fn name(mut self, placeholder: &'static str, attribute: &'static str) -> Expr {
        self.names.push((placeholder, attribute));
        self
    }

    pub fn value(mut self, placeholder: &'static str, value: AttributeValue) -> Expr {
        self.values.push((placeholder, value));
        self
    }

    /// Holds for any item, present or not: for updates that must always apply.
    pub fn always() -> Expr {
        Expr::new("attribute_not_exists(#pk) OR attribute_exists(#pk)").name("#pk", attrs::PK)
    }

    /// The item must not exist yet.
    pub fn absent() -> Expr {
        Expr::new("attribute_not_exists(#pk)").name("#pk", attrs::PK)
    }

    /// The item must still be at `version` (or absent for `None`).
    pub fn at_version(version: Option<u64>) -> Expr {
        match version {
            None => Expr::absent(),
            Some(v) => Expr::new("#v = :v")
                .name("#v", attrs::VERSION)
                .value(":v", attrs::n(super::numbers::from_u64(v))),
        }
    }
}

pub(super) type Names = Option<HashMap<String, String>>;
pub(super) type Values = Option<HashMap<String, AttributeValue>>;

/// The placeholders of several expressions of one request; DynamoDB refuses empty maps.
pub(super) fn placeholders(parts: &[&Expr]) -> (Names, Values) {
    let names: HashMap<String, String> =
        parts.iter().flat_map(|e| &e.names).map(|(p, a)| ((*p).to_string(), (*a).to_string())).collect();
    let values: HashMap<String, AttributeValue> =
        parts.iter().flat_map(|e| &e.values).map(|(p, v)| ((*p).to_string(), v.clone())).collect();
    (Some(names).filter(|m| !m.is_empty()), Some(values).filter(|m| !m.is_empty()))
}

/// How a sort key is bounded in a Query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Range {
    All,
    Prefix(String),
    /// `lo <= sk <= hi`; bounds built by `keys` make it half-open in time.
    Between(String, String),
    AtLeast(String),
    Below(String),
}

fn sort_condition(range: &Range) -> Option<Expr> {
    let sk = |text: &str| Expr::new(text).name("#sk", attrs::SK);
    match range {
        Range::All => None,
        Range::Prefix(p) => Some(sk("begins_with(#sk, :a)").value(":a", attrs::s(p.clone()))),
        Range::Between(a, b) => Some(
            sk("#sk BETWEEN :a AND :b").value(":a", attrs::s(a.clone())).value(":b", attrs::s(b.clone())),
        ),
        Range::AtLeast(a) => Some(sk("#sk >= :a").value(":a", attrs::s(a.clone()))),
        Range::Below(b) => Some(sk("#sk < :b").value(":b", attrs::s(b.clone()))),
    }
}

/// A Query's key condition: the partition, and the sort key within `range`.
pub(super) fn key_condition(pk: &str, range: &Range) -> Expr {
    let key = Expr::new("#pk = :pk").name("#pk", attrs::PK).value(":pk", attrs::s(pk));
    match sort_condition(range) {
        Some(mut sk) => {
            sk.text = format!("{} AND {}", key.text, sk.text);
            sk.names.extend(key.names);
            sk.values.extend(key.values);
            sk
        }
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_merge_and_empty_maps_are_left_out() {
        let (names, values) = placeholders(&[&Expr::absent()]);
        assert_eq!(names, Some(HashMap::from([("#pk".to_string(), "pk".to_string())])));
        assert_eq!(values, None, "DynamoDB refuses an empty ExpressionAttributeValues");
        let k = key_condition("L#r#2026-03-01T10", &Range::Between("05".into(), "30".into()));
        assert_eq!(k.text, "#pk = :pk AND #sk BETWEEN :a AND :b");
        let (names, values) = placeholders(&[&k]);
        assert_eq!(names.map(|n| n.len()), Some(2));
        assert_eq!(values.map(|v| v.len()), Some(3));
        assert_eq!(key_condition("T", &Range::All).text, "#pk = :pk");
    }
}
