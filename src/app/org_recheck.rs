//! Picks up an organisation's new (and closed) accounts: lists it again on
//! `accounts.organizations.recheck_schedule` and, when the accounts chosen
//! differ from those the daemon started with, asks the daemon to stop, so
//! that its restart (the container's restart policy; the exit code is 75)
//! monitors the new set.
//!
//! Why a restart and not a change in place: every shard's clients, request
//! limiters, watermarks, leases and label sets are built once, at start,
//! and a restart already catches up from the stored watermarks without
//! losing or doubling anything. A listing that fails changes nothing: it is
//! logged and the next recheck tries again.
//!
//! Must not change the shards itself; the selection rules are
//! `accounts::discover`'s.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::accounts::{discover, listed};
use super::Components;
use crate::aws::AwsConfig;
use crate::config::types::Config;
use crate::config::Loaded;
use crate::scheduler::{Completed, Job, JobError, JobName, ScheduledJob};

pub const JOB: JobName = JobName::named("organization_recheck");

/// What changed between two selections of the organisation's accounts.
#[derive(Debug, PartialEq, Eq)]
pub struct AccountChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl AccountChange {
    /// `None` when both hold the same accounts.
    pub fn between(before: &BTreeSet<String>, after: &BTreeSet<String>) -> Option<AccountChange> {
        let added: Vec<String> = after.difference(before).cloned().collect();
        let removed: Vec<String> = before.difference(after).cloned().collect();
        (!added.is_empty() || !removed.is_empty()).then_some(AccountChange { added, removed })
    }
}

pub struct OrganizationRecheck {
    pub config: Arc<Config>,
    pub aws: AwsConfig,
    /// The primary account's ID (never a member).
    pub primary: String,
    /// The accounts discovered at start.
    pub started_with: BTreeSet<String>,
    /// Set to true to stop the daemon for a restart.
    pub restart: watch::Sender<bool>,
}

impl OrganizationRecheck {
    /// Lists the organisation; `Some` when its selection is not the one the
    /// daemon started with (and then the restart has been asked for).
    pub async fn check(&self) -> Option<AccountChange> {
        let members = listed(&self.config);
        let found = discover(&self.config, &self.aws, &self.primary, &members).await?;
        let now: BTreeSet<String> = found.into_iter().map(|m| m.id).collect();
        let change = AccountChange::between(&self.started_with, &now)?;
        tracing::warn!(
            added = ?change.added,
            removed = ?change.removed,
            "the organisation's monitored accounts changed; stopping so that the restart monitors them"
        );
        self.restart.send_replace(true);
        Some(change)
    }
}

/// The recheck, when the organisation is listed and a change may restart
/// the daemon. Every replica runs it: each built its own shards at start.
/// Not part of readiness (hourly by default, and a failed listing is no
/// failed run).
pub(super) fn scheduled(parts: &Components, loaded: &Loaded) -> Option<ScheduledJob> {
    let org = &loaded.config.accounts.organizations;
    if !org.enabled || !org.restart_on_change {
        return None;
    }
    let job = OrganizationRecheck {
        config: Arc::new(loaded.config.clone()),
        aws: parts.aws.clone(),
        primary: parts.accounts.primary.clone(),
        started_with: parts.accounts.discovered.clone(),
        restart: parts.restart.clone(),
    };
    Some(ScheduledJob {
        job: Arc::new(job),
        schedule: org.recheck_schedule.clone(),
        run_at_start: false,
        wake: None,
    })
}

#[async_trait]
impl Job for OrganizationRecheck {
    fn name(&self) -> JobName {
        JOB
    }

    /// A failed listing is logged by `discover` and is not a failed run: the
    /// daemon keeps monitoring what it has, and readiness must not turn on
    /// the management account's availability.
    async fn run_once(&self) -> Result<Completed, JobError> {
        self.check().await;
        Ok(Completed::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| (*s).to_string()).collect()
    }

    struct Case {
        before: &'static [&'static str],
        after: &'static [&'static str],
        added: &'static [&'static str],
        removed: &'static [&'static str],
    }

    #[test]
    fn a_change_names_what_was_added_and_removed() {
        const A: &str = "111122223333";
        const B: &str = "444455556666";
        let cases = [
            Case { before: &[], after: &[], added: &[], removed: &[] },
            Case { before: &[A], after: &[A], added: &[], removed: &[] },
            Case { before: &[A], after: &[A, B], added: &[B], removed: &[] },
            Case { before: &[A, B], after: &[B], added: &[], removed: &[A] },
            Case { before: &[A], after: &[B], added: &[B], removed: &[A] },
            Case { before: &[], after: &[A], added: &[A], removed: &[] },
        ];
        for c in cases {
            let want = (!c.added.is_empty() || !c.removed.is_empty()).then(|| AccountChange {
                added: set(c.added).into_iter().collect(),
                removed: set(c.removed).into_iter().collect(),
            });
            let got = AccountChange::between(&set(c.before), &set(c.after));
            assert_eq!(got, want, "{:?} -> {:?}", c.before, c.after);
        }
    }
}
