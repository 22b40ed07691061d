#!/usr/bin/env bash
# Create the project's virtualenv (.venv) with the pinned tool chain from requirements/dev.txt.
# Re-running only installs what changed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$IRONCLAD_ROOT"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || die "Python 3.11-3.13 with venv is needed (ansible-core 2.19); install python3 and python3-venv"
step "Python virtualenv (.venv, pinned tools from requirements/dev.txt)"
stamp=".venv/.requirements.sha"
want="$(sha256sum requirements/dev.txt | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  info "up to date"
  exit 0
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv || die "could not create .venv with $PY (on Debian: apt-get install python3-venv)"
info "installing $(grep -c '==' requirements/dev.txt) pinned packages (a few minutes on a fresh machine)"
with_progress /tmp/ironclad-pip.log sh -c '.venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -r requirements/dev.txt' \
  || die "pip install failed (see /tmp/ironclad-pip.log); PyPI must be reachable"
echo "$want" > "$stamp"
info "$(.venv/bin/ansible --version | head -1)"
