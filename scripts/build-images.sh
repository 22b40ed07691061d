#!/usr/bin/env bash
# Build the local Debian base images that the lab and Molecule use. No registry can be reached, so the
# base comes from Debian's archive with debootstrap and is imported into Docker. Images that exist are
# kept (cached); pass --force to rebuild.
#   ironclad-debian:<N>-base  debootstrap minbase + python3, systemd, sshd (a "fresh host")
#   ironclad-debian:<N>       base + molecule/images/packages.txt (what the test hosts use)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FORCE=0; [ "${1:-}" = "--force" ] && FORCE=1
RELEASES="${IRONCLAD_RELEASES:-12:bookworm 13:trixie}"
MIRROR="${IRONCLAD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
INCLUDE=python3,python3-apt,systemd,systemd-sysv,iproute2,sudo,openssh-server,ca-certificates

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_base() {
  local major="$1" codename="$2" tag="ironclad-debian:${1}-base" dir
  if [ "$FORCE" = 0 ] && have_image "$tag"; then info "$tag exists (cached)"; return; fi
  need_root
  command -v debootstrap >/dev/null || {
    info "installing debootstrap"
    with_progress /tmp/ironclad-apt-debootstrap.log sh -c 'apt-get update -q && apt-get install -y -q debootstrap' \
      || die "could not install debootstrap (see /tmp/ironclad-apt-debootstrap.log)"
  }
  local free_mb
  free_mb=$(df -Pm /var/lib/docker 2>/dev/null | awk 'NR==2{print $4}' || df -Pm / | awk 'NR==2{print $4}')
  [ "${free_mb:-0}" -ge 2048 ] || die "only ${free_mb} MB free under /var/lib/docker; the images need about 2 GB. Free some space (docker system prune) and re-run"
  dir="$(mktemp -d "/tmp/ironclad-rootfs-${codename}.XXXX")"
  info "debootstrap Debian ${major} (${codename}) into ${dir} (about a minute)"
  with_progress "/tmp/ironclad-debootstrap-${codename}.log" \
    debootstrap --variant=minbase --include="$INCLUDE" "$codename" "$dir" "$MIRROR" \
    || die "debootstrap of ${codename} failed (see /tmp/ironclad-debootstrap-${codename}.log); is ${MIRROR} reachable?"
  # An empty machine-id lets systemd generate one per container.
  : > "$dir/etc/machine-id"
  info "importing ${tag}"
  tar -C "$dir" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - "$tag" >/dev/null
  rm -rf "$dir"
}

build_lab() {
  local major="$1" tag="ironclad-debian:${1}" want have
  # The image is labelled with a hash of its definition, so a changed package list rebuilds it.
  want="$(cat "$IRONCLAD_ROOT"/molecule/images/* | sha256sum | cut -c1-16)"
  have="$(docker image inspect -f '{{ index .Config.Labels "ironclad.definition" }}' "$tag" 2>/dev/null || true)"
  if [ "$FORCE" = 0 ] && [ "$have" = "$want" ]; then info "$tag is up to date (cached)"; return; fi
  info "building ${tag} (base + molecule/images/packages.txt)"
  with_progress "/tmp/ironclad-build-${major}.log" \
    docker build --build-arg "BASE=ironclad-debian:${major}-base" --label "ironclad.definition=$want" -t "$tag" "$IRONCLAD_ROOT/molecule/images" \
    || die "docker build of ${tag} failed (see /tmp/ironclad-build-${major}.log)"
}

step "Building local Debian images (cached when present)"
for rel in $RELEASES; do
  build_base "${rel%%:*}" "${rel##*:}"
  build_lab "${rel%%:*}"
done
docker image ls --format '    {{.Repository}}:{{.Tag}}  {{.Size}}' | grep ironclad-debian || true
