//! Why a scheduled run failed, typed from the stage that failed to the log
//! line: the text is made once, when the error is logged, and `kind()` is
//! the `kind` label of `bedrock_monitor_job_failures_total`.
//!
//! Must not decide what to do about a failure: the scheduler reports it and
//! the next tick retries.

use crate::collector::CollectError;
use crate::ledger::StoreError;
use crate::sources::{ErrorKind, SourceError};

/// A failed run. A run that failed in several places (one region's AWS call
/// and a later store write) keeps every cause.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// An AWS call failed; the source's error kind says how.
    #[error(transparent)]
    Aws(#[from] SourceError),
    /// The store failed while the job was doing `during`.
    #[error("{during}: {source}")]
    Store {
        during: &'static str,
        #[source]
        source: StoreError,
    },
    /// Budget evaluation could not read or write what it needs.
    #[error("evaluating budgets: {0}")]
    Evaluate(#[source] StoreError),
    /// Alerts were claimed but could not be published.
    #[error("{failed} alert(s) could not be published: {detail}")]
    Publish { failed: usize, detail: String },
    /// More than one of the above, in the order they happened.
    #[error("{}", join(.0))]
    Several(Vec<JobError>),
}

/// The cause of a failed run, as the `kind` label knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    Throttled,
    Timeout,
    Aws,
    Store,
    Evaluate,
    Publish,
}

impl FailureKind {
    pub const ALL: [FailureKind; 6] = [
        FailureKind::Throttled,
        FailureKind::Timeout,
        FailureKind::Aws,
        FailureKind::Store,
        FailureKind::Evaluate,
        FailureKind::Publish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Throttled => "throttled",
            FailureKind::Timeout => "timeout",
            FailureKind::Aws => "aws",
            FailureKind::Store => "store",
            FailureKind::Evaluate => "evaluate",
            FailureKind::Publish => "publish",
        }
    }
}

impl JobError {
    /// A store failure while doing `during` (e.g. "reading the watermark").
    pub fn store(during: &'static str) -> impl FnOnce(StoreError) -> JobError {
        move |source| JobError::Store { during, source }
    }

    /// Every cause of a failed run, flattened.
    pub fn causes(&self) -> Vec<&JobError> {
        match self {
            JobError::Several(all) => all.iter().flat_map(JobError::causes).collect(),
            one => vec![one],
        }
    }

    /// The first cause's kind: what broke first is what the run failed on.
    pub fn kind(&self) -> FailureKind {
        match self {
            JobError::Aws(e) => match e.kind {
                ErrorKind::Throttled => FailureKind::Throttled,
                ErrorKind::Timeout => FailureKind::Timeout,
                ErrorKind::Service | ErrorKind::Other => FailureKind::Aws,
            },
            JobError::Store { .. } => FailureKind::Store,
            JobError::Evaluate(_) => FailureKind::Evaluate,
            JobError::Publish { .. } => FailureKind::Publish,
            // `all` is never empty: `from_all` makes `Several` only from two or more.
            JobError::Several(all) => all.first().map_or(FailureKind::Store, JobError::kind),
        }
    }

    /// `Ok` when there is no error, the error itself when there is one,
    /// `Several` otherwise.
    pub fn from_all(mut errors: Vec<JobError>) -> Result<(), JobError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(JobError::Several(errors)),
        }
    }
}

impl From<CollectError> for JobError {
    fn from(e: CollectError) -> Self {
        match e {
            CollectError::Source(e) => JobError::Aws(e),
            CollectError::Store(e) => JobError::Store { during: "writing the ledger", source: e },
        }
    }
}

fn join(errors: &[JobError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(kind: ErrorKind) -> JobError {
        JobError::Aws(SourceError {
            api: "GetMetricData",
            region: "us-east-1".into(),
            kind,
            message: "x".into(),
        })
    }

    fn store() -> JobError {
        JobError::Store { during: "reading the watermark", source: StoreError::Backend("disk full".into()) }
    }

    #[test]
    fn kinds_table() {
        let cases = [
            (aws(ErrorKind::Throttled), "throttled"),
            (aws(ErrorKind::Timeout), "timeout"),
            (aws(ErrorKind::Service), "aws"),
            (aws(ErrorKind::Other), "aws"),
            (store(), "store"),
            (JobError::Evaluate(StoreError::Backend("x".into())), "evaluate"),
            (JobError::Publish { failed: 2, detail: "SNS down".into() }, "publish"),
            (JobError::Several(vec![aws(ErrorKind::Timeout), store()]), "timeout"),
        ];
        for (error, want) in cases {
            assert_eq!(error.kind().as_str(), want, "{error}");
        }
    }

    #[test]
    fn several_keeps_every_cause_in_order_and_in_the_text() {
        let all = JobError::from_all(vec![aws(ErrorKind::Throttled), store()]).unwrap_err();
        assert_eq!(all.causes().len(), 2);
        let text = all.to_string();
        assert!(text.starts_with("GetMetricData in us-east-1 failed"), "{text}");
        assert!(text.ends_with("reading the watermark: ledger storage error: disk full"), "{text}");
        assert!(JobError::from_all(Vec::new()).is_ok());
        assert!(matches!(JobError::from_all(vec![store()]), Err(JobError::Store { .. })));
    }
}
