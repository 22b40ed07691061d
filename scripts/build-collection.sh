#!/usr/bin/env bash
# Build the collection tarball and install it offline into ~/.ansible/collections (or $1), then show
# that ansible-doc lists its plugins. This is how a user without a Galaxy server gets ironclad.infra.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$IRONCLAD_ROOT"
source scripts/env.sh
dest="${1:-$HOME/.ansible/collections}"
out="$IRONCLAD_ROOT/build"
mkdir -p "$out"
step "Building the collection tarball"
ansible-galaxy collection build --force --output-path "$out" .
version="$(python -c "import yaml; print(yaml.safe_load(open('galaxy.yml'))['version'])")"
tarball="$out/ironclad-infra-${version}.tar.gz"
step "Installing ${tarball##*/} into $dest (offline)"
ansible-galaxy collection install --force --offline -p "$dest" "$tarball"
step "Plugins of ironclad.infra"
for kind in module filter callback; do
  ANSIBLE_COLLECTIONS_PATH="$dest" ansible-doc -t "$kind" -l ironclad.infra 2>/dev/null | sed 's/^/    /'
done
