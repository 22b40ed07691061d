# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of ``ironclad.infra.docker_daemon_config``, documented in that module's DOCUMENTATION
(the module adds the common file options: ``add_file_common_args``)."""

from __future__ import annotations

__metaclass__ = type

ARGUMENT_SPEC = dict(
    path=dict(type="path", default="/etc/docker/daemon.json"),
    config=dict(type="dict", required=True),
    unknown_keys=dict(type="str", choices=["refuse", "warn"], default="refuse"),
    dockerd_validate=dict(type="str", choices=["auto", "always", "never"], default="auto"),
    dockerd_path=dict(type="path"),
    allow_unauthenticated_tcp=dict(type="bool", default=False),
    backup=dict(type="bool", default=False),
)
