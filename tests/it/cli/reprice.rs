//! `reprice` as users call it, on a ledger priced with one table and a
//! config naming the corrected one: the window it prints, the dry run in
//! JSON, the apply in CSV, `--history`, and arguments refused with the
//! argument they are about.

use bedrock_cost_monitor::clock::{Clock, SystemClock};
use serde_json::Value;

use super::{run, stderr, stdout};
use crate::reprice::{fixture, Fixture};

fn seeded() -> (Fixture, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let f = rt.block_on(fixture(&["2026-03-01", "2026-03-02", "2026-03-03"], "", SystemClock.now()));
    let config = f.b.path.to_str().unwrap().to_string();
    (f, config)
}

fn reprice(config: &str, more: &[&str]) -> std::process::Output {
    let mut args = vec!["reprice", "--config", config, "--from", "2026-03-01", "--to", "2026-03-03"];
    args.extend_from_slice(more);
    run(&args)
}

#[test]
fn dry_run_then_apply_then_history() {
    let (_f, config) = seeded();
    let o = reprice(&config, &["--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "re-price (dry run, nothing written) of UTC days 2026-03-01 through 2026-03-03 (--to included): \
             [2026-03-01T00:00:00Z, 2026-03-04T00:00:00Z)"
        ),
        "{out}"
    );
    assert!(out.contains("1800000 tokens that had no price are priced now"), "{out}");
    assert!(out.contains("not recorded (no leader"), "{out}");

    let o = reprice(&config, &["--dry-run", "--format", "json"]);
    let dry: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["total"]["changed"], 27);
    assert_eq!(
        (dry["total"]["old_usd"].as_str(), dry["total"]["new_usd"].as_str()),
        (Some("40.5"), Some("53.55"))
    );
    assert_eq!(dry["total"]["became_priced_tokens"], 1_800_000);
    assert_eq!(dry["rows"].as_array().unwrap().len(), 6);

    let o = reprice(&config, &["--format", "csv", "--by", "finance@ops"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 8, "header, 6 rows, total: {csv}");
    assert!(
        lines[0].starts_with("day,model,model_id,lines,changed,tokens,old_usd,new_usd,difference_usd"),
        "{csv}"
    );
    assert_eq!(lines[7], "total,,,27,27,11700000,40.5,53.55,13.05,1800000,0,0");
    let applied_rows: Vec<&str> = lines[1..7].to_vec();
    let dry_rows: Vec<String> = dry["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{},{},{}",
                r["day"].as_str().unwrap(),
                r["model"].as_str().unwrap(),
                r["model_id"].as_str().unwrap()
            )
        })
        .collect();
    for (a, d) in applied_rows.iter().zip(&dry_rows) {
        assert!(a.starts_with(d.as_str()), "{a} vs {d}");
    }

    let o = reprice(&config, &["--dry-run", "--format", "json"]);
    let after: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(after["total"]["changed"], 0, "after apply, a dry run finds nothing to change");

    let o = run(&["reprice", "--config", &config, "--history"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("finance@ops") && out.contains("2026-03-01 .. 2026-03-03"), "{out}");
    let o = run(&["reprice", "--config", &config, "--history", "--format", "json"]);
    let history: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 3, "one record per applied day");
    assert_eq!(history[0]["new_usd"], "17.85");
}

#[test]
fn arguments_are_refused_with_what_is_wrong() {
    let (_f, config) = seeded();
    let cases: [(&[&str], &str); 4] = [
        (&["--from", "2026-03-02", "--to", "2026-03-01"], "--to: 2026-03-01 is before --from 2026-03-02"),
        (
            &["--from", "2026-13-01", "--to", "2026-03-01"],
            "--from: `2026-13-01` is not a UTC day like 2026-03-01",
        ),
        (&["--from", "2026-03-01", "--to", "2999-01-01"], "--to: 2999-01-01 is after today"),
        (&["--from", "2026-03-01"], "--to"),
    ];
    for (args, want) in cases {
        let mut all = vec!["reprice", "--config", config.as_str(), "--dry-run"];
        all.extend_from_slice(args);
        let o = run(&all);
        assert!(!o.status.success(), "{args:?} was accepted");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}
