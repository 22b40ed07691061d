#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_files
short_description: Bring many configuration files to their wanted state in one call
version_added: 0.1.0
description:
  - Writes whole files (O(files[].content), usually a template rendered on the controller), edits
    single keys of files that belong to a package (O(files[].settings), for example C(/etc/login.defs)),
    removes files (O(files[].state=absent)) and sets owner, group and mode, for a list of files in one
    module run. One call replaces a loop of C(template) and C(lineinfile) tasks, which is what makes
    a hardening run that changes nothing fast.
  - Key edits keep comments and unrelated lines. The first active line of a key gets the value, later
    duplicates are removed, a missing key is appended after a C(# Added by ironclad.infra) line, and a
    key whose value is V(null) is removed.
  - Files are written atomically (temporary file in the same directory, then rename). Missing parent
    directories are created with mode C(0755).
  - Every entry is validated (and every owner and group resolved) before the first file is touched.
  - The module's action plugin first reads the files (and the O(files[].unless_found) paths, one
    level deep) with one shell command and runs the module's own plan on the controller in check
    mode; when nothing would change, the result is returned without starting Python on the host.
    Paths with C(~) or C($) always go to the module, which expands them on the host.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports what would change; writes nothing.
  diff_mode:
    support: full
    description: A unified diff per changed file.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
options:
  files:
    description: The files to manage. Each path may appear once.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      state:
        description: V(present) writes or edits the file; V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
      content:
        description: The whole content of the file. Mutually exclusive with O(files[].settings).
        type: str
      settings:
        description:
          - Keys to set in the file, as a mapping. Values are written as text; V(true)/V(false) as
            C(yes)/C(no), lists joined by spaces. V(null) removes the key.
          - Mutually exclusive with O(files[].content).
        type: dict
      separator:
        description:
          - Written between key and value for O(files[].settings). V(" ") (the default) suits
            C(login.defs) style files, where any whitespace is accepted when reading; use V(=) or
            V(" = ") for C(key=value) files.
        type: str
        default: " "
      create:
        description: With O(files[].settings), create the file when it does not exist.
        type: bool
        default: true
      owner:
        description: Owner (name or number). Unset keeps the current owner (root for new files).
        type: str
      group:
        description: Group (name or number). Unset keeps the current group (root for new files).
        type: str
      mode:
        description: Mode as an octal string such as V('0640'). Unset keeps the current mode (V('0644') for new files).
        type: raw
      unless_found:
        description:
          - Treat the entry as O(files[].state=absent) when another file already provides what it would
            add, for example an apt source that already names the security repository.
        type: dict
        suboptions:
          paths:
            description: Files, or directories whose files are searched (one level). The entry's own path is ignored.
            type: list
            elements: path
            required: true
          regexp:
            description: A Python regular expression (multi-line mode) searched in those files.
            type: str
            required: true
"""

EXAMPLES = r"""
- name: Configure login.defs, pwquality and the banner in one call
  ironclad.infra.config_files:
    files:
      - path: /etc/login.defs
        settings:
          PASS_MAX_DAYS: 365
          UMASK: "027"
          ENCRYPT_METHOD: YESCRYPT
      - path: /etc/security/pwquality.conf
        content: "{{ lookup('ansible.builtin.template', 'pwquality.conf.j2') }}"
        mode: "0644"
      - path: /etc/issue.net
        content: "Authorized access only.\n"
      - path: /etc/cron.deny
        state: absent
"""

RETURN = r"""
files:
  description: One entry per file, in the order given.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/etc/login.defs", "changed": true, "actions": ["set UMASK to 027 (was 022)"]}]
actions:
  description: What changed, one sentence per change.
  returned: always
  type: list
  elements: str
  sample: ["/etc/login.defs: set UMASK to 027 (was 022)"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module, tracked
from ansible_collections.ironclad.infra.plugins.module_utils._host.config_files_backend import ConfigFilesBackend, ConfigFilesError
from ansible_collections.ironclad.infra.plugins.module_utils._host.spec import CONFIG_FILES_ARGUMENT_SPEC


def main():
    run_module(
        CONFIG_FILES_ARGUMENT_SPEC,
        tracked(ConfigFilesBackend),
        {ConfigFilesError: "%s", OSError: "could not write a file: %s"},
        diff_mode_only=True,
    )


if __name__ == "__main__":
    main()
