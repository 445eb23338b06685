use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{score, Holding, Plan, View};

const LEASE: i64 = 30;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

fn shards(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("11112222333{}/us-east-{}", i % 10, i / 10 + 1)).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// A table of shard leases, acted on the way the store does: a take
/// succeeds only on a free or expired lease.
struct Table {
    shards: Vec<String>,
    leases: BTreeMap<String, Holding>,
}

impl Table {
    fn new(n: usize) -> Table {
        Table { shards: shards(n), leases: BTreeMap::new() }
    }

    fn plan(&self, me: &str, members: &BTreeSet<String>, now: DateTime<Utc>) -> Plan {
        View { me, shards: &self.shards, leases: &self.leases, members, now }.plan()
    }

    /// One keeper round of `me`: plan, release, take, renew.
    fn round(&mut self, me: &str, members: &BTreeSet<String>, now: DateTime<Utc>) -> Plan {
        let plan = self.plan(me, members, now);
        let until = now + Duration::seconds(LEASE);
        for k in &plan.release {
            self.leases.insert(k.clone(), Holding { holder: me.into(), expires_at: DateTime::UNIX_EPOCH });
        }
        for k in plan.keep.iter().chain(&plan.take) {
            let free = self.leases.get(k).is_none_or(|h| h.expires_at <= now || h.holder == me);
            if free {
                self.leases.insert(k.clone(), Holding { holder: me.into(), expires_at: until });
            }
        }
        plan
    }

    fn counts(&self, now: DateTime<Utc>) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for h in self.leases.values().filter(|h| now < h.expires_at) {
            *out.entry(h.holder.clone()).or_default() += 1;
        }
        out
    }

    fn held(&self, now: DateTime<Utc>) -> usize {
        self.leases.values().filter(|h| now < h.expires_at).count()
    }
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(h, n)| (h.to_string(), *n)).collect()
}

/// Replicas, shards, each one's count once converged (empty: not checked).
type Case<'a> = (&'a [&'a str], usize, &'a [(&'a str, usize)]);

#[test]
fn three_replicas_split_six_shards_two_each() {
    let cases: [Case; 4] = [
        (&["a", "b", "c"], 6, &[("a", 2), ("b", 2), ("c", 2)]),
        (&["a", "b"], 5, &[("a", 3), ("b", 2)]),
        (&["a"], 4, &[("a", 4)]),
        (&["a", "b", "c", "d"], 2, &[]),
    ];
    for (names, n, want) in cases {
        let members = set(names);
        let mut table = Table::new(n);
        let mut now = t0();
        for _ in 0..4 {
            for me in names {
                table.round(me, &members, now);
            }
            now += Duration::seconds(LEASE / 3);
        }
        let got = table.counts(now);
        assert_eq!(table.held(now), n, "{names:?}: every shard held once");
        assert!(got.values().all(|&c| c <= n.div_ceil(names.len())), "{names:?}: {got:?}");
        if !want.is_empty() {
            let mut got = got.values().copied().collect::<Vec<_>>();
            let mut want = want.iter().map(|(_, c)| *c).collect::<Vec<_>>();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{names:?}");
        }
    }
}

#[test]
fn a_new_member_gets_its_share_as_the_others_release() {
    let mut table = Table::new(6);
    let mut now = t0();
    // `a` alone takes everything.
    let first = table.round("a", &set(&["a"]), now);
    assert_eq!((first.take.len(), first.fair_share), (6, 6));
    // `b` and `c` join: their first round finds nothing free; `a` releases
    // four, then each newcomer takes its two.
    let all = set(&["a", "b", "c"]);
    assert!(table.round("b", &all, now).take.is_empty());
    assert_eq!(table.round("a", &all, now).release.len(), 4);
    now += Duration::seconds(LEASE / 3);
    assert_eq!(table.round("b", &all, now).take.len(), 2);
    assert_eq!(table.round("c", &all, now).take.len(), 2);
    assert_eq!(table.counts(now), counts(&[("a", 2), ("b", 2), ("c", 2)]));
    // Stable: another round changes nothing.
    for me in ["a", "b", "c"] {
        let p = table.round(me, &all, now);
        assert!(p.take.is_empty() && p.release.is_empty() && p.keep.len() == 2, "{me}: {p:?}");
    }
}

#[test]
fn a_dead_members_shards_are_taken_once_its_leases_expire() {
    let mut table = Table::new(6);
    let all = set(&["a", "b", "c"]);
    let mut now = t0();
    for _ in 0..3 {
        for me in ["a", "b", "c"] {
            table.round(me, &all, now);
        }
    }
    assert_eq!(table.counts(now).values().copied().collect::<Vec<_>>(), [2, 2, 2]);
    // `c` dies: it stops renewing. Until its leases expire nobody may take them.
    let alive = set(&["a", "b"]);
    now += Duration::seconds(LEASE / 3);
    for me in ["a", "b"] {
        let p = table.round(me, &alive, now);
        assert!(p.take.is_empty() && p.fair_share == 3, "{me}: {p:?}");
    }
    // Once they have (the survivors' own, renewed since, have not), each
    // survivor (now owed three) takes one.
    now += Duration::seconds(LEASE - LEASE / 3 + 1);
    for me in ["a", "b"] {
        assert_eq!(table.round(me, &alive, now).take.len(), 1, "{me}");
    }
    assert_eq!(table.counts(now), counts(&[("a", 3), ("b", 3)]));
}

#[test]
fn plans_are_deterministic_and_replicas_prefer_different_shards() {
    let table = Table::new(6);
    let all = set(&["a", "b", "c"]);
    let plans: Vec<Plan> = ["a", "b", "c"].iter().map(|me| table.plan(me, &all, t0())).collect();
    for (me, p) in ["a", "b", "c"].iter().zip(&plans) {
        assert_eq!(&table.plan(me, &all, t0()), p, "same inputs, same plan");
        assert_eq!(p.take.len(), 2);
    }
    // Each replica's first choice is a shard it is the favourite of, so the
    // three first choices differ whenever each is some shard's favourite.
    let firsts: BTreeSet<&String> = plans.iter().map(|p| &p.take[0]).collect();
    let favourites: BTreeSet<&str> = table.shards.iter().filter_map(|k| super::favourite(&all, k)).collect();
    assert_eq!(firsts.len(), favourites.len(), "{plans:?}");
    // The score is a fixed function of its inputs (the same on every build).
    assert_eq!(score("a", "us-east-1"), score("a", "us-east-1"));
    assert_ne!(score("a", "us-east-1"), score("b", "us-east-1"));
}

#[test]
fn a_lease_past_its_expiry_is_free_and_one_before_it_is_not() {
    let shards = shards(2);
    let leases: BTreeMap<String, Holding> = [
        (shards[0].clone(), Holding { holder: "x".into(), expires_at: t0() }),
        (shards[1].clone(), Holding { holder: "x".into(), expires_at: t0() + Duration::seconds(1) }),
    ]
    .into();
    let members = set(&["x"]);
    let p = View { me: "a", shards: &shards, leases: &leases, members: &members, now: t0() }.plan();
    assert_eq!((p.take, p.fair_share), (vec![shards[0].clone()], 1));
}
