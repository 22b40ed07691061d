#!/usr/bin/env bash
# Run `ansible-test sanity` on the collection. ansible-test needs the code at
# .../ansible_collections/ironclad/infra, so the repository's files (tracked and new, not ignored) are
# copied into such a tree first. Extra arguments go to ansible-test (e.g. --test validate-modules).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$IRONCLAD_ROOT"
source scripts/env.sh
# ansible-test bootstraps pip in its virtualenvs with a script from a host we cannot reach; give it ours.
pip_version="$(python -c 'from ansible_test._internal.python_requirements import PIP_VERSION as v; print(v)' 2>/dev/null || echo 24.2)"
mkdir -p "$HOME/.ansible/test/cache"
cp scripts/ansible-test-get-pip.py "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
tree="${IRONCLAD_SANITY_DIR:-${TMPDIR:-/tmp}/ironclad-sanity-$(printf %s "$IRONCLAD_ROOT" | sha256sum | cut -c1-12)}/ansible_collections/ironclad/infra"
step "ansible-test sanity (copy of the collection in ${tree})"
rm -rf "$tree"; mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$tree/"
cd "$tree"
# Sanity runs against Python 3.11, the controller's; the tests' own requirements are installed by
# ansible-test into its virtualenvs (PyPI must be reachable) on the first run, cached later.
exec ansible-test sanity --venv --requirements --python 3.11 --color yes "$@"
