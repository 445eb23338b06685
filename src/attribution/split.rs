//! Exact proportional splitting of an amount in whole smallest units: floors
//! first, then the leftover units by largest remainder. Integer arithmetic
//! only (a 256-bit product where 128 bits do not suffice), so the parts
//! always add up to the whole.
//!
//! Must not know about principals, lines or attribution kinds.

use rust_decimal::Decimal;

/// The largest mantissa a `Decimal` holds (2^96 − 1).
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// A non-negative amount as a whole number of `10^-scale` units. The scale is
/// `min_scale` or the amount's own, whichever is finer, lowered only as far as
/// needed for the units to fit a `Decimal` again. `None` for negative amounts.
pub fn to_units(amount: Decimal, min_scale: u32) -> Option<(u128, u32)> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return None;
    }
    let (mantissa, own) = (amount.mantissa().unsigned_abs(), amount.scale());
    let mut scale = min_scale.clamp(own, Decimal::MAX_SCALE);
    loop {
        let units = 10u128.checked_pow(scale - own).and_then(|p| mantissa.checked_mul(p));
        match units {
            Some(u) if u <= MAX_MANTISSA => return Some((u, scale)),
            // At the amount's own scale the units are its mantissa, which fits.
            _ if scale > own => scale -= 1,
            _ => return None,
        }
    }
}

/// `units × 10^-scale`; `None` only outside `Decimal`'s range.
pub fn from_units(units: u128, scale: u32) -> Option<Decimal> {
    let units = i128::try_from(units).ok()?;
    Decimal::try_from_i128_with_scale(units, scale).ok()
}

/// Splits `total` units in proportion to the weights. Each key gets
/// `floor(total × w / Σw)`; the units left over (fewer than the number of
/// keys) go one each to the largest remainders, the smaller key first on a
/// tie. `None` when the weights sum to zero. Keys are expected to be distinct.
pub fn split<K: Ord + Clone>(total: u128, weights: &[(K, u128)]) -> Option<Vec<(K, u128)>> {
    // Sums of u64 token and call counts: overflowing u128 would take 2^64 keys.
    let sum = weights.iter().try_fold(0u128, |acc, (_, w)| acc.checked_add(*w))?;
    if sum == 0 {
        return None;
    }
    let mut parts: Vec<(K, u128, u128)> = weights
        .iter()
        .map(|(k, w)| {
            let (q, r) = mul_div_rem(total, *w, sum);
            (k.clone(), q, r)
        })
        .collect();
    let given: u128 = parts.iter().map(|(_, q, _)| q).sum();
    let mut left = total - given;
    let mut order: Vec<usize> = (0..parts.len()).filter(|&i| weights[i].1 > 0).collect();
    order.sort_by(|&a, &b| parts[b].2.cmp(&parts[a].2).then_with(|| parts[a].0.cmp(&parts[b].0)));
    // Exact arithmetic leaves fewer units than recipients; cycling anyway
    // keeps the sum exact even if that reasoning were ever wrong.
    while left > 0 {
        for &i in &order {
            if left == 0 {
                break;
            }
            parts[i].1 += 1;
            left -= 1;
        }
    }
    Some(parts.into_iter().map(|(k, q, _)| (k, q)).collect())
}

/// `(floor(a × b / c), a × b mod c)` for `b <= c`, `c > 0`, without overflow.
pub fn mul_div_rem(a: u128, b: u128, c: u128) -> (u128, u128) {
    if let Some(p) = a.checked_mul(b) {
        return (p / c, p % c);
    }
    let (hi, lo) = wide_mul(a, b);
    // b <= c makes a × b < 2^128 × c, so hi < c and the quotient fits 128 bits.
    // Long division, one bit of `lo` at a time.
    let (mut q, mut rem) = (0u128, hi);
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        q <<= 1;
        // With the carry, the true remainder is 2^128 + rem, which exceeds c.
        if carry == 1 || rem >= c {
            rem = rem.wrapping_sub(c);
            q |= 1;
        }
    }
    (q, rem)
}

