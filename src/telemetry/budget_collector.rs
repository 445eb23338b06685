//! The budget gauges (README, "HTTP endpoints and Prometheus metrics"), rendered on every scrape from the board:
//! `bedrock_budget_spend_usd`, `bedrock_budget_limit_usd`,
//! `bedrock_budget_utilization_ratio` and `bedrock_budget_forecast_usd`,
//! labelled `budget` (and `principal` for per-principal budgets). Read-only.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

use super::budget_board::SharedBudgetBoard;
use super::families::{desc, usd_sample, FamilyBuilder};

const FAMILIES: [(&str, &str); 4] = [
    ("bedrock_budget_spend_usd", "Spend in the budget's current period, exact USD."),
    ("bedrock_budget_limit_usd", "The budget's limit for its period, USD."),
    ("bedrock_budget_utilization_ratio", "Spend divided by the limit (1 = 100 %)."),
    ("bedrock_budget_forecast_usd", "Projected spend at the end of the period, USD."),
];

pub struct BudgetCollector {
    board: SharedBudgetBoard,
    descs: Vec<Desc>,
}

impl BudgetCollector {
    pub fn new(board: SharedBudgetBoard) -> prometheus::Result<Self> {
        let descs =
            FAMILIES.iter().map(|(n, h)| desc(n, h, &["budget", "principal"])).collect::<Result<_, _>>()?;
        Ok(BudgetCollector { board, descs })
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
        for s in &board.statuses {
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
