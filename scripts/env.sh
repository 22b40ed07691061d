# Source this file to use the project's tool chain: the pinned virtualenv, the collection resolvable
# by FQCN from this checkout, and the Ansible settings every run here uses.
# shellcheck shell=bash
__ironclad_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -x "$__ironclad_root/.venv/bin/ansible" ] || {
  echo "The virtualenv is missing: run 'make venv' (or bash scripts/venv.sh) first" >&2
  # shellcheck disable=SC2317  # exit only runs when this file is executed instead of sourced
  return 1 2>/dev/null || exit 1
}
export PATH="$__ironclad_root/.venv/bin:$PATH"
IRONCLAD_COLLECTIONS_DIR="$(IRONCLAD_COLLECTIONS_DIR="" bash "$__ironclad_root/scripts/collection-link.sh")"
export IRONCLAD_COLLECTIONS_DIR
export ANSIBLE_COLLECTIONS_PATH="$IRONCLAD_COLLECTIONS_DIR"
export PYTHONPATH="$IRONCLAD_COLLECTIONS_DIR${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_PIPELINING=1
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-}"
# Molecule must not try to install this collection or its requirements from Galaxy (unreachable).
export MOLECULE_NO_PRERUN=1
export ANSIBLE_LOCAL_TEMP="${ANSIBLE_LOCAL_TEMP:-$HOME/.ansible/tmp}"
unset __ironclad_root
