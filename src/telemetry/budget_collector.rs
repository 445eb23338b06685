//! The budget gauges (README, "HTTP endpoints and Prometheus metrics"), rendered on every scrape from the board:
//! `bedrock_budget_spend_usd`, `bedrock_budget_limit_usd`,
//! `bedrock_budget_utilization_ratio` and `bedrock_budget_forecast_usd`,
//! labelled `budget` (and `principal` for per-principal budgets). Read-only.
//!
//! Per-principal and per-metadata budgets have a status per subject, and
//! callers are unbounded: only the `max_subjects` subjects of each budget
//! closest to their limit (highest utilisation) get gauges, so the label
//! stays bounded and the ones an operator must see are never left out. The
//! API (`/api/v1/budgets`) still lists every status.

use std::collections::BTreeMap;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

use super::budget_board::SharedBudgetBoard;
use super::families::{desc, usd_sample, FamilyBuilder};
use crate::budgets::BudgetStatus;

const FAMILIES: [(&str, &str); 4] = [
    ("bedrock_budget_spend_usd", "Spend in the budget's current period, exact USD."),
    ("bedrock_budget_limit_usd", "The budget's limit for its period, USD."),
    ("bedrock_budget_utilization_ratio", "Spend divided by the limit (1 = 100 %)."),
    ("bedrock_budget_forecast_usd", "Projected spend at the end of the period, USD."),
];

pub struct BudgetCollector {
    board: SharedBudgetBoard,
    /// Subjects exported per budget (`metrics.top_principals`).
    max_subjects: usize,
    descs: Vec<Desc>,
}

impl BudgetCollector {
    pub fn new(board: SharedBudgetBoard, max_subjects: usize) -> prometheus::Result<Self> {
        let descs =
            FAMILIES.iter().map(|(n, h)| desc(n, h, &["budget", "principal"])).collect::<Result<_, _>>()?;
        Ok(BudgetCollector { board, max_subjects, descs })
    }
}

impl Collector for BudgetCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let board = self.board.read();
        let mut families: Vec<FamilyBuilder> =
            FAMILIES.iter().map(|(n, h)| FamilyBuilder::gauge(n, h)).collect();
        for s in exported(&board.statuses, self.max_subjects) {
            // Without a subject the label is empty, which Prometheus treats as
            // absent; a per-metadata budget's subject is `key=value`.
            let subject = s.subject().unwrap_or_default();
            let labels = [("budget", s.budget.as_str()), ("principal", subject.as_str())];
            let values = [Some(s.spend_usd), Some(s.limit_usd), Some(s.utilization), s.forecast_usd];
            for (family, value) in families.iter_mut().zip(values) {
                if let Some(v) = value {
                    family.sample(&labels, usd_sample(v));
                }
            }
        }
        families.into_iter().map(FamilyBuilder::build).collect()
    }
}

/// Every budget's own status, and of each budget's per-subject statuses the
/// `max` with the highest utilisation (ties: by subject), in board order.
fn exported(statuses: &[BudgetStatus], max: usize) -> Vec<&BudgetStatus> {
    let mut ranked: BTreeMap<&str, Vec<(usize, &BudgetStatus)>> = BTreeMap::new();
    for (i, s) in statuses.iter().enumerate().filter(|(_, s)| s.subject().is_some()) {
        ranked.entry(s.budget.as_str()).or_default().push((i, s));
    }
    let mut kept = std::collections::BTreeSet::new();
    for subjects in ranked.values_mut() {
        subjects.sort_by(|(_, a), (_, b)| {
            b.utilization.cmp(&a.utilization).then_with(|| a.subject().cmp(&b.subject()))
        });
        kept.extend(subjects.iter().take(max).map(|(i, _)| *i));
    }
    statuses
        .iter()
        .enumerate()
        .filter(|(i, s)| s.subject().is_none() || kept.contains(i))
        .map(|(_, s)| s)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn status(budget: &str, principal: Option<&str>, utilization: &str) -> BudgetStatus {
        serde_json::from_value(json!({
            "budget": budget, "principal": principal,
            "period": {"kind": "day", "start": "2026-12-07T00:00:00Z", "end": "2026-12-08T00:00:00Z", "timezone": "UTC"},
            "spend_usd": "1", "limit_usd": "10", "remaining_usd": "9", "utilization": utilization,
            "state": "ok", "on_exceeded": "deny", "severity": "warning", "thresholds_crossed": [],
            "evaluated_at": "2026-12-07T12:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn per_subject_gauges_are_the_ones_closest_to_their_limit() {
        let statuses = vec![
            status("team", None, "0.5"),
            status("per-caller", Some("a"), "0.1"),
            status("per-caller", Some("b"), "0.9"),
            status("per-caller", Some("c"), "0.4"),
            status("per-caller", Some("d"), "0.9"),
            status("other-per-caller", Some("z"), "0.01"),
        ];
        let names = |max| {
            exported(&statuses, max).iter().map(|s| (s.budget.clone(), s.subject())).collect::<Vec<_>>()
        };
        let s = |b: &str, p: Option<&str>| (b.to_string(), p.map(String::from));
        // Two per budget: b and d (0.9, ties by name); the budget's own status always.
        assert_eq!(
            names(2),
            [
                s("team", None),
                s("per-caller", Some("b")),
                s("per-caller", Some("d")),
                s("other-per-caller", Some("z"))
            ]
        );
        assert_eq!(names(10).len(), statuses.len());
    }
}
