//! Sizing the demo's budget to the simulated traffic, so a newcomer sees a
//! crossing at start and more crossings live, whatever the time of day: the
//! history of today uses 60 % of the limit, and a runaway loop that starts a
//! minute into the live demo takes it past 80 % and 100 % within minutes.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::budgets::period::bounds;
use crate::config::{Loaded, Usd};
use crate::pricing::PointPricer;
use crate::records::{LinePricing, MetricPoint};
use crate::sim::{datums, SimDatum, SimSeries};

/// The budget the demo sizes (config/demo.toml).
pub const BUDGET: &str = "demo-daily";
/// The per-principal budget, sized to half of it.
pub const PER_CALLER: &str = "per-caller-daily";
/// The per-user budget (invocation logs), sized to 30 % of it.
pub const PER_USER: &str = "per-user-daily";

pub struct Sizing {
    pub limit: Decimal,
    /// How many times its normal traffic the runaway series runs.
    pub spike_factor: u64,
}

/// The exact priced cost of datums, as the daemon will price them.
fn cost(pricer: &PointPricer, data: &[SimDatum]) -> Decimal {
    let points: Vec<MetricPoint> = data
        .iter()
        .map(|d| MetricPoint {
            region: d.region.clone(),
            model_id: d.model_id.clone(),
            metric: d.metric,
            minute: d.minute,
            sum: d.sum,
            count: d.count,
        })
        .collect();
    pricer
        .lines(&points)
        .iter()
        .map(|l| match &l.pricing {
            LinePricing::Priced { usd, .. } => *usd,
            LinePricing::Unpriced { .. } => Decimal::ZERO,
        })
        .sum()
}

/// Sets the demo budget's limit in `loaded` and picks the spike.
pub fn size(
    loaded: &mut Loaded,
    history: &[SimDatum],
    runaway: &SimSeries,
    now: DateTime<Utc>,
) -> Option<Sizing> {
    let pricer = PointPricer::from_config(loaded);
    let tz = loaded.config.monitor.timezone.0;
    let budget = loaded.config.budgets.iter_mut().find(|b| b.name == BUDGET)?;
    let (start, _) = bounds(budget.period, budget.timezone.map_or(tz, |t| t.0), now);
    let today: Vec<SimDatum> = history.iter().filter(|d| d.minute >= start).cloned().collect();
    let spent = cost(&pricer, &today);
    let limit = (spent / Decimal::new(6, 1)).round_dp(2).max(Decimal::ONE);
    budget.limit_usd = Usd(limit);
    if let Some(per) = loaded.config.budgets.iter_mut().find(|b| b.name == PER_CALLER) {
        per.limit_usd = Usd((limit / Decimal::TWO).round_dp(2));
    }
    if let Some(per) = loaded.config.budgets.iter_mut().find(|b| b.name == PER_USER) {
        per.limit_usd = Usd((limit * Decimal::new(3, 1)).round_dp(2));
    }
    // One normal minute of the runaway series; 15 % of the limit per minute above it.
    let minute = crate::clock::floor_minute(now);
    let normal =
        cost(&pricer, &datums(runaway, minute, minute + Duration::minutes(1))).max(Decimal::new(1, 2));
    let wanted = limit * Decimal::new(15, 2);
    let factor = (wanted / normal).ceil().to_string().parse::<u64>().unwrap_or(50).clamp(2, 500) + 1;
    Some(Sizing { limit, spike_factor: factor })
}
