//! Attribution: who spent the priced CloudWatch cost of a minute, from the
//! model invocation logs of that minute where they exist (every request's
//! caller and tokens of every type), else from its CloudTrail calls. Pure:
//! no I/O, no async, no AWS types, no floats.
//!
//! For one (region, minute, model ID), each priced [`CostLine`] (one token
//! type) is split on its own:
//!
//! 1. **Exact**: principals whose successful calls all reported that token
//!    type's count (logged requests report every type, cache writes of both
//!    TTLs together as CloudWatch counts them; CloudTrail has input and output
//!    counts at best) get `usd × tokens_p / max(line tokens, Σ reported)`.
//!    The line's rate is uniform, so this is their cost to the token. Where a
//!    (region, minute, model ID) has logged requests, only they are used: the
//!    CloudTrail calls of the same requests would count them twice.
//! 2. **Estimated**: what is left goes to the other principals with
//!    successful calls, in proportion to their successful invocations.
//!    Failed calls (`errorCode` set) never get cost.
//! 3. **Unattributed** ([`UNATTRIBUTED_PRINCIPAL`]): the whole line when the
//!    minute has no successful call, and the rest of an exact split when no
//!    principal is left to estimate for (CloudWatch counted tokens that no
//!    CloudTrail event accounts for yet).
//!
//! **Rounding rule.** A line's `usd` is split in whole units of
//! 10^-[`SHARE_SCALE`] USD (or of the line's own finer scale). Every share is
//! first rounded down; the units left over (fewer than the recipients) go
//! one each to the largest remainders, ties to the principal whose name sorts
//! first. Stage 1 treats "the rest" as one more recipient, sorting after every
//! principal. So the shares of every line, and of the minute, add up to its
//! priced cost to the last digit, and the same inputs in any order give the
//! same shares. Exact while a minute's total stays within what a `Decimal`
//! holds at that scale (about 79 trillion USD at 15 places).
//!
//! Must not read the ledger, price anything or decide which minutes to do.

mod split;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::pricing::TokenType;
use crate::records::{
    Attribution, CallCount, CostLine, LinePricing, PrincipalCost, RequestSum, UNATTRIBUTED_PRINCIPAL,
};

/// Decimal places of the smallest unit shares are counted in.
pub const SHARE_SCALE: u32 = 15;

/// Shares of one (region, minute, model ID): `lines` and `calls` must all
/// belong to it (use [`attribute_window`] for anything wider). Unpriced lines
/// are ignored; zero shares are left out.
pub fn attribute_minute(lines: &[CostLine], calls: &[CallCount]) -> Vec<PrincipalCost> {
    let lines: Vec<&CostLine> = lines.iter().collect();
    let calls: Vec<&CallCount> = calls.iter().collect();
    minute_shares(&lines, &callers(&calls))
}

/// Shares of every (region, minute, model ID) that has cost lines. Calls of
/// minutes without cost give nothing (there is nothing to split).
pub fn attribute_window(
    lines: &[CostLine],
    calls: &[CallCount],
    logged: &[RequestSum],
) -> Vec<PrincipalCost> {
    type Key<'a> = (&'a str, DateTime<Utc>, &'a str);
    type Group<'a> = (Vec<&'a CostLine>, Vec<&'a CallCount>, Vec<&'a RequestSum>);
    let mut groups: BTreeMap<Key<'_>, Group<'_>> = BTreeMap::new();
    for l in lines {
        groups.entry((&l.region, l.minute, &l.model_id)).or_default().0.push(l);
    }
    for c in calls {
        if let Some(group) = groups.get_mut(&(c.region.as_str(), c.minute, c.model_id.as_str())) {
            group.1.push(c);
        }
    }
    for r in logged {
        if let Some(group) = groups.get_mut(&(r.region.as_str(), r.minute, r.model_id.as_str())) {
            group.2.push(r);
        }
    }
    groups
        .values()
        .flat_map(|(lines, calls, logged)| {
            let callers = if logged.is_empty() { callers(calls) } else { logged_callers(logged) };
            minute_shares(lines, &callers)
        })
        .collect()
}

/// What one principal did in the minute, successful calls only.
struct Caller {
    calls: u128,
    /// `Some` when every successful call reported the count.
    input: Option<u128>,
    output: Option<u128>,
    cache_read: Option<u128>,
    /// Both TTLs: CloudWatch's one cache-write line holds them all.
    cache_write: Option<u128>,
}

impl Caller {
    fn reported(&self, t: TokenType) -> Option<u128> {
        match t {
            TokenType::Input => self.input,
            TokenType::Output => self.output,
            TokenType::CacheRead => self.cache_read,
            TokenType::CacheWrite5m | TokenType::CacheWrite1h => self.cache_write,
        }
    }
}

