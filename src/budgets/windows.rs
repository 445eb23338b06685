//! The spend windows a round of budget evaluation needs, and the sums read
//! for them. Planning them first lets the caller fetch each distinct window
//! once from the store (`cost_sums`, `principal_sums`, `request_sums`)
//! however many budgets share it. Pure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::period::bounds;
use super::scope::Scope;
use crate::config::BudgetConfig;
use crate::records::{Attribution, CostTotal, PrincipalTotal, RequestSum};

/// A half-open span of minutes `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Window { from, to: to.max(from) }
    }

    pub fn seconds(&self) -> i64 {
        (self.to - self.from).num_seconds()
    }
}

/// A budget with what evaluation derives from the clock: its timezone,
/// period, and the windows of its forecast and burn rate.
#[derive(Clone, Debug)]
pub struct Plan<'a> {
    pub config: &'a BudgetConfig,
    pub tz: Tz,
    pub period: Window,
    /// Data is complete up to here (the collector's watermark, at most now).
    pub data_through: DateTime<Utc>,
    /// Recent spend the forecast extrapolates.
    pub lookback: Window,
    /// (short, baseline) windows of the burn-rate check.
    pub burn: Option<(Window, Window)>,
}

impl<'a> Plan<'a> {
    pub fn new(
        config: &'a BudgetConfig,
        default_tz: Tz,
        now: DateTime<Utc>,
        data_through: DateTime<Utc>,
    ) -> Self {
        let tz = config.timezone.map_or(default_tz, |t| t.0);
        let (start, end) = bounds(config.period, tz, now);
        let t = data_through.min(now);
        let lookback = Window::new(t - Duration::hours(i64::from(config.forecast_lookback_hours)), t);
        let burn = config.burn_rate.as_ref().map(|b| {
            let short_start = t - Duration::minutes(i64::from(b.short_minutes));
            let long_start = t - Duration::hours(i64::from(b.long_hours));
            (Window::new(short_start, t), Window::new(long_start, short_start))
        });
        Plan { config, tz, period: Window::new(start, end), data_through: t, lookback, burn }
    }

    pub fn scope(&self) -> Scope<'a> {
        Scope::of(self.config)
    }

    /// Whether this budget reads attributed shares instead of cost lines.
    pub fn uses_principals(&self) -> bool {
        self.config.per_principal || self.scope().by_principal()
    }

    /// Whether this budget reads the logged requests (invocation logs).
    pub fn uses_requests(&self) -> bool {
        self.config.per_metadata.is_some() || self.scope().by_metadata()
    }

    fn windows(&self) -> impl Iterator<Item = Window> + '_ {
        [Some(self.period), Some(self.lookback)]
            .into_iter()
            .chain(self.burn.iter().flat_map(|(a, b)| [Some(*a), Some(*b)]))
            .flatten()
    }
}

/// Every distinct window to fetch, of cost lines and of attributed shares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub cost: BTreeSet<Window>,
    pub principal: BTreeSet<Window>,
    pub requests: BTreeSet<Window>,
}

/// Usage data is complete up to the oldest region's watermark (a region
/// with none yet does not hold the others back), never beyond `now`.
pub fn data_through(
    watermarks: impl IntoIterator<Item = Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    watermarks.into_iter().flatten().min().unwrap_or(now).min(now)
}

/// [`data_through`] over shards (ledger keys): a member account's shard
/// whose watermark trails `now` by more than `stalled` stops holding the
/// others back (it is alerted as stalled instead), so one broken account
/// never freezes every budget's forecast. The primary account's regions
/// always count, as they did before accounts existed.
pub fn data_through_shards<'a>(
    watermarks: impl IntoIterator<Item = (&'a str, Option<DateTime<Utc>>)>,
    now: DateTime<Utc>,
    stalled: chrono::Duration,
) -> DateTime<Utc> {
    let counted = watermarks.into_iter().filter_map(|(key, w)| {
        let member = crate::shard::account_of(key).is_some();
        (!member || w.is_some_and(|w| now - w <= stalled)).then_some(w)
    });
    data_through(counted, now)
}

