//! The checks: every dashboard panel's and template variable's query, and
//! every alert rule, evaluated against the running Prometheus; each query
//! that returns no series is a finding that fails the test.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::GRAFANA_VALUES;
use crate::helpers;
use crate::helpers::prometheus::promql::{selectors, substitute};
use crate::helpers::prometheus::{wait_for, Prometheus};

/// Every panel with a query, depth first (rows may nest panels).
fn panels(list: &Value, out: &mut Vec<Value>) {
    for panel in list.as_array().into_iter().flatten() {
        if panel.get("targets").is_some() {
            out.push(panel.clone());
        }
        panels(&panel["panels"], out);
    }
}

/// What the checks found: every failure fails the test.
#[derive(Default)]
pub struct Findings {
    pub failures: Vec<String>,
    pub passed: usize,
}

impl Findings {
    /// Records one check whose query `expr` returned `count` series.
    fn record(&mut self, what: String, expr: &str, count: Result<usize, String>) {
        match count {
            Ok(n) if n > 0 => self.passed += 1,
            Ok(_) => self.failures.push(format!("{what}: no data for `{expr}`")),
            Err(e) => self.failures.push(format!("{what}: `{expr}` is refused: {e}")),
        }
    }
}

pub async fn check_dashboards(prom: &Prometheus, findings: &mut Findings) {
    let values: BTreeMap<&str, &str> = GRAFANA_VALUES.iter().copied().collect();
    let dir = helpers::repo_root().join("dashboards");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no dashboard JSON in {}", dir.display());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: invalid JSON: {e}"));
        if dashboard["schemaVersion"].as_u64().unwrap_or(0) < 36 {
            findings.failures.push(format!("{name}: schemaVersion below 36"));
        }
        for variable in dashboard["templating"]["list"].as_array().into_iter().flatten() {
            check_variable(prom, &name, variable, &values, findings).await;
        }
        let mut list = Vec::new();
        panels(&dashboard["panels"], &mut list);
        for panel in &list {
            let title = panel["title"].as_str().unwrap_or("(untitled)");
            if panel["datasource"]["uid"] != "${datasource}" {
                findings
                    .failures
                    .push(format!("{name}: panel {title:?} does not use the ${{datasource}} variable"));
            }
            for target in panel["targets"].as_array().into_iter().flatten() {
                let Some(expr) = target["expr"].as_str() else { continue };
                let what =
                    format!("{name}: panel {title:?} target {}", target["refId"].as_str().unwrap_or("?"));
                if target["datasource"]["uid"] != "${datasource}" {
                    findings.failures.push(format!("{what} does not use the ${{datasource}} variable"));
                }
                let (query, unknown) = substitute(expr, &values);
                if !unknown.is_empty() {
                    findings
                        .failures
                        .push(format!("{what}: unknown Grafana variables {unknown:?} in `{expr}`"));
                    continue;
                }
                findings.record(what, &query, prom.count(&query).await);
            }
        }
    }
}

/// A query variable's `label_values(selector, label)` must have values.
async fn check_variable(
    prom: &Prometheus,
    dashboard: &str,
    variable: &Value,
    values: &BTreeMap<&str, &str>,
    findings: &mut Findings,
) {
    if variable["type"] != "query" {
        return;
    }
    let name = variable["name"].as_str().unwrap_or("?");
    let definition = variable["query"]["query"].as_str().or(variable["definition"].as_str()).unwrap_or("");
    let what = format!("{dashboard}: variable ${name}");
    if variable["datasource"]["uid"] != "${datasource}" {
        findings.failures.push(format!("{what} does not use the ${{datasource}} variable"));
    }
    let Some(args) = definition.strip_prefix("label_values(").and_then(|a| a.strip_suffix(')')) else {
        findings.failures.push(format!("{what}: expected label_values(selector, label), got `{definition}`"));
        return;
    };
    let Some((selector, label)) = args.rsplit_once(',') else {
        findings.failures.push(format!("{what}: label_values needs a selector and a label: `{definition}`"));
        return;
    };
    let (selector, _) = substitute(selector.trim(), values);
    let found = prom.label_values(&selector, label.trim()).await.map(|v| v.len());
    findings.record(what, &selector, found);
}

pub async fn check_rules(prom: &Prometheus, findings: &mut Findings) {
    let text = std::fs::read_to_string(helpers::repo_root().join("deploy/prometheus/rules.yml")).unwrap();
    let mut defined: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- alert:").map(|n| n.trim().to_string()))
        .collect();
    defined.sort();
    // Every rule evaluated at least once (the evaluation interval is 1 s).
    let rules = wait_for("every rule to be evaluated", Duration::from_secs(20), || async move {
        let rules = prom.rules().await.ok()?;
        let evaluated = !rules.is_empty() && rules.iter().all(|(_, r)| r["health"] != "unknown");
        evaluated.then_some(rules)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", prom.log_tail()));
    let mut loaded: Vec<String> =
        rules.iter().filter_map(|(_, r)| r["name"].as_str().map(str::to_string)).collect();
    loaded.sort();
    assert_eq!(loaded, defined, "rules.yml: the alerts Prometheus loaded differ from those in the file");
    for (group, rule) in &rules {
        let name = rule["name"].as_str().unwrap_or("?");
        if rule["health"] != "ok" {
            findings.failures.push(format!(
                "rule {group}/{name}: health {} ({})",
                rule["health"],
                rule["lastError"].as_str().unwrap_or("")
            ));
        }
        let query = rule["query"].as_str().unwrap_or("");
        let mut found = selectors(query);
        found.dedup();
        found.sort();
        found.dedup();
        if found.is_empty() {
            findings.failures.push(format!("rule {group}/{name}: no metric selector found in `{query}`"));
        }
        for selector in found {
            let count = prom.count(&selector).await;
            findings.record(format!("rule {group}/{name}: selector"), &selector, count);
        }
    }
}
