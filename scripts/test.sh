#!/usr/bin/env bash
# The project's test command (make test; CI calls it through .ci/run):
#   ruff, ansible-lint (production profile), ansible-test sanity, unit tests (pytest) and every Molecule
#   scenario, then one summary. Exit status is non-zero when any step failed.
# Select steps with IRONCLAD_TEST_STEPS="lint unit" and scenarios with IRONCLAD_SCENARIOS="firewall pki".
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$IRONCLAD_ROOT" || exit 1

bash scripts/host-packages.sh || exit 1
bash scripts/venv.sh || exit 1
source scripts/env.sh || exit 1
STEPS="${IRONCLAD_TEST_STEPS:-ruff lint docs sanity unit molecule}"
LOGDIR="${IRONCLAD_LOG_DIR:-$IRONCLAD_ROOT/tests/output/logs}"
mkdir -p "$LOGDIR"
declare -a RESULTS=()
passed=0; failed=0

record() {  # name status seconds
  RESULTS+=("$(printf '%-32s %-6s %5ss' "$1" "$2" "$3")")
  if [ "$2" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

run_step() {  # name command...  (output streams to the console and to a log)
  local name="$1"; shift
  local start=$SECONDS log="$LOGDIR/${name//\//_}.log"
  step "$name"
  if "$@" 2>&1 | tee "$log"; then
    record "$name" PASS $((SECONDS - start))
  else
    record "$name" FAIL $((SECONDS - start))
    info "log: $log"
  fi
}

scenarios() {
  if [ -n "${IRONCLAD_SCENARIOS:-}" ]; then echo "$IRONCLAD_SCENARIOS"; return; fi
  for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done
}

for s in $STEPS; do
  case "$s" in
    ruff) run_step ruff ruff check plugins tests benchmarks molecule scripts ;;
    lint) run_step ansible-lint ansible-lint --profile production ;;
    docs)
      run_step docs-up-to-date python scripts/gen-docs.py --check
      run_step changelog-fragments antsibull-changelog lint
      run_step execution-environment ansible-builder create -f execution-environment.yml -c "$LOGDIR/ee-context" ;;
    sanity) run_step ansible-test-sanity bash scripts/sanity.sh ;;
    unit) run_step pytest-unit pytest -p no:cacheprovider tests/unit ;;
    molecule)
      if ! { bash scripts/ensure-docker.sh && bash scripts/build-images.sh; }; then
        record docker-and-images FAIL 0; continue
      fi
      for sc in $(scenarios); do
        run_step "molecule/$sc" molecule test -s "$sc"
      done ;;
    *) die "unknown test step '$s' (known: ruff lint docs sanity unit molecule)" ;;
  esac
done

step "Summary"
printf '    %s\n' "${RESULTS[@]}"
echo
echo "ironclad: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
