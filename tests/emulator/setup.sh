#!/usr/bin/env bash
# Creates (or refreshes) the Python virtualenv the AWS emulator runs in.
# Idempotent: pip runs only when requirements.txt changed since the last install.
# Venv location: $BCM_EMULATOR_VENV, else <repo root>/.venv/emulator.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/../.." && pwd)"
venv="${BCM_EMULATOR_VENV:-${repo_root}/.venv/emulator}"
requirements="${script_dir}/requirements.txt"
stamp="${venv}/.bcm-requirements.sha256"

want="$(sha256sum "${requirements}" | cut -d' ' -f1)"

if [[ -x "${venv}/bin/python" && -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    echo "emulator venv up to date: ${venv}"
    exit 0
fi

if [[ ! -x "${venv}/bin/python" ]]; then
    # Debian without the python3-venv package has no ensurepip: fall back to a
    # pip-less venv driven by the system pip below.
    python3 -m venv "${venv}" 2>/dev/null || python3 -m venv --without-pip "${venv}"
fi
if "${venv}/bin/python" -m pip --version >/dev/null 2>&1; then
    pip=("${venv}/bin/python" -m pip)
else
    pip=(python3 -m pip --python "${venv}/bin/python")
fi
# Remove the stamp first so an interrupted install is retried next time.
rm -f "${stamp}"
"${pip[@]}" install --quiet --disable-pip-version-check -r "${requirements}"
echo "${want}" > "${stamp}"
echo "emulator venv installed: ${venv}"
