# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One object that decides ``changed``, ``diff`` and the human-readable ``actions`` of a module run.

Every module of the collection records each difference it finds here exactly once, under a precise
key (``chains.INPUT[3]``, ``listen.tls.ciphers``). ``changed``, the ``diff`` dictionary and the
``actions`` list are all derived from the same records, so they cannot disagree — also in check mode,
where the module records what it *would* do and then stops.
"""

from __future__ import annotations

__metaclass__ = type


class DifferenceTracker:
    """Collect differences between the current and the desired state."""

    def __init__(self):
        self._differences = []
        self._actions = []

    def add(self, key, before=None, after=None, action=None):
        """Record that ``key`` goes from ``before`` to ``after``; ``action`` is a sentence for people."""
        self._differences.append({"key": key, "before": before, "after": after})
        if action:
            self._actions.append(action)

    def add_action(self, action):
        """Record an action that has no before/after value (a restart, a re-issue)."""
        self._actions.append(action)

    @property
    def changed(self):
        return bool(self._differences or self._actions)

    @property
    def actions(self):
        return list(self._actions)

    def differences(self):
        return [dict(item) for item in self._differences]

    def diff(self, before_header=None, after_header=None):
        """Return an Ansible ``diff`` dict: ``before`` and ``after`` keyed by the recorded keys."""
        result = {
            "before": {item["key"]: item["before"] for item in self._differences},
            "after": {item["key"]: item["after"] for item in self._differences},
        }
        if before_header:
            result["before_header"] = before_header
        if after_header:
            result["after_header"] = after_header
        return result
