//! The price-table file format (TOML) and its validation.
//!
//! Parsing text is pure: the caller reads the file. Every refusal is a
//! `Finding` at a field path, so the loader can report `file:line: field: reason`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::catalog::{Catalog, ModelDef};
use super::scope::{is_govcloud_region, Scope};
use super::table::{LongContext, PriceEntry, PriceTable, Prices};
use super::tier::ServiceTier;
use super::token::TokenType;
use crate::diag::{Diagnostics, FieldPath, Finding, TomlDoc};
use crate::money::parse_toml_decimal;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    model: Vec<RawModel>,
    #[serde(default)]
    price: Vec<RawPrice>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    batch_discount: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    key: String,
    name: String,
    #[serde(rename = "match")]
    patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    model: String,
    /// A service tier (`priority`, `flex`, …); absent for the standard tier.
    tier: Option<String>,
    scope: Scope,
    region: Option<String>,
    from: toml::value::Datetime,
    until: Option<toml::value::Datetime>,
    source: String,
    checked: toml::value::Datetime,
    usd_per_million: BTreeMap<String, toml::Value>,
    long_context: Option<RawLongContext>,
    batch_discount: Option<toml::Value>,
    /// Why this entry's cache prices break the usual ratios (silences the warning).
    cache_ratio_note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLongContext {
    above_prompt_tokens: u64,
    usd_per_million: BTreeMap<String, toml::Value>,
}

/// A loaded table and the warnings it raised.
pub struct Loaded {
    pub table: PriceTable,
    pub warnings: Diagnostics,
}

/// Parses and validates a price table; on any error returns every finding.
pub fn load(doc: &TomlDoc) -> Result<Loaded, Diagnostics> {
    let raw: RawTable = doc.deserialize().map_err(|d| Diagnostics(vec![d]))?;
    let mut findings = Vec::new();
    let table = build(&raw, &mut findings);
    let diags = doc.locate_all(&findings);
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Loaded { table, warnings: diags })
}

fn build(raw: &RawTable, findings: &mut Vec<Finding>) -> PriceTable {
    let root = FieldPath::root();
    let default_discount = match &raw.defaults.batch_discount {
        Some(v) => discount(v, &root.key("defaults").key("batch_discount"), findings),
        None => Decimal::new(5, 1),
    };
    let models = build_models(&raw.model, findings);
    let catalog = Catalog::new(models);
    let mut entries = Vec::new();
    for (i, p) in raw.price.iter().enumerate() {
        let path = root.key("price").index(i);
        if let Some(e) = build_entry(p, &path, default_discount, &catalog, findings) {
            entries.push((i, e));
        }
    }
    super::file_checks::check_overlaps(&entries, findings);
    super::file_checks::check_coverage(&catalog, &entries, findings);
    PriceTable::new(catalog, entries.into_iter().map(|(_, e)| e).collect())
}

fn build_models(raw: &[RawModel], findings: &mut Vec<Finding>) -> Vec<ModelDef> {
    let mut seen_keys: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen_patterns: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in raw.iter().enumerate() {
        let path = FieldPath::root().key("model").index(i);
        if m.key.trim().is_empty() {
            findings.push(Finding::error(path.key("key"), "must not be empty"));
        }
        if let Some(first) = seen_keys.insert(&m.key, i) {
            findings.push(Finding::error(
                path.key("key"),
                format!("duplicate model `{}` (first defined at model[{first}])", m.key),
            ));
        }
        if m.patterns.is_empty() {
            findings.push(Finding::error(path.key("match"), "needs at least one ID pattern"));
        }
        for (j, p) in m.patterns.iter().enumerate() {
            if p.trim().is_empty() || p.chars().all(|c| c == '*') {
                findings.push(Finding::error(path.key("match").index(j), "pattern matches every ID"));
            }
            if let Some(first) = seen_patterns.insert(p, i) {
                findings.push(Finding::error(
                    path.key("match").index(j),
                    format!("pattern `{p}` is already used by model[{first}]"),
                ));
            }
        }
    }
    raw.iter()
        .map(|m| ModelDef { key: m.key.clone(), name: m.name.clone(), patterns: m.patterns.clone() })
        .collect()
}

