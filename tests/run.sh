#!/usr/bin/env bash
# The whole test suite, with all its set-up: what README.md's test command and
# .ci/run run. Idempotent; safe to run again and again.
#
#   1. the emulator's Python virtualenv (moto + gateway), installed from PyPI
#   2. the deployment tools: Debian's prometheus (promtool), checkov's virtualenv
#   3. cargo fmt --check
#   4. cargo clippy --all-targets -- -D warnings (clippy.toml's disallowed
#      methods are the architecture's invariants; a path there that names
#      nothing fails this step rather than silently guarding nothing)
#   5. the release image's build, without the `demo` feature: clippy, and the
#      CLI tests against that binary
#   6. offline checks of deploy/ and dashboards/ (promtool, checkov, terraform fmt)
#   7. every test: unit, CLI, and integration tests against the local emulator
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
clippy_log="$(mktemp)"
trap 'rm -f "${clippy_log}"' EXIT
cargo clippy --all-targets --locked -- -D warnings 2>&1 | tee "${clippy_log}"
# Clippy only warns about a disallowed-methods path that resolves to nothing,
# and -D warnings does not reach that warning.
if grep -q "does not refer to" "${clippy_log}"; then
    echo "clippy.toml names a path that does not exist: that entry guards nothing" >&2
    exit 1
fi

step "without the demo feature (the release image): clippy, CLI tests"
cargo clippy --all-targets --no-default-features --locked -- -D warnings
cargo test --no-default-features --locked --test it -- cli::

step "deployment checks (promtool, checkov, terraform fmt)"
bash tests/tools/check_deploy.sh

step "cargo test"
cargo test --all-targets --locked
