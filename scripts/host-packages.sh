#!/usr/bin/env bash
# Debian packages the scripts themselves use on the machine that runs the lab and the tests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
missing=()
for pair in rsync:rsync debootstrap:debootstrap git:git shellcheck:shellcheck; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[ "${#missing[@]}" -eq 0 ] && exit 0
need_root
command -v apt-get >/dev/null || die "missing tools (${missing[*]}) and no apt-get: install them yourself"
step "Installing host tools: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
with_progress /tmp/ironclad-apt-host.log sh -c "apt-get update -q && apt-get install -y -q ${missing[*]}" \
  || die "apt-get install ${missing[*]} failed (see /tmp/ironclad-apt-host.log)"