/// Logged requests report every bucket of every request.
fn logged_callers<'a>(logged: &[&'a RequestSum]) -> BTreeMap<&'a str, Caller> {
    let mut out: BTreeMap<&str, Caller> = BTreeMap::new();
    for r in logged {
        let zero = Some(0);
        let e = out.entry(&r.principal).or_insert(Caller {
            calls: 0,
            input: zero,
            output: zero,
            cache_read: zero,
            cache_write: zero,
        });
        let t = &r.tokens;
        let add = |a: Option<u128>, b: u64| a.map(|a| a + u128::from(b));
        e.calls += u128::from(r.requests);
        e.input = add(e.input, t.input);
        e.output = add(e.output, t.output);
        e.cache_read = add(e.cache_read, t.cache_read);
        e.cache_write = add(e.cache_write, t.cache_write());
    }
    out
}

fn callers<'a>(calls: &[&'a CallCount]) -> BTreeMap<&'a str, Caller> {
    let mut out: BTreeMap<&str, Caller> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.error_code.is_none() && c.calls > 0) {
        let e = out.entry(&c.principal).or_insert(Caller {
            calls: 0,
            input: Some(0),
            output: Some(0),
            cache_read: None,
            cache_write: None,
        });
        e.calls += u128::from(c.calls);
        e.input = e.input.zip(c.input_tokens).map(|(a, b)| a + u128::from(b));
        e.output = e.output.zip(c.output_tokens).map(|(a, b)| a + u128::from(b));
    }
    out
}

type ShareKey<'a> = (&'a str, DateTime<Utc>, &'a str, &'a str, &'a str, Attribution);

fn minute_shares(lines: &[&CostLine], callers: &BTreeMap<&str, Caller>) -> Vec<PrincipalCost> {
    let mut acc: BTreeMap<ShareKey<'_>, Decimal> = BTreeMap::new();
    for line in lines {
        let LinePricing::Priced { model, usd, .. } = &line.pricing else { continue };
        for (principal, attribution, share) in split_line(*usd, line.token_type, line.tokens, callers) {
            let key = (
                line.region.as_str(),
                line.minute,
                line.model_id.as_str(),
                model.as_str(),
                principal,
                attribution,
            );
            let sum = acc.entry(key).or_insert(Decimal::ZERO);
            // Only a minute beyond Decimal's range could saturate (see the module docs).
            *sum = sum.checked_add(share).unwrap_or(Decimal::MAX);
        }
    }
    acc.into_iter()
        .filter(|(_, usd)| !usd.is_zero())
        .map(|((region, minute, model_id, model, principal, attribution), usd)| PrincipalCost {
            region: region.to_string(),
            minute,
            model_id: model_id.to_string(),
            model: model.to_string(),
            principal: principal.to_string(),
            attribution,
            usd: usd.normalize(),
        })
        .collect()
}

/// Stage-1 recipients: principals, then "the rest" (sorting after them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot<'a> {
    Principal(&'a str),
    Rest,
}

/// One line's shares; the whole line is unattributed when it cannot be split.
fn split_line<'a>(
    usd: Decimal,
    token_type: TokenType,
    tokens: u64,
    callers: &BTreeMap<&'a str, Caller>,
) -> Vec<(&'a str, Attribution, Decimal)> {
    let whole = vec![(UNATTRIBUTED_PRINCIPAL, Attribution::Unattributed, usd)];
    let Some((units, scale)) = split::to_units(usd, SHARE_SCALE).filter(|_| !callers.is_empty()) else {
        return whole;
    };
    let unit_shares = split_units(units, token_type, tokens, callers);
    let shares: Option<Vec<_>> =
        unit_shares.into_iter().map(|(p, a, u)| split::from_units(u, scale).map(|d| (p, a, d))).collect();
    shares.unwrap_or(whole)
}

fn split_units<'a>(
    units: u128,
    token_type: TokenType,
    tokens: u64,
    callers: &BTreeMap<&'a str, Caller>,
) -> Vec<(&'a str, Attribution, u128)> {
    let exact: Vec<(Slot<'a>, u128)> =
        callers.iter().filter_map(|(p, c)| c.reported(token_type).map(|t| (Slot::Principal(p), t))).collect();
    let reported: u128 = exact.iter().map(|(_, t)| t).sum();
    let denominator = reported.max(u128::from(tokens));
    let mut out = Vec::new();
    let mut rest = units;
    if !exact.is_empty() && denominator > 0 {
        let mut weights = exact;
        weights.push((Slot::Rest, denominator - reported));
        for (slot, u) in split::split(units, &weights).unwrap_or_default() {
            match slot {
                Slot::Principal(p) => out.push((p, Attribution::Exact, u)),
                Slot::Rest => rest = u,
            }
        }
    }
    if rest == 0 {
        return out;
    }
    let estimated: Vec<(&str, u128)> = callers
        .iter()
        .filter(|(_, c)| c.reported(token_type).is_none())
        .map(|(p, c)| (*p, c.calls))
        .collect();
    match split::split(rest, &estimated) {
        Some(parts) => out.extend(parts.into_iter().map(|(p, u)| (p, Attribution::Estimated, u))),
        None => out.push((UNATTRIBUTED_PRINCIPAL, Attribution::Unattributed, rest)),
    }
    out
}

#[cfg(test)]
mod logged_tests;
#[cfg(test)]
mod tests;