fn build_entry(
    p: &RawPrice,
    path: &FieldPath,
    default_discount: Decimal,
    catalog: &Catalog,
    findings: &mut Vec<Finding>,
) -> Option<PriceEntry> {
    let before = findings.len();
    if catalog.get(&p.model).is_none() {
        findings.push(Finding::error(
            path.key("model"),
            format!("unknown model `{}` (define it in a [[model]] table)", p.model),
        ));
    }
    check_region(p, path, findings);
    let tier = match p.tier.as_deref().map(ServiceTier::parse) {
        None => ServiceTier::Standard,
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            findings.push(Finding::error(path.key("tier"), e));
            ServiceTier::Standard
        }
    };
    let from = instant(&p.from, &path.key("from"), findings);
    let until = p.until.as_ref().and_then(|u| instant(u, &path.key("until"), findings));
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            findings.push(Finding::error(path.key("until"), "must be after `from`"));
        }
    }
    let checked = date(&p.checked, &path.key("checked"), findings);
    if !p.source.starts_with("https://") {
        findings.push(Finding::error(path.key("source"), "must be an https:// URL of the published price"));
    }
    let prices = prices_of(&p.usd_per_million, &path.key("usd_per_million"), findings);
    let long_context = p.long_context.as_ref().map(|lc| {
        let lc_path = path.key("long_context");
        if lc.above_prompt_tokens == 0 {
            findings.push(Finding::error(lc_path.key("above_prompt_tokens"), "must be greater than 0"));
        }
        LongContext {
            above_prompt_tokens: lc.above_prompt_tokens,
            prices: prices_of(&lc.usd_per_million, &lc_path.key("usd_per_million"), findings),
        }
    });
    super::file_checks::check_cache_ratios(
        &prices,
        long_context.as_ref(),
        p.cache_ratio_note.as_deref(),
        path,
        findings,
    );
    let batch_discount = match &p.batch_discount {
        Some(v) => discount(v, &path.key("batch_discount"), findings),
        None => default_discount,
    };
    let (from, checked) = (from?, checked?);
    if findings[before..].iter().any(|f| f.severity == crate::diag::Severity::Error) {
        return None;
    }
    Some(PriceEntry {
        id: PriceEntry::make_id(&p.model, p.scope, &tier, p.region.as_deref(), from),
        model: p.model.clone(),
        tier,
        scope: p.scope,
        region: p.region.clone(),
        from,
        until,
        source: p.source.clone(),
        checked,
        prices,
        long_context,
        batch_discount,
    })
}

/// A region override must be one the scope can reach: GovCloud regions only
/// under `govcloud`, and nothing under `global`.
fn check_region(p: &RawPrice, path: &FieldPath, findings: &mut Vec<Finding>) {
    let Some(r) = &p.region else { return };
    let field = path.key("region");
    if !crate::names::is_region(r) {
        findings.push(Finding::error(field.clone(), format!("`{r}` is not an AWS region name")));
    }
    match p.scope {
        Scope::Global => findings.push(Finding::error(
            field,
            "a `global` entry cannot be limited to a region: global profiles route anywhere",
        )),
        Scope::GovCloud if !is_govcloud_region(r) => findings.push(Finding::error(
            field,
            format!(
                "`{r}` is not a GovCloud region: a `govcloud` entry can only be limited to a us-gov-* region"
            ),
        )),
        Scope::All | Scope::Regional if is_govcloud_region(r) => findings.push(Finding::error(
            field,
            format!("`{r}` is a GovCloud region: its calls are priced only by scope = \"govcloud\" entries"),
        )),
        _ => {}
    }
}

fn prices_of(raw: &BTreeMap<String, toml::Value>, path: &FieldPath, findings: &mut Vec<Finding>) -> Prices {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let field = path.key(name.clone());
        let token_type = match name.parse::<TokenType>() {
            Ok(t) => t,
            Err(e) => {
                findings.push(Finding::error(field, e.to_string()));
                continue;
            }
        };
        match parse_toml_decimal(value) {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => {
                findings.push(Finding::error(field, format!("price {d} is negative")))
            }
            Ok(d) => {
                out.insert(token_type, d);
            }
            Err(e) => findings.push(Finding::error(field, e)),
        }
    }
    for t in TokenType::ALL {
        if !raw.contains_key(t.as_str()) {
            findings
                .push(Finding::error(path.key(t.as_str()), format!("missing price for token type `{t}`")));
        }
    }
    Prices(out)
}

fn discount(v: &toml::Value, path: &FieldPath, findings: &mut Vec<Finding>) -> Decimal {
    match parse_toml_decimal(v) {
        Ok(d) if d >= Decimal::ZERO && d < Decimal::ONE => d,
        Ok(d) => {
            findings.push(Finding::error(path.clone(), format!("{d} is not a fraction in [0, 1)")));
            Decimal::ZERO
        }
        Err(e) => {
            findings.push(Finding::error(path.clone(), e));
            Decimal::ZERO
        }
    }
}

/// A TOML date (midnight UTC) or offset date-time; a local time is ambiguous.
pub(crate) fn instant(
    v: &toml::value::Datetime,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) -> Option<DateTime<Utc>> {
    let parsed = match (v.date, v.time, v.offset) {
        (Some(_), None, None) => DateTime::parse_from_rfc3339(&format!("{v}T00:00:00Z")).ok(),
        (Some(_), Some(_), Some(_)) => DateTime::parse_from_rfc3339(&v.to_string()).ok(),
        _ => None,
    };
    if parsed.is_none() {
        findings.push(Finding::error(
            path.clone(),
            format!("`{v}` must be a date (2025-09-29) or a date-time with offset (2025-09-29T00:00:00Z)"),
        ));
    }
    parsed.map(|d| d.with_timezone(&Utc))
}

fn date(v: &toml::value::Datetime, path: &FieldPath, findings: &mut Vec<Finding>) -> Option<NaiveDate> {
    match (v.date, v.time) {
        (Some(d), None) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)),
        _ => None,
    }
    .or_else(|| {
        findings.push(Finding::error(path.clone(), format!("`{v}` must be a date such as 2026-11-01")));
        None
    })
}
