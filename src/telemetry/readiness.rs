//! Readiness for `/readyz` and the `healthcheck` probe: the configuration is
//! loaded and every enabled job has succeeded within two of its intervals.
//!
//! The scheduler reports into [`Readiness`] (`config_loaded`, `add_job`,
//! `job_succeeded`); [`evaluate`] is a pure function of that state and
//! "now", which comes from the injected clock. Nothing here runs a job.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::Clock;
use crate::scheduler::JobName;

/// Whether this replica holds the lease (and does the polling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    Leader,
    #[default]
    Follower,
}

/// What readiness knows about one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobStatus {
    /// A disabled job never blocks readiness.
    pub enabled: bool,
    /// Time between two scheduled runs.
    pub interval: TimeDelta,
    pub last_success: Option<DateTime<Utc>>,
    /// A job that runs only in one role counts only in that role, and only
    /// from when the replica took the role (a new leader is not unready
    /// because it has not polled yet).
    pub role: Option<Role>,
}

/// Everything readiness is decided from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadinessState {
    pub config_loaded: bool,
    pub jobs: BTreeMap<JobName, JobStatus>,
    pub role: Role,
    /// Whether a lease attempt has set the role yet.
    pub role_known: bool,
    /// When the replica changed to its current role; `None` if it has held it since start.
    pub role_since: Option<DateTime<Utc>>,
}

