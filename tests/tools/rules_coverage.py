"""Checks the shape of deploy/prometheus/rules.yml against its unit tests.

Every alert rule must have a `for`, a `severity` label and the annotations
summary, description and runbook; rules_test.yml must make every alert fire
at least once and stay silent at least once. promtool runs the tests; this
only checks that none is missing.

Usage: python rules_coverage.py RULES.yml RULES_TEST.yml   (needs PyYAML)
"""

import sys

import yaml

SEVERITIES = {"info", "warning", "critical"}
ANNOTATIONS = {"summary", "description", "runbook"}


def main(rules_path: str, tests_path: str) -> int:
    with open(rules_path, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    with open(tests_path, encoding="utf-8") as f:
        tests = yaml.safe_load(f)

    problems = []
    alerts = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert")
            if name is None:
                continue
            alerts.append(name)
            if "for" not in rule:
                problems.append(f"{name}: no `for`")
            if rule.get("labels", {}).get("severity") not in SEVERITIES:
                problems.append(f"{name}: severity label must be one of {sorted(SEVERITIES)}")
            missing = ANNOTATIONS - set(rule.get("annotations", {}))
            if missing:
                problems.append(f"{name}: missing annotations {sorted(missing)}")

    fires, silent = set(), set()
    for case in tests.get("tests", []):
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    for name in alerts:
        if name not in fires:
            problems.append(f"{name}: no test case where it fires")
        if name not in silent:
            problems.append(f"{name}: no test case where it does not fire")
    for name in sorted((fires | silent) - set(alerts)):
        problems.append(f"{name}: tested but not defined in {rules_path}")

    for p in problems:
        print(f"{tests_path}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{len(alerts)} alerts: each has for, severity, summary/description/runbook, a firing and a silent test")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
