#!/usr/bin/env bash
# Offline checks of the deployment assets (deploy/, dashboards/): alert rules
# and their unit tests with promtool, the rules' shape and test coverage,
# checkov on the Terraform modules (the monitor's and member-role/), the
# CloudFormation templates and the Dockerfile, JSON syntax, and
# `terraform fmt` where terraform is installed. Needs tests/tools/setup.sh.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo_root}"
checkov_venv="${BCM_CHECKOV_VENV:-${repo_root}/.venv/checkov}"

check() { printf -- '--- %s\n' "$*"; }

for tool in promtool "${checkov_venv}/bin/checkov"; do
    if ! command -v "${tool}" >/dev/null 2>&1; then
        echo "${tool} not found: run tests/tools/setup.sh first" >&2
        exit 1
    fi
done

check "promtool check rules"
promtool check rules deploy/prometheus/rules.yml

check "promtool check config (example scrape configuration)"
promtool check config deploy/prometheus/prometheus.yml

check "promtool test rules"
promtool test rules deploy/prometheus/rules_test.yml

check "every alert: for, severity, annotations, a firing and a silent test"
"${checkov_venv}/bin/python" tests/tools/rules_coverage.py \
    deploy/prometheus/rules.yml deploy/prometheus/rules_test.yml

check "JSON syntax"
for f in deploy/ecs/*.json dashboards/*.json; do
    [[ -e "${f}" ]] || continue
    python3 -m json.tool "${f}" >/dev/null || { echo "${f}: invalid JSON" >&2; exit 1; }
    echo "${f}: valid"
done

check "checkov (offline): Terraform modules, CloudFormation templates, Dockerfile"
# --skip-download: no policy download from the vendor's platform; no update check.
# checkov exits 0 on a file it cannot parse, having checked nothing in it: fail on that.
checkov_out="$(CKV_SKIP_PACKAGE_UPDATE_CHECK=true "${checkov_venv}/bin/checkov" \
    --directory deploy --skip-download --compact --quiet 2>&1)" || { echo "${checkov_out}"; exit 1; }
echo "${checkov_out}"
if grep -q "Parsing errors: [1-9]" <<<"${checkov_out}"; then
    echo "checkov could not parse a file (see above): it was not checked" >&2
    exit 1
fi
if [[ -n "$(ls deploy/cloudformation/*.yaml 2>/dev/null)" ]] && ! grep -q "cloudformation scan results" <<<"${checkov_out}"; then
    echo "checkov did not scan deploy/cloudformation" >&2
    exit 1
fi

check "terraform fmt -check"
if command -v terraform >/dev/null 2>&1; then
    terraform fmt -check -recursive -diff deploy/terraform
    echo "deploy/terraform: formatted"
else
    echo "skipped: terraform is not installed (no Debian package or well-kept PyPI/npm package ships it);"
    echo "         run \`terraform fmt -check -recursive deploy/terraform\` where it is"
fi
