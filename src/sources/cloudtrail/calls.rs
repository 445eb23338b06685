//! Parsed CloudTrail events → ledger [`CallCount`]s per (region, minute,
//! model ID, principal, error code). Pure.
//!
//! Token counts of a key are summed only when every call of the key reported
//! them, so a partial sum is never mistaken for an exact one. Events without a
//! `modelId` cannot be matched to CloudWatch cost; they are returned apart
//! ([`ModellessCalls`]) rather than dropped. Must not fetch, store or price.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use super::event::InvocationEvent;
use crate::records::CallCount;

/// Calls without a `requestParameters.modelId` in one (region, minute,
/// principal, error code): visible, though no cost can follow them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModellessCalls {
    pub region: String,
    pub minute: DateTime<Utc>,
    pub principal: String,
    pub error_code: Option<String>,
    pub calls: u64,
}

/// The counts of a batch of events, each list sorted by its key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregation {
    pub calls: Vec<CallCount>,
    pub without_model: Vec<ModellessCalls>,
}

type Key = (String, DateTime<Utc>, String, String, Option<String>);

/// Counts events (already de-duplicated by `eventID`) per key.
pub fn aggregate<'a>(events: impl IntoIterator<Item = &'a InvocationEvent>) -> Aggregation {
    let mut calls: BTreeMap<Key, CallCount> = BTreeMap::new();
    let mut modelless: BTreeMap<Key, u64> = BTreeMap::new();
    for e in events {
        let minute = minute_of(e.event_time);
        let Some(model_id) = &e.model_id else {
            let key =
                (e.region.clone(), minute, String::new(), e.principal.key.clone(), e.error_code.clone());
            *modelless.entry(key).or_default() += 1;
            continue;
        };
        let key = (e.region.clone(), minute, model_id.clone(), e.principal.key.clone(), e.error_code.clone());
        calls
            .entry(key)
            .and_modify(|c| {
                c.calls += 1;
                c.input_tokens = add(c.input_tokens, e.input_tokens);
                c.output_tokens = add(c.output_tokens, e.output_tokens);
            })
            .or_insert_with(|| CallCount {
                region: e.region.clone(),
                minute,
                model_id: model_id.clone(),
                principal: e.principal.key.clone(),
                error_code: e.error_code.clone(),
                calls: 1,
                input_tokens: e.input_tokens,
                output_tokens: e.output_tokens,
            });
    }
    let without_model = modelless
        .into_iter()
        .map(|((region, minute, _, principal, error_code), calls)| ModellessCalls {
            region,
            minute,
            principal,
            error_code,
            calls,
        })
        .collect();
    Aggregation { calls: calls.into_values().collect(), without_model }
}

/// `None` as soon as one call lacks the count (or the sum would overflow).
fn add(sum: Option<u64>, more: Option<u64>) -> Option<u64> {
    sum?.checked_add(more?)
}

/// The start of the event's minute.
pub fn minute_of(t: DateTime<Utc>) -> DateTime<Utc> {
    // Truncating to a whole minute cannot fail for any representable instant;
    // the fallback only keeps the signature total.
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::sources::cloudtrail::principal::{Principal, PrincipalType};
    use chrono::TimeZone;

    const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
    const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

    struct E {
        sec: i64,
        model: Option<&'static str>,
        who: &'static str,
        error: Option<&'static str>,
        tokens: (Option<u64>, Option<u64>),
    }

    fn event(i: usize, e: &E) -> InvocationEvent {
        let base = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        InvocationEvent {
            event_id: format!("e{i}"),
            event_time: base + TimeDelta::seconds(e.sec),
            event_name: "InvokeModel".into(),
            region: "us-east-1".into(),
            principal: Principal {
                key: e.who.into(),
                kind: PrincipalType::IamUser,
                session_name: None,
                account_id: None,
            },
            account_id: None,
            model_id: e.model.map(String::from),
            error_code: e.error.map(String::from),
            source_ip: None,
            user_agent: None,
            inference_region: None,
            input_tokens: e.tokens.0,
            output_tokens: e.tokens.1,
        }
    }

    fn run(table: &[E]) -> Aggregation {
        let events: Vec<_> = table.iter().enumerate().map(|(i, e)| event(i, e)).collect();
        aggregate(&events)
    }

    fn e(
        sec: i64,
        model: Option<&'static str>,
        who: &'static str,
        error: Option<&'static str>,
        t: (Option<u64>, Option<u64>),
    ) -> E {
        E { sec, model, who, error, tokens: t }
    }

    #[test]
    fn counts_per_key_and_sums_tokens_only_when_all_reported() {
        let none = (None, None);
        let a = run(&[
            e(1, Some(HAIKU), "alice", None, (Some(10), Some(1))),
            e(59, Some(HAIKU), "alice", None, (Some(20), Some(2))),
            e(61, Some(HAIKU), "alice", None, (Some(5), Some(5))),
            e(2, Some(HAIKU), "bob", None, (Some(7), None)),
            e(3, Some(HAIKU), "bob", None, (Some(8), Some(3))),
            e(4, Some(HAIKU), "bob", Some("AccessDeniedException"), none),
            e(5, Some(HAIKU), "bob", Some("AccessDeniedException"), none),
            e(6, Some(SONNET), "alice", Some("ThrottlingException"), none),
            e(7, None, "carol", Some("ValidationException"), none),
            e(8, None, "carol", Some("ValidationException"), none),
        ]);
        let got: Vec<_> = a
            .calls
            .iter()
            .map(|c| {
                (
                    c.minute.format("%M").to_string(),
                    c.model_id.as_str(),
                    c.principal.as_str(),
                    c.error_code.as_deref(),
                    c.calls,
                    c.input_tokens,
                    c.output_tokens,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("00".into(), HAIKU, "alice", None, 2, Some(30), Some(3)),
                ("00".into(), HAIKU, "bob", None, 2, Some(15), None),
                ("00".into(), HAIKU, "bob", Some("AccessDeniedException"), 2, None, None),
                ("00".into(), SONNET, "alice", Some("ThrottlingException"), 1, None, None),
                ("01".into(), HAIKU, "alice", None, 1, Some(5), Some(5)),
            ]
        );
        assert_eq!(a.without_model.len(), 1);
        assert_eq!((a.without_model[0].principal.as_str(), a.without_model[0].calls), ("carol", 2));
        let total: u64 = a.calls.iter().map(|c| c.calls).sum::<u64>() + 2;
        assert_eq!(total, 10, "every event is counted once");
    }

    #[test]
    fn overflowing_token_sums_become_unknown() {
        let a = run(&[
            e(1, Some(HAIKU), "alice", None, (Some(u64::MAX), Some(1))),
            e(2, Some(HAIKU), "alice", None, (Some(1), Some(1))),
        ]);
        assert_eq!((a.calls[0].input_tokens, a.calls[0].output_tokens), (None, Some(2)));
    }

    #[test]
    fn minutes_are_truncated_not_rounded() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 59).unwrap() + TimeDelta::milliseconds(999);
        assert_eq!(minute_of(t), Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap());
    }
}