/// `principals_known`: CloudTrail attribution exists, so every budget's
/// period also gets its top principals for the alert payload.
pub fn needs(plans: &[Plan<'_>], principals_known: bool) -> Needs {
    let mut n = Needs::default();
    for p in plans {
        if p.uses_requests() {
            n.requests.extend(p.windows());
        } else if p.uses_principals() {
            n.principal.extend(p.windows());
        } else {
            n.cost.extend(p.windows());
        }
        if principals_known {
            n.principal.insert(p.period);
        }
    }
    n
}

/// The fetched sums, keyed by window.
#[derive(Clone, Debug, Default)]
pub struct Spend {
    pub cost: BTreeMap<Window, Vec<CostTotal>>,
    pub principal: BTreeMap<Window, Vec<PrincipalTotal>>,
    pub requests: BTreeMap<Window, Vec<RequestSum>>,
}

impl Spend {
    /// Cost lines of a window inside the scope; (priced USD, unpriced tokens).
    pub fn cost_in(&self, w: &Window, scope: &Scope<'_>) -> (Decimal, u64) {
        let rows = self.cost.get(w).map(Vec::as_slice).unwrap_or_default();
        rows.iter().filter(|r| scope.matches_series(&r.region, &r.model_id, r.model.as_deref())).fold(
            (Decimal::ZERO, 0),
            |(usd, unpriced), r| match r.model {
                Some(_) => (usd + r.usd, unpriced),
                None => (usd, unpriced + r.tokens),
            },
        )
    }

    /// Attributed shares of a window inside the scope, per principal
    /// (unattributed cost belongs to nobody, so to no principal's budget).
    pub fn by_principal(&self, w: &Window, scope: &Scope<'_>) -> BTreeMap<String, Decimal> {
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in self.principal.get(w).map(Vec::as_slice).unwrap_or_default() {
            if r.attribution != Attribution::Unattributed
                && scope.matches_series(&r.region, &r.model_id, Some(&r.model))
                && scope.matches_principal(&r.principal)
            {
                *out.entry(r.principal.clone()).or_default() += r.usd;
            }
        }
        out
    }

    /// Logged requests of a window inside the scope; (priced USD, unpriced tokens).
    pub fn requests_in(&self, w: &Window, scope: &Scope<'_>) -> (Decimal, u64) {
        self.requests_matching(w, scope).fold((Decimal::ZERO, 0), |(usd, unpriced), r| match r.model {
            Some(_) => (usd + r.usd, unpriced),
            None => (usd, unpriced + r.tokens.total()),
        })
    }

    /// Logged spend of a window inside the scope, per value of `key`
    /// (requests without the key belong to no value's budget).
    pub fn by_metadata(&self, w: &Window, scope: &Scope<'_>, key: &str) -> BTreeMap<String, Decimal> {
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in self.requests_matching(w, scope) {
            if let Some(value) = r.dimensions.get(key) {
                *out.entry(value.clone()).or_default() += r.usd;
            }
        }
        out
    }

    /// Logged spend per model of a window, scope and (optionally) one value.
    pub fn requests_by_model(
        &self,
        w: &Window,
        scope: &Scope<'_>,
        value: Option<(&str, &str)>,
    ) -> BTreeMap<String, Decimal> {
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in self.requests_matching(w, scope) {
            let wanted = value.is_none_or(|(k, v)| r.dimensions.get(k).is_some_and(|x| x == v));
            if let (true, Some(model)) = (wanted, &r.model) {
                *out.entry(model.clone()).or_default() += r.usd;
            }
        }
        out
    }

    fn requests_matching<'s>(
        &'s self,
        w: &Window,
        scope: &'s Scope<'_>,
    ) -> impl Iterator<Item = &'s RequestSum> {
        self.requests.get(w).map(Vec::as_slice).unwrap_or_default().iter().filter(move |r| {
            scope.matches_series(&r.region, &r.model_id, r.model.as_deref())
                && scope.matches_principal(&r.principal)
                && scope.matches_metadata(&r.dimensions)
        })
    }

    /// Spend per model (key, or the ID when unpriced has no cost) in a window and scope.
    pub fn by_model(
        &self,
        w: &Window,
        scope: &Scope<'_>,
        principal: Option<&str>,
    ) -> BTreeMap<String, Decimal> {
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        if scope.by_principal() || principal.is_some() {
            for r in self.principal.get(w).map(Vec::as_slice).unwrap_or_default() {
                let wanted = principal.map_or(scope.matches_principal(&r.principal), |p| p == r.principal);
                if wanted
                    && r.attribution != Attribution::Unattributed
                    && scope.matches_series(&r.region, &r.model_id, Some(&r.model))
                {
                    *out.entry(r.model.clone()).or_default() += r.usd;
                }
            }
            return out;
        }
        for r in self.cost.get(w).map(Vec::as_slice).unwrap_or_default() {
            if let Some(model) = &r.model {
                if scope.matches_series(&r.region, &r.model_id, Some(model)) {
                    *out.entry(model.clone()).or_default() += r.usd;
                }
            }
        }
        out
    }
}
