#!/usr/bin/env bash
# The whole test suite, with all its set-up: what README.md's test command and
# .ci/run run. Idempotent; safe to run again and again.
#
#   1. the emulator's Python virtualenv (moto + gateway), installed from PyPI
#   2. cargo fmt --check
#   3. cargo clippy --all-targets -- -D warnings
#   4. every test: unit, CLI, and integration tests against the local emulator
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"

step() { printf '\n==> %s\n' "$*"; }

step "set-up: emulator virtualenv"
bash tests/emulator/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test"
cargo test --all-targets --locked
