#!/usr/bin/env bash
# The whole test suite, with all its set-up: what README.md's test command and
# .ci/run run. Idempotent; safe to run again and again.
#
#   1. the emulator's Python virtualenv (moto + gateway), installed from PyPI
#   2. the deployment tools: Debian's prometheus (promtool), checkov's virtualenv
#   3. cargo fmt --check
#   4. cargo clippy --all-targets -- -D warnings
#   5. offline checks of deploy/ and dashboards/ (promtool, checkov, terraform fmt)
#   6. every test: unit, CLI, and integration tests against the local emulator
#      (including dashboards and alert rules against a real Prometheus)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"

step() { printf '\n==> %s\n' "$*"; }

step "set-up: emulator virtualenv"
bash tests/emulator/setup.sh

step "set-up: deployment tools (prometheus, checkov)"
bash tests/tools/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "deployment checks (promtool, checkov, terraform fmt)"
bash tests/tools/check_deploy.sh

step "cargo test"
cargo test --all-targets --locked
