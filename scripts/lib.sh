# Shared helpers for the project's shell scripts: progress lines and failures that say what to do.
# shellcheck shell=bash
IRONCLAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export IRONCLAD_ROOT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\n\033[31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# Run a long command, printing a dot every 10 s so a person sees it is alive; its output goes to a log
# that is shown only when it fails.
with_progress() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  local pid=$! start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    kill -0 "$pid" 2>/dev/null && printf '    ... still working (%ss), log: %s\n' "$((SECONDS - start))" "$log"
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    return 1
  fi
}

need_root() {
  [ "$(id -u)" = 0 ] || die "this step needs root (it installs Debian packages and runs Docker); run it as root or with sudo"
}
