#!/usr/bin/env bash
# Make sure a Docker engine answers. Installs docker.io and starts dockerd in the background when none
# does (the lab machines have no systemd as PID 1, so the daemon is started by hand).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

step "Checking the Docker engine"
if docker info >/dev/null 2>&1; then
  info "Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  need_root
  command -v apt-get >/dev/null || die "no Docker engine and no apt-get to install one: install Docker yourself, then re-run"
  info "installing docker.io from Debian's archive"
  export DEBIAN_FRONTEND=noninteractive
  with_progress /tmp/ironclad-apt-docker.log sh -c 'apt-get update -q && apt-get install -y -q docker.io' \
    || die "could not install docker.io (see /tmp/ironclad-apt-docker.log); check that Debian's archive is reachable"
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  info "starting dockerd in the background (log: /tmp/dockerd.log)"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { info "Docker engine is up"; exit 0; }
  sleep 1
done
tail -n 20 /tmp/dockerd.log >&2 || true
die "dockerd did not answer within 60 s (see /tmp/dockerd.log). Docker needs root, cgroups and overlay or vfs storage; on a machine where containers cannot run, the lab and Molecule tests cannot run either"
