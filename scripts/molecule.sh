#!/usr/bin/env bash
# Run one Molecule scenario with the project's environment: bash scripts/molecule.sh SCENARIO [COMMAND]
# COMMAND defaults to "test" (destroy, create, prepare, converge, idempotence, check, verify, destroy).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scenario="${1:?usage: scripts/molecule.sh SCENARIO [test|converge|verify|idempotence|check|destroy|login]}"
command="${2:-test}"
[ -f "molecule/$scenario/molecule.yml" ] || { echo "no scenario molecule/$scenario" >&2; exit 2; }
exec molecule "$command" -s "$scenario" "${@:3}"
