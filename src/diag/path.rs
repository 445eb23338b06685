//! Field paths (`budgets[2].limit_usd`) that name where a value sits in a TOML document.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root to one value. Cheap to build while validating.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// `FieldPath::root().key("jobs").key("cloudwatch")`.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.into()));
        next
    }

    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Walks the path through a parsed document, keeping the deepest span found,
    /// so a missing leaf is still located at its parent table.
    pub(crate) fn deepest_span(&self, doc: &toml_edit::Table) -> Option<std::ops::Range<usize>> {
        let mut span = doc.span();
        let mut cursor = Cursor::Table(doc);
        for seg in &self.0 {
            let (next, found_span) = cursor.step(seg);
            if found_span.is_some() {
                span = found_span;
            }
            match next {
                Some(c) => cursor = c,
                None => break,
            }
        }
        span
    }
}

/// Where a walk through a document currently stands.
enum Cursor<'a> {
    Table(&'a dyn toml_edit::TableLike),
    Tables(&'a toml_edit::ArrayOfTables),
    Array(&'a toml_edit::Array),
}

type Span = Option<std::ops::Range<usize>>;

impl<'a> Cursor<'a> {
    fn step(&self, seg: &Segment) -> (Option<Cursor<'a>>, Span) {
        match (self, seg) {
            (Cursor::Table(t), Segment::Key(k)) => match t.get_key_value(k) {
                // The key's own position is where a reader looks first.
                Some((key, item)) => (Cursor::of_item(item), key.span().or_else(|| item.span())),
                None => (None, None),
            },
            (Cursor::Tables(a), Segment::Index(i)) => match a.get(*i) {
                Some(t) => (Some(Cursor::Table(t)), t.span()),
                None => (None, None),
            },
            (Cursor::Array(a), Segment::Index(i)) => match a.get(*i) {
                Some(v) => (Cursor::of_value(v), v.span()),
                None => (None, None),
            },
            _ => (None, None),
        }
    }

    fn of_item(item: &'a toml_edit::Item) -> Option<Cursor<'a>> {
        match item {
            toml_edit::Item::Table(t) => Some(Cursor::Table(t)),
            toml_edit::Item::ArrayOfTables(a) => Some(Cursor::Tables(a)),
            toml_edit::Item::Value(v) => Cursor::of_value(v),
            toml_edit::Item::None => None,
        }
    }

    fn of_value(v: &'a toml_edit::Value) -> Option<Cursor<'a>> {
        match v {
            toml_edit::Value::InlineTable(t) => Some(Cursor::Table(t)),
            toml_edit::Value::Array(a) => Some(Cursor::Array(a)),
            _ => None,
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{}", display_key(k))?,
                Segment::Key(k) => write!(f, ".{}", display_key(k))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Keys with dots or spaces are quoted as TOML would, so the path stays unambiguous.
fn display_key(k: &str) -> String {
    let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        format!("\"{k}\"")
    }
}
