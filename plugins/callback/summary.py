# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
name: summary
type: aggregate
short_description: Per-host summary of what a run changed, failed and verified
version_added: 0.1.0
description:
  - At the end of a playbook run, prints for every host the tasks that changed something, the tasks
    that failed, and the results of verification tasks (tasks whose name starts with C(Verify)).
  - Optionally writes the same summary as JSON for machines (AWX artifacts, CI), see O(output_file).
  - Secrets stay out. Only task names and the C(msg) of failed tasks (which Ansible already censors
    for C(no_log) tasks) are recorded.
requirements:
  - Enable it in C(ansible.cfg) (C(callbacks_enabled)) or with the environment variable C(ANSIBLE_CALLBACKS_ENABLED).
options:
  output_file:
    description: Path of a JSON file to write the summary to. Nothing is written when unset.
    type: path
    env:
      - name: IRONCLAD_SUMMARY_FILE
    ini:
      - section: callback_ironclad_summary
        key: output_file
"""

import json
import os
from collections import defaultdict

from ansible.plugins.callback import CallbackBase

VERIFY_PREFIX = "verify"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "ironclad.infra.summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._hosts = defaultdict(lambda: {"changed": [], "failed": [], "verified": [], "unreachable": False})

    def _task_name(self, result):
        return result.task_name or result._task.get_name()

    def _record_verification(self, result, passed):
        name = self._task_name(result)
        if name.lower().startswith(VERIFY_PREFIX):
            self._hosts[result._host.get_name()]["verified"].append({"check": name, "passed": passed})

    def v2_runner_on_ok(self, result):
        host = self._hosts[result._host.get_name()]
        if result._result.get("changed", False):
            name = self._task_name(result)
            if name not in host["changed"]:
                host["changed"].append(name)
        self._record_verification(result, True)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            return
        msg = result._result.get("msg", "")
        self._hosts[result._host.get_name()]["failed"].append({"task": self._task_name(result), "msg": str(msg)[:300]})
        self._record_verification(result, False)

    def v2_runner_on_unreachable(self, result):
        self._hosts[result._host.get_name()]["unreachable"] = True

    def v2_playbook_on_stats(self, stats):
        self._display.banner("IRONCLAD SUMMARY")
        for name in sorted(self._hosts):
            host = self._hosts[name]
            checks = host["verified"]
            passed = sum(1 for check in checks if check["passed"])
            # A failure that a block's rescue handled does not fail the host: Ansible's own stats say
            # whether a failure stood.
            failed = bool(host["failed"]) if stats is None else stats.summarize(name).get("failures", 0) > 0
            host["rescued"] = bool(host["failed"]) and not failed
            state = "UNREACHABLE" if host["unreachable"] else ("FAILED" if failed else "ok")
            self._display.display("%s: %s, %d change(s), %d/%d verification(s) passed" % (name, state, len(host["changed"]), passed, len(checks)))
            for task in host["changed"]:
                self._display.display("    changed: %s" % task)
            for check in checks:
                self._display.display("    %s %s" % ("verified:" if check["passed"] else "NOT VERIFIED:", check["check"]))
            for failure in host["failed"]:
                label = "rescued" if host["rescued"] else "failed"
                self._display.display("    %s: %s: %s" % (label, failure["task"], failure["msg"]))
        output_file = self.get_option("output_file")
        if output_file:
            with open(os.path.expanduser(output_file), "w") as handle:
                json.dump(dict(self._hosts), handle, indent=2, sort_keys=True)
