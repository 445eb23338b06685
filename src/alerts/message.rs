//! Alert messages as SNS will carry them: a JSON body (money as decimal
//! strings), a one-line ASCII `Subject` under 100 characters, the message
//! attributes subscription filter policies match on (`kind`, `severity`,
//! `budget`), and the FIFO group. Pure: builds values, sends nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::kind::AlertKind;
use crate::ledger::OutboxEntry;

/// SNS: "must be ASCII text that begins with a letter, number, or
/// punctuation mark; must not include line breaks or control characters;
/// and must be less than 100 characters long."
pub const SUBJECT_MAX: usize = 99;

/// One alert, before it is claimed.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertMessage {
    pub kind: AlertKind,
    pub severity: &'static str,
    pub dedupe_key: String,
    pub subject: String,
    /// The `budget` attribute, for budget alerts.
    pub budget: Option<String>,
    /// Kind-specific fields of the body (an object).
    pub fields: Map<String, Value>,
    pub generated_at: DateTime<Utc>,
}

impl AlertMessage {
    pub fn new(
        kind: AlertKind,
        severity: &'static str,
        dedupe_key: String,
        subject: &str,
        now: DateTime<Utc>,
    ) -> Self {
        AlertMessage {
            kind,
            severity,
            dedupe_key,
            subject: subject_line(subject),
            budget: None,
            fields: Map::new(),
            generated_at: now,
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_string(), value);
        self
    }

    pub fn for_budget(mut self, budget: &str) -> Self {
        self.budget = Some(budget.to_string());
        self.with("budget", json!(budget))
    }

    /// The complete body: common fields first, then the kind's own.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("kind".into(), json!(self.kind.as_str()));
        body.insert("severity".into(), json!(self.severity));
        for (k, v) in &self.fields {
            body.insert(k.clone(), v.clone());
        }
        body.insert("dedupe_key".into(), json!(self.dedupe_key));
        body.insert(
            "generated_at".into(),
            json!(self.generated_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        Value::Object(body)
    }

    /// The outbox entry that carries this message until it is published.
    pub fn into_entry(self) -> OutboxEntry {
        // The dedupe key rides along so a subscriber of a standard topic can
        // drop the rare repeat (see the dispatcher) without parsing the body.
        let mut attributes = BTreeMap::from([
            ("kind".to_string(), self.kind.as_str().to_string()),
            ("severity".to_string(), self.severity.to_string()),
            ("dedupe_key".to_string(), self.dedupe_key.clone()),
        ]);
        if let Some(b) = &self.budget {
            attributes.insert("budget".to_string(), b.clone());
        }
        OutboxEntry {
            group_id: fifo_group(self.budget.as_deref().unwrap_or(self.kind.as_str())),
            body: self.body().to_string(),
            dedupe_key: self.dedupe_key,
            kind: self.kind.as_str().to_string(),
            created_at: self.generated_at,
            subject: self.subject,
            attributes,
            attempts: 0,
            last_error: None,
            published_at: None,
            retry_at: None,
            uncertain: false,
            parked_at: None,
        }
    }
}

/// ASCII only, control characters and line breaks as spaces, leading
/// non-alphanumerics dropped, at most [`SUBJECT_MAX`] characters (cut with "...").
pub fn subject_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else if c.is_control() {
                ' '
            } else {
                '?'
            }
        })
        .collect();
    let trimmed =
        cleaned.trim_start_matches(|c: char| !c.is_ascii_alphanumeric() && !c.is_ascii_punctuation()).trim();
    let collapsed = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.len() <= SUBJECT_MAX {
        return if collapsed.is_empty() { "bedrock-cost-monitor alert".into() } else { collapsed };
    }
    format!("{}...", &collapsed[..SUBJECT_MAX - 3])
}

/// FIFO `MessageGroupId`: up to 128 of `[A-Za-z0-9!-/:-@[-`{-~]`.
fn fifo_group(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_graphic() { c } else { '_' }).take(128).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_short_ascii_line() {
        let cases = [
            ("Budget team at 80%", "Budget team at 80%"),
            ("Budget\nteam\tat 80%", "Budget team at 80%"),
            ("  → spend ≥ limit", "? spend ? limit"),
            ("", "bedrock-cost-monitor alert"),
        ];
        for (input, want) in cases {
            assert_eq!(subject_line(input), want, "{input:?}");
        }
        let long = subject_line(&"x".repeat(300));
        assert_eq!((long.len(), long.ends_with("...")), (SUBJECT_MAX, true));
    }

    #[test]
    fn entry_carries_attributes_group_and_body() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let m = AlertMessage::new(AlertKind::BUDGET_THRESHOLD, "critical", "k1".into(), "Budget x", now)
            .for_budget("team daily")
            .with("spend_usd", json!("80.005"));
        let e = m.into_entry();
        assert_eq!(e.group_id, "team_daily");
        assert_eq!(e.attributes.get("budget").map(String::as_str), Some("team daily"));
        assert_eq!(e.attributes.get("severity").map(String::as_str), Some("critical"));
        let body: Value = serde_json::from_str(&e.body).unwrap();
        assert_eq!(body["spend_usd"], json!("80.005"));
        assert_eq!(body["dedupe_key"], json!("k1"));
        assert_eq!(body["generated_at"], json!("2026-03-01T10:00:00Z"));
        assert_eq!(body["kind"], json!("budget.threshold"));
    }
}
