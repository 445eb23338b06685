//! Attribute values in and out of items: typed getters that name what was
//! missing or malformed (`Corrupt`, never a panic), the constructors the
//! store uses, and DynamoDB's item-size rules, which decide both the 400 KB
//! limit and what a request costs.
//!
//! Must not decide what an item means; the files of each item type do.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::Key;
use super::numbers;
use crate::ledger::encoding::corrupt;
use crate::ledger::StoreError;

pub(super) type Item = HashMap<String, AttributeValue>;

/// The key attributes, the version every optimistic write checks, and the
/// TTL attribute (epoch seconds) named by the table's TTL setting.
pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";
pub(super) const VERSION: &str = "v";
pub(super) const EXPIRES_AT: &str = "expires_at";

/// DynamoDB refuses items above 400 KB.
pub(super) const MAX_ITEM_BYTES: usize = 400 * 1024;

pub(super) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub(super) fn n(text: String) -> AttributeValue {
    AttributeValue::N(text)
}

pub(super) fn key_item(key: &Key) -> Item {
    HashMap::from([(PK.to_string(), s(key.pk.clone())), (SK.to_string(), s(key.sk.clone()))])
}

pub(super) fn key_of(item: &Item) -> Result<Key, StoreError> {
    Ok(Key::new(get_s(item, PK, "item key")?, get_s(item, SK, "item key")?))
}

pub(super) fn get<'a>(
    item: &'a HashMap<String, AttributeValue>,
    name: &str,
    what: &'static str,
) -> Result<&'a AttributeValue, StoreError> {
    item.get(name).ok_or_else(|| corrupt(what, format!("attribute `{name}` is missing")))
}

fn wrong(what: &'static str, name: &str, want: &str) -> StoreError {
    corrupt(what, format!("attribute `{name}` is not {want}"))
}

pub(super) fn get_s<'a>(
    item: &'a HashMap<String, AttributeValue>,
    name: &str,
    what: &'static str,
) -> Result<&'a str, StoreError> {
    get(item, name, what)?.as_s().map(String::as_str).map_err(|_| wrong(what, name, "a string"))
}

pub(super) fn opt_s<'a>(
    item: &'a HashMap<String, AttributeValue>,
    name: &str,
    what: &'static str,
) -> Result<Option<&'a str>, StoreError> {
    item.get(name).map(|_| get_s(item, name, what)).transpose()
}

/// The text of a number attribute, to be parsed by `numbers`.
pub(super) fn get_n<'a>(
    item: &'a HashMap<String, AttributeValue>,
    name: &str,
    what: &'static str,
) -> Result<&'a str, StoreError> {
    get(item, name, what)?.as_n().map(String::as_str).map_err(|_| wrong(what, name, "a number"))
}

pub(super) fn opt_n<'a>(
    item: &'a HashMap<String, AttributeValue>,
    name: &str,
    what: &'static str,
) -> Result<Option<&'a str>, StoreError> {
    item.get(name).map(|_| get_n(item, name, what)).transpose()
}

pub(super) fn get_m<'a>(
    item: &'a HashMap<String, AttributeValue>,
    name: &str,
    what: &'static str,
) -> Result<&'a HashMap<String, AttributeValue>, StoreError> {
    get(item, name, what)?.as_m().map_err(|_| wrong(what, name, "a map"))
}

pub(super) fn as_m<'a>(
    value: &'a AttributeValue,
    name: &str,
    what: &'static str,
) -> Result<&'a HashMap<String, AttributeValue>, StoreError> {
    value.as_m().map_err(|_| wrong(what, name, "a map"))
}

/// The version an item was read at (items are written with `v` >= 1).
pub(super) fn version(item: &Item) -> Result<u64, StoreError> {
    numbers::to_u64("item version", get_n(item, VERSION, "item version")?)
}

/// The size DynamoDB bills and limits: attribute names plus values, where a
/// number takes about one byte per two significant digits plus one, and a
/// map or list three bytes plus one per element.
pub(super) fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(text) => number_size(text),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|t| number_size(t)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        _ => 1,
    }
}

fn number_size(text: &str) -> usize {
    let digits = text.split(['e', 'E']).next().unwrap_or_default();
    let significant = digits.trim_start_matches(['-', '+', '0', '.']).replace('.', "");
    significant.trim_end_matches('0').len().div_ceil(2) + 1
}

/// Refuses an item DynamoDB would refuse for its size, naming it.
pub(super) fn check_size(item: &Item) -> Result<usize, StoreError> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        let key = key_of(item).map(|k| format!("{} / {}", k.pk, k.sk)).unwrap_or_default();
        return Err(StoreError::Backend(format!(
            "item {key} would be {size} bytes, over DynamoDB's 400 KB item limit"
        )));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sizes_follow_dynamodb_rules() {
        // Names and strings are bytes; numbers one byte per two significant digits plus one.
        let item: Item = HashMap::from([("pk".into(), s("ab")), ("v".into(), n("12345".into()))]);
        assert_eq!(item_size(&item), 2 + 2 + 1 + 4);
        assert_eq!(number_size("0.00120"), 2);
        assert_eq!(number_size("-1.5E10"), 2);
        assert_eq!(number_size("0"), 1);
        // A map: 3 bytes, plus per entry 1 byte, the key and the value.
        let map = AttributeValue::M(HashMap::from([("k".into(), s("xyz"))]));
        assert_eq!(value_size(&map), 3 + 1 + 1 + 3);
    }

    #[test]
    fn oversized_items_are_refused_by_name() {
        let mut item = key_item(&Key::new("L#r#h", "05#m"));
        item.insert("x".into(), s("a".repeat(MAX_ITEM_BYTES)));
        let err = check_size(&item).unwrap_err().to_string();
        assert!(err.contains("L#r#h / 05#m") && err.contains("400 KB"), "{err}");
    }

    #[test]
    fn getters_name_what_is_wrong() {
        let item: Item = HashMap::from([("a".into(), s("x")), ("b".into(), n("1".into()))]);
        assert_eq!(get_s(&item, "a", "thing").unwrap(), "x");
        assert_eq!(get_n(&item, "b", "thing").unwrap(), "1");
        assert!(opt_s(&item, "c", "thing").unwrap().is_none());
        let err = get_n(&item, "a", "thing").unwrap_err().to_string();
        assert!(err.contains("`a` is not a number"), "{err}");
        assert!(matches!(get_m(&item, "z", "thing"), Err(StoreError::Corrupt { .. })));
    }
}
