use super::*;

fn account(id: &str, name: &str, status: OrgAccountStatus) -> OrgAccount {
    OrgAccount { id: id.into(), name: name.into(), email: None, status }
}

/// Listed out of order on purpose: the selection sorts by ID.
fn listing() -> Vec<OrgAccount> {
    vec![
        account("333333333333", "search-prod", OrgAccountStatus::Active),
        account("111111111111", "management", OrgAccountStatus::Active),
        account("222222222222", "search-dev", OrgAccountStatus::Active),
        account("444444444444", "sandbox-old", OrgAccountStatus::Suspended),
        account("555555555555", "chat-prod", OrgAccountStatus::PendingClosure),
        account("666666666666", "chat-new", OrgAccountStatus::Other("PENDING_ACTIVATION".into())),
    ]
}

fn strings(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|e| e.to_string()).collect()
}

fn ids(accounts: &[OrgAccount]) -> Vec<&str> {
    accounts.iter().map(|a| a.id.as_str()).collect()
}

/// (include, exclude, chosen, skipped with reason)
type Case = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    Vec<(&'static str, SkipReason)>,
);

#[test]
fn selection_table() {
    use OrgAccountStatus::*;
    use SkipReason::*;
    let suspended = ("444444444444", NotActive(Suspended));
    let closing = ("555555555555", NotActive(PendingClosure));
    let pending = ("666666666666", NotActive(Other("PENDING_ACTIVATION".into())));
    let cases: Vec<Case> = vec![
        (
            &[],
            &[],
            &["111111111111", "222222222222", "333333333333"],
            vec![suspended.clone(), closing.clone(), pending.clone()],
        ),
        (
            &["search-*"],
            &[],
            &["222222222222", "333333333333"],
            vec![
                ("111111111111", NotIncluded),
                ("444444444444", NotIncluded),
                ("555555555555", NotIncluded),
                ("666666666666", NotIncluded),
            ],
        ),
        (
            &["search-*", "111111111111"],
            &["*-dev"],
            &["111111111111", "333333333333"],
            vec![
                ("222222222222", Excluded("*-dev".into())),
                ("444444444444", NotIncluded),
                ("555555555555", NotIncluded),
                ("666666666666", NotIncluded),
            ],
        ),
        // Exclusion by ID wins over inclusion by the same ID.
        (
            &["333333333333"],
            &["333333333333"],
            &[],
            vec![
                ("111111111111", NotIncluded),
                ("222222222222", NotIncluded),
                ("333333333333", Excluded("333333333333".into())),
                ("444444444444", NotIncluded),
                ("555555555555", NotIncluded),
                ("666666666666", NotIncluded),
            ],
        ),
        // Asked for by name, but suspended or closing: the state is the reason.
        (
            &["sandbox-*", "chat-*"],
            &["chat-new"],
            &[],
            vec![
                ("111111111111", NotIncluded),
                ("222222222222", NotIncluded),
                ("333333333333", NotIncluded),
                suspended.clone(),
                closing.clone(),
                ("666666666666", Excluded("chat-new".into())),
            ],
        ),
        // `*` excludes everything.
        (
            &[],
            &["*"],
            &[],
            ["111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "666666666666"]
                .into_iter()
                .map(|id| (id, Excluded("*".into())))
                .collect(),
        ),
    ];
    for (include, exclude, chosen, skipped) in cases {
        let filter = AccountFilter::new(strings(include), strings(exclude));
        let got = select(&listing(), &filter);
        assert_eq!(ids(&got.chosen), chosen, "chosen with {filter:?}");
        let got_skipped: Vec<(&str, SkipReason)> =
            got.skipped.iter().map(|(a, r)| (a.id.as_str(), r.clone())).collect();
        assert_eq!(got_skipped, skipped, "skipped with {filter:?}");
    }
}

#[test]
fn twelve_digits_name_an_id_anything_else_is_a_name_glob() {
    let cases = [
        ("123456789012", true),
        ("12345678901", false),
        ("1234567890123", false),
        ("12345678901x", false),
        ("search-*", false),
        ("", false),
    ];
    for (entry, want) in cases {
        assert_eq!(is_account_id(entry), want, "{entry:?}");
    }
    // A name made of digits but not twelve of them is matched as a name.
    let digits = account("777777777777", "2024", OrgAccountStatus::Active);
    let got = select(&[digits], &AccountFilter::new(strings(&["2024"]), vec![]));
    assert_eq!(ids(&got.chosen), ["777777777777"]);
}

#[test]
fn include_entries_naming_no_account_are_reported() {
    let filter = AccountFilter::new(strings(&["search-*", "999999999999", "billing"]), vec![]);
    let got = select(&listing(), &filter);
    assert_eq!(got.unmatched, strings(&["999999999999", "billing"]));
    assert!(select(&listing(), &AccountFilter::all()).unmatched.is_empty());
}

#[test]
fn the_same_listing_in_any_order_selects_the_same() {
    let filter = AccountFilter::new(strings(&["search-*", "chat-*"]), strings(&["*-dev"]));
    let mut reversed = listing();
    reversed.reverse();
    // A duplicated account (two pages that overlapped) is kept once.
    reversed.push(listing()[0].clone());
    assert_eq!(select(&reversed, &filter), select(&listing(), &filter));
}
