#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::TimeZone;
use serde_json::json;
use tokio::time::Instant;

use super::*;

const REGION: &str = "us-east-1";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()
}

fn raw(i: usize, t: DateTime<Utc>) -> RawEvent {
    let id = format!("evt-{i:05}");
    let record = json!({"eventID": id, "eventTime": t.to_rfc3339(), "eventName": "InvokeModel",
        "awsRegion": REGION, "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u"},
        "requestParameters": {"modelId": "m"}});
    RawEvent {
        event_id: Some(id),
        event_name: Some("InvokeModel".into()),
        event_time: Some(t),
        cloudtrail_event: Some(record.to_string()),
    }
}

/// `n` events, `per_second` of them in each second going back from the window end.
fn history(n: usize, per_second: usize) -> Vec<RawEvent> {
    let end = t0() + chrono::Duration::hours(6);
    (0..n).map(|i| raw(i, end - chrono::Duration::seconds(1 + (i / per_second) as i64))).collect()
}

type Hook = Box<dyn Fn(usize, &mut Vec<RawEvent>) + Send + Sync>;

/// LookupEvents over a list kept newest first, offset tokens, scripted failures.
struct FakePages {
    events: Mutex<Vec<RawEvent>>,
    script: Mutex<VecDeque<Option<PageError>>>,
    calls: Mutex<Vec<(Instant, PageQuery)>>,
    before_call: Option<Hook>,
}

impl FakePages {
    fn new(events: Vec<RawEvent>) -> Self {
        FakePages {
            events: Mutex::new(events),
            script: Mutex::default(),
            calls: Mutex::default(),
            before_call: None,
        }
    }

    fn script(self, steps: Vec<Option<PageError>>) -> Self {
        *self.script.lock().unwrap() = steps.into();
        self
    }

    fn calls(&self) -> Vec<(Instant, PageQuery)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl PageSource for FakePages {
    async fn page(&self, _region: &str, q: &PageQuery) -> Result<Page, PageError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((Instant::now(), q.clone()));
            calls.len() - 1
        };
        if let Some(hook) = &self.before_call {
            hook(n, &mut self.events.lock().unwrap());
        }
        if let Some(Some(err)) = self.script.lock().unwrap().pop_front() {
            return Err(err);
        }
        let events = self.events.lock().unwrap();
        let selected: Vec<&RawEvent> =
            events.iter().filter(|e| (q.start..=q.end).contains(&e.event_time.unwrap())).collect();
        let offset: usize = q.next_token.as_deref().map_or(0, |t| t[1..].parse().unwrap());
        let size = usize::try_from(q.page_size).unwrap();
        let page: Vec<RawEvent> = selected.iter().skip(offset).take(size).map(|e| (*e).clone()).collect();
        let next = offset + page.len();
        Ok(Page { events: page, next_token: (next < selected.len()).then(|| format!("o{next}")) })
    }
}

fn err(kind: ErrorKind, message: &str) -> SourceError {
    SourceError { api: API, region: REGION.into(), kind, message: message.into() }
}

fn throttled() -> Option<PageError> {
    Some(PageError::Throttled(err(ErrorKind::Throttled, "ThrottlingException: Rate exceeded")))
}

fn limiter() -> RateLimiter {
    RateLimiter::per_second(2, Duration::from_millis(20))
}

async fn fetch(pages: &FakePages, policy: &LookupPolicy) -> Result<EventFetch, SourceError> {
    let names = vec!["InvokeModel".to_string()];
    let w =
        Window { region: REGION, event_names: &names, start: t0(), end: t0() + chrono::Duration::hours(6) };
    fetch_window(pages, &limiter(), policy, &w).await
}

fn gaps_ms(calls: &[(Instant, PageQuery)]) -> Vec<u128> {
    calls.windows(2).map(|w| (w[1].0 - w[0].0).as_millis()).collect()
}

#[tokio::test(start_paused = true)]
async fn thousands_of_events_page_through_at_the_rate_limit() {
    let pages = FakePages::new(history(3_000, 7));
    let f = fetch(&pages, &LookupPolicy::default()).await.unwrap();
    assert_eq!(f.events.len(), 3_000);
    assert_eq!((f.requests, f.throttles, f.duplicates), (60, 0, 0));
    let calls = pages.calls();
    assert_eq!(calls.len(), 60);
    assert!(gaps_ms(&calls).iter().all(|&g| g == 520), "{:?}", gaps_ms(&calls));
    assert!(calls.iter().all(|(_, q)| q.page_size == 50 && q.start == t0()));
    // Newest first, as the API gives them.
    assert!(f.events.windows(2).all(|w| w[0].event_time >= w[1].event_time));
}

#[tokio::test(start_paused = true)]
async fn throttles_are_waited_out_with_growing_pauses() {
    let pages = FakePages::new(history(120, 3)).script(vec![None, throttled(), throttled(), throttled()]);
    let f = fetch(&pages, &LookupPolicy::default()).await.unwrap();
    assert_eq!(f.events.len(), 120);
    assert_eq!((f.requests, f.throttles), (6, 3));
    let calls = pages.calls();
    assert_eq!(gaps_ms(&calls), vec![520, 1000, 2000, 4000, 520]);
    // The throttled page is asked for again, unchanged.
    assert!(calls[1..5].iter().all(|(_, q)| q.next_token.as_deref() == Some("o50")));
}

