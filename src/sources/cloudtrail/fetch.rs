//! What one CloudTrail fetch of a region and window yields ([`EventFetch`]),
//! and the [`EventCollector`] that builds it from raw events page by page:
//! keep the configured event names, drop repeated `eventID`s, parse, keep the
//! half-open window, count everything that was left out.
//!
//! Pure and synchronous: must not call AWS or sleep (`paging` does).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::event::{parse_event, InvocationEvent};

/// Bedrock runtime calls of one region with `start <= eventTime < end`, each
/// `eventID` once, and an account of what was left out and what it cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFetch {
    pub events: Vec<InvocationEvent>,
    /// LookupEvents requests sent, including throttled and retried ones.
    pub requests: u64,
    /// ThrottlingExceptions waited out.
    pub throttles: u64,
    /// Unreadable records, skipped.
    pub malformed: Vec<SkippedEvent>,
    /// Records whose `eventID` was already taken (pages overlap when events
    /// arrive during paging, and a restarted query re-reads its boundary).
    pub duplicates: u64,
    /// Bedrock events of other names (`ListFoundationModels`, …).
    pub other_events: u64,
    /// Records LookupEvents returned outside `[start, end)` (its end is inclusive).
    pub outside_window: u64,
}

/// A record that could not be used, with what a log line needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedEvent {
    /// `None` when not even the event ID could be read.
    pub event_id: Option<String>,
    pub reason: String,
}

/// One event as LookupEvents returns it, before parsing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawEvent {
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub event_time: Option<DateTime<Utc>>,
    /// The full record as a JSON string.
    pub cloudtrail_event: Option<String>,
}

/// Builds an [`EventFetch`] from raw events offered in any order.
#[derive(Debug)]
pub struct EventCollector {
    names: HashSet<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    seen: HashSet<String>,
    oldest: Option<DateTime<Utc>>,
    fetch: EventFetch,
}

impl EventCollector {
    pub fn new(event_names: &[String], start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        EventCollector {
            names: event_names.iter().cloned().collect(),
            start,
            end,
            seen: HashSet::new(),
            oldest: None,
            fetch: EventFetch::default(),
        }
    }

    /// Takes one raw event. The cheap checks (ID, name) come first so that
    /// repeated and ignored records are never parsed, and a re-read page
    /// counts nothing twice.
    pub fn offer(&mut self, raw: &RawEvent) {
        if let Some(t) = raw.event_time {
            self.oldest = Some(self.oldest.map_or(t, |o| o.min(t)));
        }
        if let Some(id) = &raw.event_id {
            if !self.seen.insert(id.clone()) {
                self.fetch.duplicates += 1;
                return;
            }
        }
        if raw.event_name.as_ref().is_some_and(|n| !self.names.contains(n)) {
            self.fetch.other_events += 1;
            return;
        }
        let parsed = match &raw.cloudtrail_event {
            Some(text) => parse_event(text).map_err(|e| e.reason),
            None => Err("no CloudTrailEvent".to_string()),
        };
        match parsed {
            Ok(event) => self.accept(raw, event),
            Err(reason) => self.fetch.malformed.push(SkippedEvent { event_id: raw.event_id.clone(), reason }),
        }
    }

    fn accept(&mut self, raw: &RawEvent, event: InvocationEvent) {
        self.oldest = Some(self.oldest.map_or(event.event_time, |o| o.min(event.event_time)));
        // Records without an API-level ID or name are judged by their own.
        if raw.event_id.is_none() && !self.seen.insert(event.event_id.clone()) {
            self.fetch.duplicates += 1;
            return;
        }
        if raw.event_name.is_none() && !self.names.contains(&event.event_name) {
            self.fetch.other_events += 1;
            return;
        }
        if event.event_time < self.start || event.event_time >= self.end {
            self.fetch.outside_window += 1;
            return;
        }
        self.fetch.events.push(event);
    }

    /// Records the AWS requests a page cost.
    pub fn count_request(&mut self, throttled: bool) {
        self.fetch.requests += 1;
        if throttled {
            self.fetch.throttles += 1;
        }
    }

    /// The oldest event time offered so far: where a restarted query can
    /// resume, since LookupEvents returns newest first.
    pub fn oldest(&self) -> Option<DateTime<Utc>> {
        self.oldest
    }

    /// Events newest first, as LookupEvents ordered them; ties by event ID.
    pub fn finish(mut self) -> EventFetch {
        self.fetch
            .events
            .sort_by(|a, b| b.event_time.cmp(&a.event_time).then_with(|| a.event_id.cmp(&b.event_id)));
        self.fetch
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(min: u32, sec: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, min, sec).unwrap()
    }

    fn raw(id: &str, name: &str, t: DateTime<Utc>) -> RawEvent {
        let record = json!({"eventID": id, "eventTime": t.to_rfc3339(), "eventName": name,
            "awsRegion": "us-east-1", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u"},
            "requestParameters": {"modelId": "m"}});
        RawEvent {
            event_id: Some(id.into()),
            event_name: Some(name.into()),
            event_time: Some(t),
            cloudtrail_event: Some(record.to_string()),
        }
    }

    fn collector() -> EventCollector {
        EventCollector::new(&["InvokeModel".to_string(), "Converse".to_string()], at(0, 0), at(10, 0))
    }

    #[test]
    fn filters_dedupes_windows_and_counts() {
        let mut c = collector();
        c.offer(&raw("a", "InvokeModel", at(1, 0)));
        c.offer(&raw("b", "Converse", at(2, 0)));
        c.offer(&raw("a", "InvokeModel", at(1, 0)));
        c.offer(&raw("l", "ListFoundationModels", at(3, 0)));
        c.offer(&raw("end", "InvokeModel", at(10, 0)));
        c.offer(&raw("early", "InvokeModel", at(0, 0) - chrono::Duration::seconds(1)));
        let bad = RawEvent { cloudtrail_event: Some("{".into()), ..raw("bad", "Converse", at(5, 0)) };
        c.offer(&bad);
        c.offer(&bad);
        c.offer(&RawEvent { cloudtrail_event: None, ..raw("empty", "Converse", at(5, 0)) });
        c.count_request(true);
        c.count_request(false);
        assert_eq!(c.oldest(), Some(at(0, 0) - chrono::Duration::seconds(1)));
        let f = c.finish();
        let ids: Vec<&str> = f.events.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!((f.duplicates, f.other_events, f.outside_window), (2, 1, 2));
        assert_eq!((f.requests, f.throttles), (2, 1));
        let skipped: Vec<_> = f.malformed.iter().map(|s| s.event_id.as_deref()).collect();
        assert_eq!(skipped, [Some("bad"), Some("empty")]);
        assert!(f.malformed[1].reason.contains("no CloudTrailEvent"));
    }

    #[test]
    fn records_without_api_fields_are_judged_by_their_content() {
        let mut c = collector();
        let strip = |mut r: RawEvent| {
            r.event_id = None;
            r.event_name = None;
            r.event_time = None;
            r
        };
        c.offer(&strip(raw("x", "InvokeModel", at(4, 0))));
        c.offer(&strip(raw("x", "InvokeModel", at(4, 0))));
        c.offer(&strip(raw("y", "GetFoundationModel", at(4, 0))));
        c.offer(&RawEvent { cloudtrail_event: Some("garbage".into()), ..RawEvent::default() });
        assert_eq!(c.oldest(), Some(at(4, 0)));
        let f = c.finish();
        assert_eq!(f.events.len(), 1);
        assert_eq!((f.duplicates, f.other_events, f.malformed.len()), (1, 1, 1));
        assert_eq!(f.malformed[0].event_id, None);
    }
}
