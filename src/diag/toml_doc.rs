//! A TOML text kept together with its parse tree, so typed deserialisation and
//! later validation can both point at `file:line`.

use serde::de::DeserializeOwned;

use super::{Diagnostic, Diagnostics, FieldPath, Finding, Severity};

pub struct TomlDoc {
    origin: String,
    text: String,
    doc: toml_edit::Document<String>,
}

impl TomlDoc {
    /// Parses `text`; `origin` is what messages call the file (usually its path).
    pub fn parse(origin: impl Into<String>, text: impl Into<String>) -> Result<Self, Diagnostics> {
        let origin = origin.into();
        let text = text.into();
        match toml_edit::Document::parse(text.clone()) {
            Ok(doc) => Ok(TomlDoc { origin, text, doc }),
            Err(e) => {
                let line = e.span().map(|s| line_of(&text, s.start));
                Err(Diagnostics(vec![Diagnostic {
                    severity: Severity::Error,
                    origin,
                    line,
                    field: String::new(),
                    reason: format!("invalid TOML: {}", first_line(e.message())),
                }]))
            }
        }
    }

    /// The text as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Deserialises into `T`, turning the first error into a located diagnostic
    /// that names the field serde was in when it failed.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        let de = match toml::Deserializer::parse(&self.text) {
            Ok(de) => de,
            Err(e) => return Err(self.diag_of_toml_error(&e, FieldPath::root())),
        };
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = convert_path(e.path());
            self.diag_of_toml_error(e.inner(), path)
        })
    }

    fn diag_of_toml_error(&self, e: &toml::de::Error, path: FieldPath) -> Diagnostic {
        let message = first_line(e.message()).to_string();
        // Some serde paths stop at the parent of an unknown field; name the field itself.
        let path = match unknown_field_name(&message) {
            Some(name) if path.last_key() != Some(name) => path.key(name),
            _ => path,
        };
        let line = e.span().map(|s| line_of(&self.text, s.start)).or_else(|| self.line_of_path(&path));
        Diagnostic {
            severity: Severity::Error,
            origin: self.origin.clone(),
            line,
            field: path.to_string(),
            reason: message,
        }
    }

    /// The line where `path` (or its deepest existing parent) is written.
    pub fn line_of_path(&self, path: &FieldPath) -> Option<usize> {
        if path.is_root() {
            return None;
        }
        path.deepest_span(self.doc.as_table()).map(|s| line_of(&self.text, s.start))
    }

    pub fn locate(&self, finding: &Finding) -> Diagnostic {
        Diagnostic {
            severity: finding.severity,
            origin: self.origin.clone(),
            line: self.line_of_path(&finding.path),
            field: finding.path.to_string(),
            reason: finding.reason.clone(),
        }
    }

    pub fn locate_all(&self, findings: &[Finding]) -> Diagnostics {
        Diagnostics(findings.iter().map(|f| self.locate(f)).collect())
    }
}

fn convert_path(p: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment;
    p.iter().fold(FieldPath::root(), |acc, seg| match seg {
        Segment::Seq { index } => acc.index(*index),
        Segment::Map { key } => acc.key(key.clone()),
        Segment::Enum { variant } => acc.key(variant.clone()),
        Segment::Unknown => acc,
    })
}

fn unknown_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn first_line(s: &str) -> &str {
    s.trim().lines().next().unwrap_or("")
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields that exist only to be deserialized")]
    struct Doc {
        top: Option<u32>,
        #[serde(default)]
        item: Vec<Item>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields that exist only to be deserialized")]
    struct Item {
        name: String,
        size: u32,
    }

    const TEXT: &str =
        "top = 1\n\n[[item]]\nname = \"a\"\nsize = 1\n\n[[item]]\nname = \"b\"\nsize = \"big\"\n";

    #[test]
    fn type_error_names_line_and_field() {
        let doc = TomlDoc::parse("f.toml", TEXT).unwrap();
        let err = doc.deserialize::<Doc>().unwrap_err();
        assert_eq!(err.line, Some(9));
        assert_eq!(err.field, "item[1].size");
        assert!(err.to_string().starts_with("f.toml:9: item[1].size: "), "{err}");
    }

    #[test]
    fn unknown_field_is_named_and_located() {
        let doc =
            TomlDoc::parse("f.toml", "top = 1\n[[item]]\nname = \"a\"\nsize = 1\ncolour = 2\n").unwrap();
        let err = doc.deserialize::<Doc>().unwrap_err();
        assert_eq!(err.field, "item[0].colour");
        assert_eq!(err.line, Some(5));
        assert!(err.reason.contains("unknown field"), "{err}");
    }

    #[test]
    fn syntax_error_is_located() {
        let err = TomlDoc::parse("f.toml", "a = 1\nb = = 2\n").err().unwrap();
        assert_eq!(err.0[0].line, Some(2));
    }

    #[test]
    fn findings_locate_through_arrays_of_tables() {
        let doc = TomlDoc::parse("f.toml", TEXT).unwrap();
        let path = FieldPath::root().key("item").index(1).key("name");
        assert_eq!(doc.line_of_path(&path), Some(8));
        // A missing leaf falls back to its table.
        let missing = FieldPath::root().key("item").index(0).key("absent");
        assert_eq!(doc.line_of_path(&missing), Some(3));
        assert_eq!(path.to_string(), "item[1].name");
    }
}