/// Ready, or the reasons why not (one per problem, in job order).
pub fn evaluate(state: &ReadinessState, now: DateTime<Utc>) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    if !state.config_loaded {
        reasons.push("configuration not loaded".to_string());
    }
    for (job, status) in state.jobs.iter().filter(|(_, s)| s.enabled) {
        let allowed = status.interval * 2;
        let since_role = match status.role {
            Some(role) if role != state.role => continue,
            Some(_) => state.role_since,
            None => None,
        };
        let fresh = |at: DateTime<Utc>| now - at <= allowed;
        match (status.last_success, since_role) {
            (Some(at), _) if fresh(at) => {}
            (_, Some(since)) if fresh(since) => {}
            (None, None) => reasons.push(format!("job {} has not succeeded yet", job.as_str())),
            (None, Some(since)) => reasons.push(format!(
                "job {} has not succeeded since this replica took its role at {}",
                job.as_str(),
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            (Some(at), _) => reasons.push(format!(
                "job {} last succeeded at {} (more than two intervals of {}s ago)",
                job.as_str(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                status.interval.num_seconds()
            )),
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}

/// The live readiness state, shared by the scheduler and the HTTP server.
pub struct Readiness {
    clock: Arc<dyn Clock>,
    state: RwLock<ReadinessState>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness").field("state", &*self.read()).finish_non_exhaustive()
    }
}

impl Readiness {
    /// Not ready: no configuration, no jobs.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Readiness { clock, state: RwLock::new(ReadinessState::default()) }
    }

    pub fn set_config_loaded(&self, loaded: bool) {
        self.write(|s| s.config_loaded = loaded);
    }

    /// Declares a job (again); its last success, if any, is kept.
    pub fn add_job(&self, job: JobName, enabled: bool, interval: TimeDelta) {
        self.add_role_job(job, enabled, interval, None);
    }

    /// Declares a job that runs only in `role` (`None`: in both).
    pub fn add_role_job(&self, job: JobName, enabled: bool, interval: TimeDelta, role: Option<Role>) {
        self.write(|s| {
            let last_success = s.jobs.get(&job).and_then(|j| j.last_success);
            s.jobs.insert(job, JobStatus { enabled, interval, last_success, role });
        });
    }

    /// The replica holds `role` as of `at`. The first call (at start) sets
    /// the role without grace: a starting leader is ready once it collected.
    /// A later change starts two intervals of grace for the new role's jobs.
    pub fn set_role(&self, role: Role, at: DateTime<Utc>) {
        self.write(|s| {
            if !s.role_known {
                s.role_known = true;
                s.role = role;
            } else if s.role != role {
                s.role = role;
                s.role_since = Some(at);
            }
        });
    }

    /// Records a successful run at `at`; an unknown job is ignored.
    pub fn job_succeeded(&self, job: JobName, at: DateTime<Utc>) {
        self.write(|s| {
            if let Some(status) = s.jobs.get_mut(&job) {
                status.last_success = Some(status.last_success.map_or(at, |prev| prev.max(at)));
            }
        });
    }

    /// Ready now, or why not.
    pub fn check(&self) -> Result<(), Vec<String>> {
        evaluate(&self.read(), self.clock.now())
    }

    pub fn state(&self) -> ReadinessState {
        self.read().clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, ReadinessState> {
        // Every update is a single assignment: a poisoned lock still holds a valid state.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, update: impl FnOnce(&mut ReadinessState)) {
        update(&mut self.state.write().unwrap_or_else(PoisonError::into_inner));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::TimeZone;

    fn t(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, minute, 0).unwrap()
    }

    fn job(enabled: bool, last_success: Option<u32>) -> JobStatus {
        JobStatus { enabled, interval: TimeDelta::minutes(5), last_success: last_success.map(t), role: None }
    }

    fn state(config_loaded: bool, jobs: &[(JobName, JobStatus)]) -> ReadinessState {
        ReadinessState { config_loaded, jobs: jobs.iter().cloned().collect(), ..Default::default() }
    }

    /// Name, state, expected verdict.
    type Case = (&'static str, ReadinessState, Result<(), Vec<&'static str>>);

    #[test]
    fn readiness_table() {
        let now = t(30);
        let cases: Vec<Case> = vec![
            ("ready", state(true, &[(JobName::CLOUDWATCH, job(true, Some(25)))]), Ok(())),
            ("exactly two intervals", state(true, &[(JobName::CLOUDWATCH, job(true, Some(20)))]), Ok(())),
            ("no jobs", state(true, &[]), Ok(())),
            ("config not loaded", state(false, &[]), Err(vec!["configuration not loaded"])),
            (
                "stale job",
                state(true, &[(JobName::CLOUDWATCH, job(true, Some(19)))]),
                Err(vec!["job cloudwatch last succeeded at 2026-03-01T12:19:00Z (more than two intervals of 300s ago)"]),
            ),
            (
                "never succeeded",
                state(true, &[(JobName::CLOUDTRAIL, job(true, None))]),
                Err(vec!["job cloudtrail has not succeeded yet"]),
            ),
            (
                "disabled job",
                state(true, &[(JobName::CLOUDWATCH, job(true, Some(29))), (JobName::CLOUDTRAIL, job(false, None))]),
                Ok(()),
            ),
            (
                "every reason",
                state(false, &[(JobName::BUDGETS, job(true, None)), (JobName::CLOUDTRAIL, job(true, None))]),
                Err(vec![
                    "configuration not loaded",
                    "job budgets has not succeeded yet",
                    "job cloudtrail has not succeeded yet",
                ]),
            ),
        ];
        for (name, state, expected) in cases {
            let expected = expected.map_err(|r| r.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(evaluate(&state, now), expected, "{name}");
        }
    }

    #[test]
    fn role_jobs_count_only_in_their_role_and_from_taking_it() {
        let clock = Arc::new(ManualClock::new(t(0)));
        let r = Readiness::new(clock.clone());
        r.set_config_loaded(true);
        r.add_role_job(JobName::CLOUDWATCH, true, TimeDelta::minutes(5), Some(Role::Leader));
        r.add_role_job(JobName::named("follower"), true, TimeDelta::minutes(1), Some(Role::Follower));
        r.set_role(Role::Follower, t(0));
        let why = "job follower has not succeeded yet".to_string();
        assert_eq!(r.check(), Err(vec![why]), "at start a follower is ready once it read the store");
        r.job_succeeded(JobName::named("follower"), t(1));
        clock.set(t(3));
        assert_eq!(r.check(), Ok(()), "the leader's job does not count on a follower");
        // Taking the lease at 12:03: the leader job has until 12:13.
        r.set_role(Role::Leader, t(3));
        clock.set(t(12));
        assert_eq!(r.check(), Ok(()));
        clock.set(t(14));
        let why = "job cloudwatch has not succeeded since this replica took its role at 2026-03-01T12:03:00Z";
        assert_eq!(r.check(), Err(vec![why.to_string()]));
    }

    #[test]
    fn live_state_follows_the_clock() {
        let clock = Arc::new(ManualClock::new(t(0)));
        let readiness = Readiness::new(clock.clone());
        assert!(readiness.check().is_err());
        readiness.set_config_loaded(true);
        readiness.add_job(JobName::CLOUDWATCH, true, TimeDelta::minutes(5));
        readiness.job_succeeded(JobName::CLOUDWATCH, t(0));
        readiness.job_succeeded(JobName::named("unknown"), t(0));
        assert_eq!(readiness.check(), Ok(()));
        clock.set(t(11));
        assert!(readiness.check().is_err());
        readiness.add_job(JobName::CLOUDWATCH, false, TimeDelta::minutes(5));
        assert_eq!(readiness.check(), Ok(()));
        assert_eq!(readiness.state().jobs[&JobName::CLOUDWATCH].last_success, Some(t(0)));
    }
}
