//! Just enough PromQL and Grafana syntax for the dashboard test: the metric
//! selectors inside an expression, and Grafana's `$variables` replaced by
//! values Prometheus can evaluate.
//!
//! Not a parser: a scanner over the expression text that knows strings,
//! range brackets, label lists after `by`/`without`/`on`/`ignoring`/
//! `group_left`/`group_right`, functions and aggregations (an identifier
//! followed by `(`, or an aggregation name followed by `by`/`without`), and
//! numbers and durations.

use std::collections::BTreeMap;

/// Aggregation operators: may be followed by `by (...)`/`without (...)` before `(`.
const AGGREGATIONS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];
/// Keywords followed by a parenthesised label list (optional for group_*).
const LABEL_LIST_KEYWORDS: &[&str] = &["by", "without", "on", "ignoring", "group_left", "group_right"];
/// Other keywords and literals that are not selectors.
const KEYWORDS: &[&str] = &["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end"];

/// Every vector selector in `expr` as written (`name{matchers}`, `name`, or
/// `{matchers}`), without range or offset, in order of appearance.
pub fn selectors(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(&chars, i);
        } else if c == '[' {
            i = skip_until(&chars, i, ']');
        } else if c == '{' {
            let end = skip_until(&chars, i, '}');
            out.push(chars[i..end].iter().collect());
            i = end;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // Numbers and durations: 0.8, 1e3, 1h30m, 0x1f.
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = next_non_space(&chars, i);
            if LABEL_LIST_KEYWORDS.contains(&word.as_str()) {
                if chars.get(next) == Some(&'(') {
                    i = skip_until(&chars, next, ')');
                }
            } else if KEYWORDS.contains(&word.as_str())
                || AGGREGATIONS.contains(&word.as_str())
                || chars.get(next) == Some(&'(')
            {
                // A keyword, an aggregation or a function call: not a selector.
            } else if chars.get(next) == Some(&'{') {
                let end = skip_until(&chars, next, '}');
                out.push(format!("{word}{}", chars[next..end].iter().collect::<String>()));
                i = end;
            } else {
                out.push(word);
            }
        } else {
            i += 1;
        }
    }
    out
}

fn next_non_space(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// The index after the string literal that starts at `start`.
fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if quote != '`' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The index after the `close` that matches the opening bracket at `start`
/// (nesting the same bracket, skipping strings).
fn skip_until(chars: &[char], start: usize, close: char) -> usize {
    let open = chars[start];
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '"' | '\'' | '`' => {
                i = skip_string(chars, i);
                continue;
            }
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// `expr` with every Grafana variable (`$name`, `${name}`, `${name:format}`)
/// replaced from `values`; the names of variables it does not know.
pub fn substitute(expr: &str, values: &BTreeMap<&str, &str>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(expr.len());
    let mut unknown = Vec::new();
    let mut rest = expr;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (braced[..end].split(':').next().unwrap_or(""), end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        match values.get(name) {
            Some(value) if !name.is_empty() => out.push_str(value),
            _ => {
                unknown.push(name.to_string());
                out.push('$');
                out.push_str(&after[..consumed]);
            }
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    (out, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_skip_functions_aggregations_label_lists_ranges_and_offsets() {
        let expr = r#"sum by (api, region, outcome) (increase(bedrock_monitor_aws_requests_total{outcome!="success"}[30m])) >= 3
            / ignoring (outcome) group_left sum by (api, region) (increase(bedrock_monitor_aws_requests_total[30m])) > 0.1
            and sum(max without (instance) (bedrock_cost_usd_total offset 1d)) >= 0
            or absent(up{job="bedrock-cost-monitor"} == 1)
            or histogram_quantile(0.95, sum by (le) (rate(x_bucket{a="}[1m]"}[5m:1m])))
            or time() - max(last_success) > 1e3"#;
        assert_eq!(
            selectors(expr),
            [
                r#"bedrock_monitor_aws_requests_total{outcome!="success"}"#,
                "bedrock_monitor_aws_requests_total",
                "bedrock_cost_usd_total",
                r#"up{job="bedrock-cost-monitor"}"#,
                r#"x_bucket{a="}[1m]"}"#,
                "last_success",
            ]
        );
    }

    #[test]
    fn grafana_variables_are_replaced_and_unknown_ones_reported() {
        let values = BTreeMap::from([("region", ".*"), ("__interval", "1m"), ("__rate_interval", "1m")]);
        let (expr, unknown) = substitute(
            r#"rate(x{region=~"$region", m=~"${model:regex}"}[$__rate_interval]) + y[$__interval]"#,
            &values,
        );
        assert_eq!(expr, r#"rate(x{region=~".*", m=~"${model:regex}"}[1m]) + y[1m]"#);
        assert_eq!(unknown, ["model"]);
    }
}
