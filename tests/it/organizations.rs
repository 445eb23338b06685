//! Discovering an organisation's member accounts: `OrganizationsDirectory`
//! lists every page of `ListAccounts` against the emulator (which pages at
//! most 20 accounts, refuses callers that are neither the management account
//! nor a delegated administrator, and can answer an empty first page, as AWS
//! documents), and the filter picks the active accounts to monitor.

use aws_config::SdkConfig;
use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::emulator::{Fault, FaultKind};
use bedrock_cost_monitor::sources::organizations::{
    select, AccountDirectory, AccountFilter, OrgAccountStatus, OrganizationsDirectory, SkipReason,
};
use bedrock_cost_monitor::sources::ErrorKind;
use serde_json::json;

use crate::helpers::emulator;
use crate::helpers::emulator::EmulatorGuard;
use crate::helpers::organization::{self, REGION};

fn directory(sdk: SdkConfig) -> OrganizationsDirectory {
    OrganizationsDirectory::connect(AwsConfig::from_sdk(sdk).monitored())
}

/// 25 members (26 accounts with the management account: two pages of 20).
fn names() -> Vec<String> {
    (0..25).map(|i| if i < 5 { format!("search-{i}") } else { format!("team-{i:02}") }).collect()
}

async fn list_accounts_requests(emu: &EmulatorGuard) -> usize {
    let log = emu.requests(Some("organizations")).await.unwrap();
    log.iter().filter(|r| r.operation == "ListAccounts").count()
}

#[tokio::test]
async fn every_page_is_listed_and_the_filter_picks_active_accounts() {
    let emu = emulator::exclusive().await;
    let names = names();
    let org = organization::create(&emu, &names.iter().map(String::as_str).collect::<Vec<_>>()).await;
    organization::close(&emu, org.id_of("search-3")).await;

    let listing = directory(emu.sdk_config(REGION).await).list_accounts().await.unwrap();
    assert_eq!(listing.requests, 2, "26 accounts at 20 a page");
    assert_eq!(list_accounts_requests(&emu).await, 2);
    let mut want: Vec<&str> = org.members.iter().map(|(_, id)| id.as_str()).collect();
    want.push(&org.management);
    want.sort();
    let got: Vec<&str> = listing.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(got, want, "every account once, sorted by ID");
    let search_3 = listing.accounts.iter().find(|a| a.id == org.id_of("search-3")).unwrap();
    assert_eq!(search_3.status, OrgAccountStatus::Suspended);
    assert_eq!(search_3.name, "search-3");
    assert_eq!(search_3.email.as_deref(), Some("search-3@example.com"));

    let filter = AccountFilter::new(vec!["search-*".into()], vec![org.id_of("search-1").into()]);
    let selection = select(&listing.accounts, &filter);
    let mut chosen: Vec<&str> = ["search-0", "search-2", "search-4"].iter().map(|n| org.id_of(n)).collect();
    chosen.sort();
    assert_eq!(selection.chosen.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), chosen);
    let reason = |name: &str| {
        let id = org.id_of(name);
        selection.skipped.iter().find(|(a, _)| a.id == id).map(|(_, r)| r.clone()).unwrap()
    };
    assert_eq!(reason("search-1"), SkipReason::Excluded(org.id_of("search-1").into()));
    assert_eq!(reason("search-3"), SkipReason::NotActive(OrgAccountStatus::Suspended));
    assert_eq!(reason("team-07"), SkipReason::NotIncluded);
}

#[tokio::test]
async fn an_empty_page_with_a_token_and_a_throttled_page_do_not_end_the_listing() {
    let emu = emulator::exclusive().await;
    let names = names();
    organization::create(&emu, &names.iter().map(String::as_str).collect::<Vec<_>>()).await;
    emu.organizations_settings(&json!({"empty_page_first": true})).await.unwrap();
    let fault = Fault::new("organizations", FaultKind::Throttle).operation("ListAccounts").count(1);
    emu.inject_fault(&fault).await.unwrap();

    let listing = directory(emu.sdk_config(REGION).await).list_accounts().await.unwrap();
    assert_eq!(listing.accounts.len(), 26);
    // Throttled, empty page, 20, 6.
    assert_eq!(listing.requests, 4);
    assert_eq!(list_accounts_requests(&emu).await, 4, "the SDK retried nothing on its own");
}

#[tokio::test]
async fn a_member_account_is_refused_until_it_is_a_delegated_administrator() {
    let emu = emulator::exclusive().await;
    let org = organization::create(&emu, &["search", "chat"]).await;
    let member = directory(organization::in_account(&emu, org.id_of("search"), organization::REGION).await);

    let e = member.list_accounts().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Service);
    assert!(e.message.starts_with("AccessDeniedException"), "{e}");
    assert!(e.message.contains("management account or in a member account registered as a delegated"), "{e}");
    assert_eq!(list_accounts_requests(&emu).await, 1, "a refusal is not retried");

    organization::delegate(&emu, org.id_of("search")).await;
    assert_eq!(member.list_accounts().await.unwrap().accounts.len(), 3);
}

#[tokio::test]
async fn an_account_outside_any_organisation_is_told_so() {
    let emu = emulator::exclusive().await;
    let e = directory(emu.sdk_config(REGION).await).list_accounts().await.unwrap_err();
    assert!(e.message.starts_with("AWSOrganizationsNotInUseException"), "{e}");
    assert!(e.message.contains("not in an AWS Organization"), "{e}");
}

/// The emulator holds MaxResults to the documented range (the adapter asks
/// for 20, the maximum).
#[tokio::test]
async fn the_emulator_refuses_pages_larger_than_aws_allows() {
    let emu = emulator::exclusive().await;
    organization::create(&emu, &["search"]).await;
    #[expect(clippy::disallowed_methods, reason = "the test asks the emulator directly")]
    let client = aws_sdk_organizations::Client::new(&emu.sdk_config(REGION).await);
    let e = client.list_accounts().max_results(21).send().await.unwrap_err();
    let text = format!("{}", aws_smithy_types::error::display::DisplayErrorContext(&e));
    assert!(text.contains("InvalidInputException") && text.contains("MAX_VALUE_EXCEEDED"), "{text}");
    let page = client.list_accounts().max_results(1).send().await.unwrap();
    assert_eq!(page.accounts().len(), 1);
    let rest =
        client.list_accounts().set_next_token(page.next_token().map(String::from)).send().await.unwrap();
    assert_eq!(rest.accounts().len(), 1);
    assert!(rest.next_token().is_none());
}
