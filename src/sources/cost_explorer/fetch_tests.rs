use std::sync::Mutex;

use rust_decimal::Decimal;

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, n).unwrap()
}

fn line(usage_type: &str, usd: &str) -> BillLine {
    BillLine {
        service: "Amazon Bedrock".into(),
        usage_type: usage_type.into(),
        usd: d(usd),
        quantity: d("1000"),
        unit: "N/A".into(),
    }
}

/// Answers scripted pages in order and records the tokens it was asked with.
struct Script {
    pages: Mutex<Vec<Result<BillPage, SourceError>>>,
    tokens: Mutex<Vec<Option<String>>>,
}

#[async_trait]
impl BillSource for Script {
    async fn services_page(
        &self,
        _: NaiveDate,
        _: NaiveDate,
        _: &str,
        token: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), SourceError> {
        let next = token.is_none().then(|| "s2".to_string());
        let names = if token.is_none() {
            vec!["Amazon Bedrock"]
        } else {
            vec!["Claude (Amazon Bedrock Edition)", "Amazon Bedrock"]
        };
        Ok((names.into_iter().map(String::from).collect(), next))
    }

    async fn cost_page(&self, _: &BillQuery, token: Option<String>) -> Result<BillPage, SourceError> {
        self.tokens.lock().unwrap().push(token);
        self.pages.lock().unwrap().remove(0)
    }
}

fn query() -> BillQuery {
    BillQuery { from: day(1), to: day(3), services: vec!["Amazon Bedrock".into()], accounts: vec![] }
}

fn throttled() -> SourceError {
    SourceError {
        api: API,
        region: REGION.into(),
        kind: ErrorKind::Throttled,
        message: "ThrottlingException".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn pages_are_merged_by_day_and_every_request_is_counted() {
    let script = Script {
        pages: Mutex::new(vec![
            Ok(BillPage {
                days: vec![
                    PageDay { day: day(1), estimated: false, lines: vec![line("USE1-B-output-tokens", "2")] },
                    PageDay { day: day(2), estimated: true, lines: vec![line("USE1-B-input-tokens", "1")] },
                ],
                next: Some("p2".into()),
            }),
            Err(throttled()),
            Ok(BillPage {
                // Day 2 continues on the second page.
                days: vec![PageDay {
                    day: day(2),
                    estimated: false,
                    lines: vec![line("USE1-A-input-tokens", "3")],
                }],
                next: None,
            }),
        ]),
        tokens: Mutex::new(vec![]),
    };
    let mut requests = Requests::default();
    let got = fetch(&script, &query(), &mut requests).await.unwrap();
    assert_eq!(*script.tokens.lock().unwrap(), vec![None, Some("p2".into()), Some("p2".into())]);
    assert_eq!(got.days.len(), 2);
    let two = &got.days[&day(2)];
    assert!(two.estimated, "a day estimated on any page is estimated");
    let types: Vec<_> = two.lines.iter().map(|l| l.usage_type.as_str()).collect();
    assert_eq!(types, ["USE1-A-input-tokens", "USE1-B-input-tokens"], "sorted");
    assert_eq!(requests.sent[&(API, AwsOutcome::Success)], 2);
    assert_eq!(requests.sent[&(API, AwsOutcome::Throttled)], 1);
    assert_eq!(requests.total(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_not_retried_and_throttles_give_up_after_three() {
    let denied = SourceError {
        api: API,
        region: REGION.into(),
        kind: ErrorKind::Service,
        message: "AccessDeniedException: User not enabled for cost explorer access".into(),
    };
    let script = Script { pages: Mutex::new(vec![Err(denied.clone())]), tokens: Mutex::new(vec![]) };
    let mut requests = Requests::default();
    assert_eq!(fetch(&script, &query(), &mut requests).await, Err(denied));
    assert_eq!(requests.total(), 1);

    let script = Script {
        pages: Mutex::new(vec![Err(throttled()), Err(throttled()), Err(throttled())]),
        tokens: Mutex::new(vec![]),
    };
    let mut requests = Requests::default();
    assert_eq!(fetch(&script, &query(), &mut requests).await, Err(throttled()));
    assert_eq!(requests.sent[&(API, AwsOutcome::Throttled)], 3);
}

#[tokio::test(start_paused = true)]
async fn services_are_paged_and_deduplicated() {
    let script = Script { pages: Mutex::new(vec![]), tokens: Mutex::new(vec![]) };
    let mut requests = Requests::default();
    let got = services(&script, day(1), day(3), &mut requests).await.unwrap();
    assert_eq!(got, ["Amazon Bedrock", "Claude (Amazon Bedrock Edition)"]);
    assert_eq!(requests.sent[&(DIMENSIONS_API, AwsOutcome::Success)], 2);
}
