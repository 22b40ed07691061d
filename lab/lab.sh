#!/usr/bin/env bash
# The demo lab: bash lab/lab.sh up|down|status
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$IRONCLAD_ROOT"
source scripts/env.sh
INVENTORY=lab/inventory
HTTPS_PORT="${IRONCLAD_LAB_HTTPS_PORT:-8443}"
export IRONCLAD_LAB_HTTPS_PORT="$HTTPS_PORT"

case "${1:-status}" in
  up)
    step "Starting the lab (containers icl-*, network ironclad-lab)"
    if ! docker container inspect icl-lb1 >/dev/null 2>&1 && ss -ltnH "sport = :$HTTPS_PORT" | grep -q .; then
      die "port $HTTPS_PORT on this machine is taken (the lab publishes the load balancer's HTTPS there). Stop what listens on it, or pick another: IRONCLAD_LAB_HTTPS_PORT=9443 make demo"
    fi
    ansible-playbook -i "$INVENTORY" lab/containers.yml -e lab_state=present
    ;;
  down)
    step "Removing the lab"
    ansible-playbook -i "$INVENTORY" lab/containers.yml -e lab_state=absent
    ;;
  status)
    docker ps -a --filter label=ironclad.lab=true --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}'
    ;;
  *) die "usage: lab/lab.sh up|down|status" ;;
esac
