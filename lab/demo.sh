#!/usr/bin/env bash
# make demo: start the lab, apply the site playbook to it, verify what it built, print a summary.
# Safe to run again: the second run reports no changes.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$IRONCLAD_ROOT"
source scripts/env.sh
start=$SECONDS
bash lab/lab.sh up

export ANSIBLE_CALLBACKS_ENABLED=ironclad.infra.summary,ansible.posix.profile_tasks
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-1}"
mkdir -p tests/output/demo

step "Applying the site playbook (ironclad.infra.site) to the lab"
site_start=$SECONDS
IRONCLAD_SUMMARY_FILE=tests/output/demo/site-summary.json \
  ansible-playbook -i lab/inventory ironclad.infra.site
site_time=$((SECONDS - site_start))

step "Starting the demo application on the web backends (lab/app.yml)"
ansible-playbook -i lab/inventory lab/app.yml

step "Verifying the lab (lab/verify.yml)"
IRONCLAD_SUMMARY_FILE=tests/output/demo/verify-summary.json \
  ansible-playbook -i lab/inventory lab/verify.yml

step "Demo summary"
python3 - "$site_time" <<'PY'
import json, sys
site = json.load(open("tests/output/demo/site-summary.json"))
verify = json.load(open("tests/output/demo/verify-summary.json"))
print(f"    site playbook: {sys.argv[1]} s")
for host in sorted(set(site) | set(verify)):
    s, v = site.get(host, {}), verify.get(host, {})
    checks = v.get("verified", [])
    ok = sum(c["passed"] for c in checks)
    print(f"    {host:12} {len(s.get('changed', [])):3} change(s)  {ok}/{len(checks)} checks passed"
          + ("  FAILED" if any(d.get("failed") and not d.get("rescued") for d in (s, v)) else ""))
PY
info "total: $((SECONDS - start)) s; the lab stays up (make lab-down removes it)"