/// The 256-bit product as (high, low) 128-bit halves.
fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0, b1, b0) = (a >> 64, a & MASK, b >> 64, b & MASK);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn units_at_the_share_scale_or_finer() {
        assert_eq!(to_units(d("0.0000375"), 15), Some((37_500_000_000, 15)));
        assert_eq!(to_units(d("1.5"), 15), Some((1_500_000_000_000_000, 15)));
        assert_eq!(to_units(d("0.1234567890123456789"), 15), Some((1_234_567_890_123_456_789, 19)));
        assert_eq!(to_units(Decimal::ZERO, 15), Some((0, 15)));
        assert_eq!(to_units(d("-1"), 15), None);
        // Too large for 15 places: the scale drops just enough.
        let (u, s) = to_units(d("79228162514264"), 15).unwrap();
        assert_eq!((u, s), (79_228_162_514_264_000_000_000_000_000, 15));
        let (u, s) = to_units(d("79228162514265"), 15).unwrap();
        assert_eq!((u, s), (7_922_816_251_426_500_000_000_000_000, 14));
        assert_eq!(to_units(Decimal::MAX, 15), Some((MAX_MANTISSA, 0)));
        assert_eq!(from_units(37_500_000_000, 15), Some(d("0.0000375")));
    }

    #[test]
    fn leftovers_go_to_the_largest_remainders_then_the_smaller_key() {
        // 10 units in thirds: 3 each, one left, tie broken by key.
        assert_eq!(split(10, &[("b", 1), ("a", 1), ("c", 1)]).unwrap(), vec![("b", 3), ("a", 4), ("c", 3)]);
        // 10 × 2/7 = 2.857, 10 × 5/7 = 7.142: the larger remainder wins.
        assert_eq!(split(10, &[("x", 2), ("y", 5)]).unwrap(), vec![("x", 3), ("y", 7)]);
        assert_eq!(split(7, &[("zero", 0), ("all", 4)]).unwrap(), vec![("zero", 0), ("all", 7)]);
        assert_eq!(split(7, &[("a", 0)]), None);
        assert_eq!(split::<&str>(7, &[]), None);
    }

    #[test]
    fn wide_products_divide_exactly() {
        let max = u128::MAX;
        assert_eq!(mul_div_rem(max, 3, 3), (max, 0));
        assert_eq!(mul_div_rem(max, 2, 4), ((1 << 127) - 1, 2));
        assert_eq!(mul_div_rem(max, max - 1, max), (max - 1, 0));
        assert_eq!(mul_div_rem(1 << 100, 1 << 90, 1 << 91), (1 << 99, 0));
    }

    proptest! {
        #[test]
        fn mul_div_is_exact(a: u128, b: u128, c in 1u128..) {
            let b = if c == u128::MAX { b } else { b % (c + 1) };
            let (q, r) = mul_div_rem(a, b, c);
            prop_assert!(r < c);
            // q × c + r == a × b, compared as 256-bit numbers.
            let (qh, ql) = wide_mul(q, c);
            let (lo, carry) = ql.overflowing_add(r);
            prop_assert_eq!((qh + u128::from(carry), lo), wide_mul(a, b));
        }

        #[test]
        fn split_parts_sum_to_the_whole(total in 0u128..=MAX_MANTISSA, ws in prop::collection::vec(0u128..=u128::from(u64::MAX), 1..8)) {
            let weights: Vec<(usize, u128)> = ws.into_iter().enumerate().collect();
            if let Some(parts) = split(total, &weights) {
                prop_assert_eq!(parts.iter().map(|(_, u)| u).sum::<u128>(), total);
                for ((_, w), (_, u)) in weights.iter().zip(&parts) {
                    if *w == 0 { prop_assert_eq!(*u, 0); }
                }
            }
        }
    }
}
