#!/usr/bin/env bash
# Make this checkout importable and resolvable as the collection ironclad.infra without building it:
# a symlink <dir>/ansible_collections/ironclad/infra -> the repository. Prints <dir>, which belongs in
# ANSIBLE_COLLECTIONS_PATH (roles and modules by FQCN) and PYTHONPATH (unit test imports).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# One directory per checkout (keyed by its path), so two checkouts (a CI clone, a second work tree)
# never re-point each other's link.
dir="${IRONCLAD_COLLECTIONS_DIR:-${TMPDIR:-/tmp}/ironclad-collections-$(printf %s "$root" | sha256sum | cut -c1-12)}"
mkdir -p "$dir/ansible_collections/ironclad"
ln -sfn "$root" "$dir/ansible_collections/ironclad/infra"
echo "$dir"
