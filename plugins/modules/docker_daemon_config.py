#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_daemon_config
short_description: Validate and write Docker's daemon.json in one step
version_added: 0.1.0
description:
  - Renders O(config) as Docker's C(daemon.json) (sorted keys, stable text) and validates it B(before)
    the file is written, so a bad setting never reaches a running daemon.
  - Validation is a schema of the daemon options of Docker 20.10 to 26 (JSON types, allowed values,
    sizes, CIDRs, URLs, listen addresses, TLS completeness, version-gated and removed options), then
    C(dockerd --validate --config-file) where the installed daemon has it (Docker 23 and later).
  - The file is compared key by key with the current one; formatting-only differences are not a
    change, so a restart handler fires only when a setting really changed.
  - The module does not restart Docker; notify a handler on RV(ignore:changed).
author:
  - ironclad.infra contributors (@ironclad)
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Validates and reports the keys that would change; writes nothing.
  diff_mode:
    support: full
    description: Shows each changed option (nested options as C(log-opts.max-size)).
  idempotent:
    support: full
    description: A second run with the same O(config) reports no change and writes nothing.
options:
  path:
    description: Path of the daemon configuration file.
    type: path
    default: /etc/docker/daemon.json
  config:
    description:
      - The whole content of C(daemon.json) as a mapping of option names to values.
      - Values keep their JSON types; C(log-opts) values must be strings (Docker refuses numbers there).
    type: dict
    required: true
  unknown_keys:
    description:
      - What to do with an option this module's schema does not know.
      - V(refuse) fails with the closest known names (a typo makes dockerd refuse to start).
      - V(warn) writes it anyway; C(dockerd --validate) still checks it where available.
    type: str
    choices: [refuse, warn]
    default: refuse
  dockerd_validate:
    description:
      - Whether to run C(dockerd --validate --config-file) on the rendered file before writing it.
      - V(auto) runs it when dockerd is installed and has C(--validate) (Docker 23+).
      - V(always) fails when it cannot run; V(never) relies on the schema only.
    type: str
    choices: [auto, always, never]
    default: auto
  dockerd_path:
    description: Path of the dockerd binary; found in C(PATH), C(/usr/sbin) and C(/usr/bin) when not set.
    type: path
  allow_unauthenticated_tcp:
    description:
      - Allow a C(tcp://) entry in C(hosts) without C(tlsverify). Anyone who reaches such a port is
        root on the host, so this is refused unless set.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of the previous file when it changes.
    type: bool
    default: false
notes:
  - Docker refuses an option that is set both in C(daemon.json) and on the command line. Debian's and
    Docker's unit files pass C(-H fd://), so setting C(hosts) needs a systemd drop-in that removes it
    (the C(ironclad.infra.docker) role installs one).
seealso:
  - name: Docker daemon configuration file
    description: Reference of all daemon.json options.
    link: https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file
"""

EXAMPLES = r"""
- name: Write a hardened daemon.json
  ironclad.infra.docker_daemon_config:
    config:
      log-driver: json-file
      log-opts:
        max-size: 10m
        max-file: "3"
      live-restore: true
      no-new-privileges: true
      icc: false
      userland-proxy: false
      default-address-pools:
        - base: 10.200.0.0/16
          size: 24
    owner: root
    group: root
    mode: "0644"
  notify: Restart docker

- name: Expose the API over TLS with client certificates (the unit must not pass -H)
  ironclad.infra.docker_daemon_config:
    config:
      hosts: ["fd://", "tcp://0.0.0.0:2376"]
      tls: true
      tlsverify: true
      tlscacert: /etc/ironclad/pki/ca.crt
      tlscert: /etc/ironclad/pki/host.crt
      tlskey: /etc/ironclad/pki/host.key
"""

RETURN = r"""
path:
  description: Path of the file.
  returned: always
  type: str
  sample: /etc/docker/daemon.json
config:
  description: The configuration as written (or as it would be written in check mode).
  returned: always
  type: dict
  sample: {"live-restore": true, "icc": false}
actions:
  description: What changed, one sentence per option.
  returned: always
  type: list
  elements: str
  sample: ["change log-opts.max-size", "set live-restore"]
validation:
  description: Result of each validation step (V(ok), or why it was skipped).
  returned: always
  type: dict
  sample: {"schema": "ok", "dockerd": "skipped (dockerd 20.10.24 has no --validate (Docker 23+ has it))"}
dockerd_version:
  description: Version of the installed dockerd, if any.
  returned: always
  type: str
  sample: 20.10.24
backup_file:
  description: Path of the backup of the previous file.
  returned: when O(backup=true) and the file changed
  type: str
  sample: /etc/docker/daemon.json.1234.2024-01-01@00:00:00~
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._docker.backend import (
    DaemonConfigBackend,
    DaemonConfigError,
)
from ansible_collections.ironclad.infra.plugins.module_utils._docker.spec import ARGUMENT_SPEC


def main():
    run_module(
        ARGUMENT_SPEC,
        DaemonConfigBackend,
        {DaemonConfigError: "%s"},
        add_file_common_args=True,
    )


if __name__ == "__main__":
    main()
