#!/usr/bin/env bash
# Installs the tools the deployment checks and the dashboard test need.
# Idempotent: each tool is installed only when it is missing or out of date.
#
#   prometheus + promtool  Debian's `prometheus` package (apt-get), when
#                          `promtool` or `prometheus` is not on PATH.
#   checkov                its own virtualenv, pinned in checkov-requirements.txt:
#                          $BCM_CHECKOV_VENV, else <repo root>/.venv/checkov.
#
# Terraform is not installed here: no Debian package or well-kept PyPI/npm
# package ships it, so `terraform fmt -check` runs only where it is present.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/../.." && pwd)"

# --- prometheus / promtool -------------------------------------------------
install_prometheus() {
    if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
        echo "prometheus present: $(promtool --version 2>&1 | head -n 1)"
        return 0
    fi
    as_root=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
        else
            echo "promtool is missing and installing Debian's prometheus package needs root (or sudo)" >&2
            return 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    # The package's maintainer script starts its service through invoke-rc.d.
    # A policy-rc.d that answers 101 ("action forbidden") makes that a no-op,
    # so the install can neither hang on nor fail because of a service; we only
    # use the binaries. It is written only when none exists and removed after.
    local policy=/usr/sbin/policy-rc.d written_policy=""
    if [[ ! -e "${policy}" ]]; then
        "${as_root[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > ${policy} && chmod 0755 ${policy}"
        written_policy="${policy}"
        trap '"${as_root[@]}" rm -f '"${policy}" EXIT
    fi
    # prometheus-node-exporter is only recommended: not wanted here.
    local install=("${as_root[@]}" apt-get install -y -qq --no-install-recommends
        -o DPkg::Lock::Timeout=300
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
        prometheus)
    # A fresh machine has no package lists, an old one may list a version the
    # mirror no longer has: update once and retry.
    if ! apt-cache show prometheus >/dev/null 2>&1 || ! "${install[@]}" </dev/null; then
        "${as_root[@]}" apt-get update -qq -o DPkg::Lock::Timeout=300
        "${install[@]}" </dev/null
    fi
    if [[ -n "${written_policy}" ]]; then
        "${as_root[@]}" rm -f "${written_policy}"
        trap - EXIT
    fi
    echo "prometheus installed: $(promtool --version 2>&1 | head -n 1)"
}

# --- checkov ----------------------------------------------------------------
install_checkov() {
    local venv="${BCM_CHECKOV_VENV:-${repo_root}/.venv/checkov}"
    local requirements="${script_dir}/checkov-requirements.txt"
    local stamp="${venv}/.bcm-requirements.sha256"
    local want
    want="$(sha256sum "${requirements}" | cut -d' ' -f1)"
    if [[ -x "${venv}/bin/checkov" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
        echo "checkov venv up to date: ${venv}"
        return 0
    fi
    if [[ ! -x "${venv}/bin/python" ]]; then
        # Without Debian's python3-venv there is no ensurepip: fall back to a
        # pip-less venv driven by the system pip below.
        python3 -m venv "${venv}" 2>/dev/null || python3 -m venv --without-pip "${venv}"
    fi
    local pip
    if "${venv}/bin/python" -m pip --version >/dev/null 2>&1; then
        pip=("${venv}/bin/python" -m pip)
    else
        pip=(python3 -m pip --python "${venv}/bin/python")
    fi
    # Remove the stamp first so that an interrupted install is retried next time.
    rm -f "${stamp}"
    "${pip[@]}" install --quiet --disable-pip-version-check -r "${requirements}"
    echo "${want}" > "${stamp}"
    echo "checkov venv installed: ${venv} ($("${venv}/bin/checkov" --version))"
}

install_prometheus
install_checkov
