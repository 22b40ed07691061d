"""Loaded by pytest for the testinfra tests of every scenario (Molecule's verifier runs pytest on
molecule/<scenario>/tests/test_*.py; the rootdir is the repository, so this file is in their path).

It puts molecule/_shared on sys.path, so that a test imports the shared harness by module name:
``from playbook_runs import ansible_playbook, recap``.
"""

from __future__ import annotations

import os
import sys

_SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_shared")
if _SHARED not in sys.path:
    sys.path.insert(0, _SHARED)
