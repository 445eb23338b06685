//! Forecast to period end and burn-rate anomalies, in exact decimals.
//!
//! Forecast = spend so far + (spend over the lookback window ÷ its length)
//! × time left in the period, measured from the data watermark (the last
//! complete minute the ledger has), not from the wall clock: data that has
//! not arrived yet is neither spend nor a reason to slow the rate down.
//! Rates come from whole windows even at the start of a period, so a new
//! day inherits the burn of the night before instead of forecasting zero.
//!
//! Burn rate: the USD/hour over the short window against the USD/hour over
//! the baseline before it. Anomalous when the short rate is at least
//! `factor` times the baseline and at least `min_usd_per_hour`.
//!
//! Pure. Results are rounded to 6 decimal places (a millionth of a dollar):
//! they are estimates, unlike spend, which is never rounded.

use rust_decimal::Decimal;

use crate::budgets::BurnRate;
use crate::config::budget::BurnRateConfig;

const DP: u32 = 6;

/// `amount × numerator ÷ denominator`, exact up to Decimal's 28 digits; zero
/// for an empty denominator (a window of no length has no rate).
fn scale(amount: Decimal, numerator: i64, denominator: i64) -> Decimal {
    if denominator <= 0 {
        return Decimal::ZERO;
    }
    amount
        .checked_mul(Decimal::from(numerator))
        .and_then(|x| x.checked_div(Decimal::from(denominator)))
        .unwrap_or(Decimal::MAX)
}

/// Projected spend at period end. `remaining_secs` is from the data
/// watermark to the period end (zero once the period is over).
pub fn forecast(spend: Decimal, lookback_spend: Decimal, lookback_secs: i64, remaining_secs: i64) -> Decimal {
    let ahead = scale(lookback_spend, remaining_secs.max(0), lookback_secs);
    spend.checked_add(ahead).unwrap_or(Decimal::MAX).round_dp(DP)
}

/// USD per hour over a window of `secs` seconds.
pub fn per_hour(spend: Decimal, secs: i64) -> Decimal {
    scale(spend, 3600, secs).round_dp(DP)
}

pub fn burn_rate(
    short_spend: Decimal,
    short_secs: i64,
    base_spend: Decimal,
    base_secs: i64,
    cfg: &BurnRateConfig,
) -> BurnRate {
    let short = per_hour(short_spend, short_secs);
    let long = per_hour(base_spend, base_secs);
    let anomalous = short > Decimal::ZERO
        && short >= cfg.min_usd_per_hour.0
        && short >= long.checked_mul(cfg.factor.0).unwrap_or(Decimal::MAX);
    BurnRate { short_usd_per_hour: short, long_usd_per_hour: long, anomalous }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Usd;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn forecast_table() {
        // (spend, lookback spend, lookback s, remaining s, forecast)
        let cases = [
            // $60 in the last 6 h, 12 h left: twice that again.
            ("100", "60", 6 * 3600, 12 * 3600, "220"),
            ("0", "0", 6 * 3600, 20 * 3600, "0"),
            // The period is over: the forecast is the spend.
            ("512.25", "90", 3600, 0, "512.25"),
            ("512.25", "90", 3600, -60, "512.25"),
            // A third of a cent per second for 7 s: rounded to 6 places.
            ("1", "1", 3, 7, "3.333333"),
            ("1", "5", 0, 100, "1"),
        ];
        for (spend, lb, lb_secs, rem, want) in cases {
            assert_eq!(forecast(d(spend), d(lb), lb_secs, rem), d(want), "{spend} {lb} {lb_secs} {rem}");
        }
    }

    #[test]
    fn burn_rate_table() {
        let cfg = BurnRateConfig {
            short_minutes: 15,
            long_hours: 24,
            factor: Usd(d("4")),
            min_usd_per_hour: Usd(d("5")),
        };
        let q = 15 * 60;
        let base = 24 * 3600 - q;
        // (short spend in 15 min, baseline spend, anomalous)
        let cases = [
            // $10 in 15 min = $40/h against a $2/h baseline: a runaway.
            ("10", "47.5", true),
            // Exactly 4x (= $40/h vs $10/h) counts.
            ("10", "237.5", true),
            // $40/h against $12/h is only 3.3x.
            ("10", "285", false),
            // 100x the baseline but $4/h is below the floor.
            ("1", "0.01", false),
            // No spend at all is never anomalous, even against a zero baseline.
            ("0", "0", false),
            // First traffic ever: any rate above the floor is anomalous against zero.
            ("2", "0", true),
        ];
        for (short, baseline, want) in cases {
            let b = burn_rate(d(short), q, d(baseline), base, &cfg);
            assert_eq!(b.anomalous, want, "{short} vs {baseline}: {b:?}");
        }
        assert_eq!(burn_rate(d("10"), q, d("47.5"), base, &cfg).short_usd_per_hour, d("40"));
    }
}
