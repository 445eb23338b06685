use std::sync::Mutex;

use super::*;

fn account(id: &str) -> OrgAccount {
    OrgAccount {
        id: id.into(),
        name: format!("acct-{id}"),
        email: Some(format!("{id}@example.com")),
        status: OrgAccountStatus::Active,
    }
}

fn error(kind: ErrorKind, message: &str) -> SourceError {
    SourceError { api: API, region: REGION.into(), kind, message: message.into() }
}

/// Answers scripted pages in order and records the tokens it was asked with.
struct Script {
    pages: Mutex<Vec<Result<AccountPage, SourceError>>>,
    tokens: Mutex<Vec<Option<String>>>,
}

impl Script {
    fn new(pages: Vec<Result<AccountPage, SourceError>>) -> Self {
        Script { pages: Mutex::new(pages), tokens: Mutex::new(vec![]) }
    }

    fn tokens(&self) -> Vec<Option<String>> {
        self.tokens.lock().unwrap().clone()
    }
}

#[async_trait]
impl AccountPages for Script {
    async fn page(&self, token: Option<String>) -> Result<AccountPage, SourceError> {
        self.tokens.lock().unwrap().push(token);
        self.pages.lock().unwrap().remove(0)
    }
}

fn page(ids: &[&str], next: Option<&str>) -> Result<AccountPage, SourceError> {
    Ok(AccountPage { accounts: ids.iter().map(|id| account(id)).collect(), next: next.map(String::from) })
}

#[tokio::test(start_paused = true)]
async fn every_page_is_read_retries_are_counted_and_accounts_come_sorted_once() {
    let script = Script::new(vec![
        page(&["333333333333", "111111111111"], Some("t1")),
        Err(error(ErrorKind::Throttled, "TooManyRequestsException: slow down")),
        Err(error(ErrorKind::Service, "ServiceException: internal error")),
        // The account seen on page one again: kept once.
        page(&["222222222222", "333333333333"], Some("t2")),
        page(&[], None),
    ]);
    let listing = script.list_accounts().await.unwrap();
    let ids: Vec<&str> = listing.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["111111111111", "222222222222", "333333333333"]);
    assert_eq!(listing.requests, 5);
    let t = |s: &str| Some(s.to_string());
    assert_eq!(script.tokens(), [None, t("t1"), t("t1"), t("t1"), t("t2")]);
}

#[tokio::test(start_paused = true)]
async fn a_page_that_keeps_failing_fails_the_listing_after_three_tries() {
    let throttled = || Err(error(ErrorKind::Throttled, "TooManyRequestsException: slow down"));
    let script =
        Script::new(vec![page(&["111111111111"], Some("t1")), throttled(), throttled(), throttled()]);
    let e = script.list_accounts().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert_eq!(script.tokens().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn access_and_input_errors_are_not_retried() {
    for message in ["AccessDeniedException: no", "InvalidInputException: bad token"] {
        let script = Script::new(vec![Err(error(ErrorKind::Service, message))]);
        assert!(script.list_accounts().await.is_err());
        assert_eq!(script.tokens().len(), 1, "{message}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_token_that_does_not_move_ends_the_listing() {
    let script =
        Script::new(vec![page(&["111111111111"], Some("same")), page(&["222222222222"], Some("same"))]);
    let listing = script.list_accounts().await.unwrap();
    assert_eq!(listing.accounts.len(), 2);
    assert_eq!(listing.requests, 2);
}

#[test]
fn refusals_say_where_list_accounts_works() {
    let denied = explained(error(ErrorKind::Service, "AccessDeniedException: You don't have permissions"));
    assert!(denied.message.contains("management account"), "{}", denied.message);
    assert!(denied.message.contains("delegated administrator"), "{}", denied.message);
    assert!(denied.message.contains("organizations:ListAccounts"), "{}", denied.message);
    let not_in_use = explained(error(ErrorKind::Service, "AWSOrganizationsNotInUseException: not a member"));
    assert!(not_in_use.message.contains("not in an AWS Organization"), "{}", not_in_use.message);
    let other = error(ErrorKind::Service, "InvalidInputException: bad");
    assert_eq!(explained(other.clone()), other);
}

#[test]
fn statuses_round_trip_as_aws_spells_them() {
    for text in ["ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "PENDING_ACTIVATION", "CLOSED"] {
        assert_eq!(OrgAccountStatus::parse(text).as_str(), text);
    }
    assert_eq!(OrgAccountStatus::parse("CLOSED"), OrgAccountStatus::Other("CLOSED".into()));
}
