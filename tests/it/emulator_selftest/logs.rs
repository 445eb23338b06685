//! CloudWatch Logs `FilterLogEvents` paging as the gateway implements it on
//! top of moto, from AWS's API reference: a page holds as many events as fit
//! in 1 MB, and a page may be empty while the token says more follow.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use super::{now_secs, REGION};
use crate::helpers::emulator;

#[tokio::test]
async fn pages_are_at_most_a_megabyte_and_may_be_empty_before_more() {
    let emu = emulator::exclusive().await;
    #[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
    let logs = aws_sdk_cloudwatchlogs::Client::new(&emu.sdk_config(REGION).await);
    logs.create_log_group().log_group_name("g").send().await.unwrap();
    logs.create_log_stream().log_group_name("g").log_stream_name("s").send().await.unwrap();
    let at = (now_secs() - 600) * 1000;
    let events: Vec<InputLogEvent> = (0..4)
        .map(|i| InputLogEvent::builder().timestamp(at + i).message("x".repeat(300_000)).build().unwrap())
        .collect();
    logs.put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();

    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let page = logs.filter_log_events().log_group_name("g").set_next_token(token).send().await.unwrap();
        pages.push(page.events().len());
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(pages.len() < 10, "paging ends");
    }
    // An empty first page with a token, then three events (900 KB) and the last one.
    assert_eq!(pages, vec![0, 3, 1]);
}