#[tokio::test(start_paused = true)]
async fn endless_throttling_fails_the_fetch_not_the_caller() {
    let pages = FakePages::new(history(10, 1)).script(vec![throttled(); 40]);
    let policy = LookupPolicy { max_throttles_per_page: 4, ..LookupPolicy::default() };
    let e = fetch(&pages, &policy).await.unwrap_err();
    assert_eq!((e.kind, e.api), (ErrorKind::Throttled, API));
    assert_eq!(pages.calls().len(), 5);
}

#[tokio::test(start_paused = true)]
async fn brief_failures_are_retried_a_few_times() {
    let transient = || Some(PageError::Transient(err(ErrorKind::Timeout, "timed out")));
    let pages = FakePages::new(history(60, 2)).script(vec![transient(), transient()]);
    let f = fetch(&pages, &LookupPolicy::default()).await.unwrap();
    assert_eq!((f.events.len(), f.requests, f.throttles), (60, 4, 0));

    let pages = FakePages::new(history(60, 2)).script(vec![transient(), transient(), transient()]);
    let e = fetch(&pages, &LookupPolicy::default()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
}

#[tokio::test(start_paused = true)]
async fn other_errors_fail_at_once() {
    let denied = Some(PageError::Failed(err(ErrorKind::Service, "AccessDeniedException: no")));
    let pages = FakePages::new(history(60, 2)).script(vec![None, denied]);
    let e = fetch(&pages, &LookupPolicy::default()).await.unwrap_err();
    assert!(e.message.starts_with("AccessDeniedException"));
    assert_eq!(pages.calls().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token_restarts_from_the_oldest_event_read() {
    let invalid = Some(PageError::InvalidToken(err(ErrorKind::Service, "InvalidNextTokenException")));
    // Three events per second, so the restart re-reads part of a second.
    let pages = FakePages::new(history(400, 3)).script(vec![None, None, invalid]);
    let f = fetch(&pages, &LookupPolicy::default()).await.unwrap();
    assert_eq!(f.events.len(), 400);
    let calls = pages.calls();
    let restart = &calls[3].1;
    assert_eq!(restart.next_token, None);
    assert_eq!(restart.end, history(400, 3)[99].event_time.unwrap());
    assert_eq!(f.duplicates, 1, "the restart reads the oldest second again, event 99 with it");
}

#[tokio::test(start_paused = true)]
async fn events_arriving_while_paging_shift_pages_but_nothing_is_lost_or_doubled() {
    let mut pages = FakePages::new(history(200, 4));
    // Before the 2nd and 3rd pages, five late events land at the newest end:
    // offset tokens now repeat the tail of the previous page.
    pages.before_call = Some(Box::new(|n, events| {
        if n == 1 || n == 2 {
            let newest = t0() + chrono::Duration::hours(6) - chrono::Duration::seconds(1);
            let late = (0..5).map(|i| raw(10_000 + n * 10 + i, newest));
            events.splice(0..0, late);
        }
    }));
    let f = fetch(&pages, &LookupPolicy::default()).await.unwrap();
    let ids: HashSet<&str> = f.events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), f.events.len());
    assert!((0..200).all(|i| ids.contains(format!("evt-{i:05}").as_str())));
    assert_eq!(f.duplicates, 10);
}

#[tokio::test(start_paused = true)]
async fn a_repeated_token_is_an_error_not_a_loop() {
    struct Stuck;
    #[async_trait]
    impl PageSource for Stuck {
        async fn page(&self, _: &str, _: &PageQuery) -> Result<Page, PageError> {
            Ok(Page { events: vec![], next_token: Some("same".into()) })
        }
    }
    let names = vec!["InvokeModel".to_string()];
    let w =
        Window { region: REGION, event_names: &names, start: t0(), end: t0() + chrono::Duration::hours(1) };
    let e = fetch_window(&Stuck, &limiter(), &LookupPolicy::default(), &w).await.unwrap_err();
    assert!(e.message.contains("NextToken"), "{e}");
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let p = LookupPolicy::default();
    let ms: Vec<u128> = (1..=7).map(|n| p.backoff(n).as_millis()).collect();
    assert_eq!(ms, vec![1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    assert_eq!(p.backoff(200), Duration::from_secs(8));
}

#[tokio::test(start_paused = true)]
async fn page_sizes_above_the_api_maximum_are_capped() {
    let pages = FakePages::new(history(120, 3));
    let policy = LookupPolicy { page_size: 500, ..LookupPolicy::default() };
    let f = fetch(&pages, &policy).await.unwrap();
    assert_eq!((f.events.len(), f.requests), (120, 3));
    assert!(pages.calls().iter().all(|(_, q)| q.page_size == 50));
}
