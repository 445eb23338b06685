#!/usr/bin/env bash
# Steady RSS and CPU of `bedrock-cost-monitor run` against the local AWS
# emulator, seeded with the demo workload (see benches/rss/main.rs for details).
#
#   benches/rss.sh [SECONDS]        # default 180
#   benches/rss.sh 180 --models 50 --regions 5 --principals 1000
#   benches/rss.sh 180 --accounts 20 --regions 5 --models 10 --principals 100
#
# The other forms run a scaled workload instead (benches/rss/scale.rs):
# usage metrics of that many model IDs in each region, CloudTrail events of
# that many principals, in the primary account and (--accounts N) N - 1
# member accounts, and the configuration it writes for that size.
#
# Builds the binary as the image does (`--profile image`, without the `demo` feature),
# then runs the `rss` bench, which starts the
# emulator, publishes the workload, spawns the daemon with config/demo.toml
# (2 regions, every 20 s), samples /proc/<pid>/{status,stat} every second and
# stops the daemon (SIGTERM to its pid) at the end. Prints a Markdown table.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
secs="${1:-180}"
shift || true

if [[ ! -x .venv/emulator/bin/python && -z "${BCM_EMULATOR_VENV:-}" ]]; then
    bash tests/emulator/setup.sh
fi
cargo build --profile image --no-default-features --bin bedrock-cost-monitor
# Set aside: building the bench rebuilds the binary in place with the default
# features, and what is measured must be what the image runs.
daemon_dir="$(mktemp -d)"
trap 'rm -rf "${daemon_dir}"' EXIT
cp "${CARGO_TARGET_DIR:-${repo_root}/target}/image/bedrock-cost-monitor" "${daemon_dir}/"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# As the container image runs it (deploy/docker/Dockerfile sets the same);
# BCM_RSS_ARENAS= (empty) measures glibc's default instead.
export MALLOC_ARENA_MAX="${BCM_RSS_ARENAS-2}"
[[ -z "${MALLOC_ARENA_MAX}" ]] && unset MALLOC_ARENA_MAX
echo "MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-<glibc default>}" >&2
# The image's malloc thresholds too, read from the Dockerfile so the two
# cannot drift; BCM_RSS_TUNABLES= (empty) measures glibc's defaults.
image_tunables="$(grep -o 'GLIBC_TUNABLES=[^ ]*' deploy/docker/Dockerfile | cut -d= -f2-)"
export GLIBC_TUNABLES="${BCM_RSS_TUNABLES-${image_tunables}}"
[[ -z "${GLIBC_TUNABLES}" ]] && unset GLIBC_TUNABLES
echo "GLIBC_TUNABLES=${GLIBC_TUNABLES:-<glibc default>}" >&2
cargo bench --bench rss -- --rss --secs "${secs}" --daemon "${daemon_dir}/bedrock-cost-monitor" "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
