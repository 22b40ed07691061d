#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iptables_ruleset
short_description: Declare a whole iptables/ip6tables ruleset and apply it atomically, with lockout rollback
version_added: 0.1.0
description:
  - Makes the live iptables (IPv4) and ip6tables (IPv6) ruleset of the managed tables equal to the
    declared chains, policies and rules, and removes rules and user chains that are not declared.
  - Compares the way iptables prints rules (C(-p tcp --dport 22) equals C(-p tcp -m tcp --dport 22),
    C(10.0.0.1) equals C(10.0.0.1/32), comment quoting, service names, ICMP type names, default options),
    so a second run with the same input reports no change.
  - Validates the change with C(iptables-restore --test) and applies it in one C(iptables-restore --noflush)
    transaction per family; nothing is applied when a rule is invalid, and the error names the rule.
  - Leaves alone what it does not own, see O(preserve_chains) and O(preserve_rules) - Docker, Kubernetes and
    fail2ban chains, and their jumps from built-in chains, survive an apply.
  - With O(rollback_timeout), the previous ruleset comes back by itself unless a second call with
    O(confirm) arrives in time; see the examples for the commit-confirm pattern.
author:
  - ironclad.infra contributors (@ironclad)
attributes:
  check_mode:
    support: full
    description: Reports the rules that would be added and removed; changes nothing.
  diff_mode:
    support: full
    description: Shows per chain the rules and policy before and after.
  idempotent:
    support: full
    description: A second run with the same input reports no change.
options:
  family:
    description:
      - Which families to manage; V(ipv4) uses C(iptables-*), V(ipv6) uses C(ip6tables-*).
    type: list
    elements: str
    choices: [ipv4, ipv6]
    default: [ipv4, ipv6]
  tables:
    description:
      - The tables this module owns. Chains of other tables are never touched.
      - Defaults to V(filter) plus every table named in O(chains[].table).
      - Managing V(nat) on a Docker host removes Docker's MASQUERADE rules for published ports unless
        O(preserve_rules) keeps them.
    type: list
    elements: str
    choices: [raw, mangle, nat, filter, security]
  chains:
    description:
      - The declared chains. Built-in chains of a managed table that are not listed get policy V(ACCEPT)
        and no rules (apart from preserved ones). User chains that are not listed are deleted unless
        preserved.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Chain name, a built-in one (V(INPUT)) or a user chain.
        type: str
        required: true
      table:
        description: Table of the chain.
        type: str
        default: filter
        choices: [raw, mangle, nat, filter, security]
      policy:
        description:
          - Policy of a built-in chain; V(ACCEPT) when not given. User chains have no policy.
        type: str
        choices: [ACCEPT, DROP]
      rules:
        description:
          - Rules in order, each written like the arguments of C(iptables -A CHAIN), for example
            V(-p tcp --dport 22 -s 10.0.0.0/8 -j ACCEPT). Shell-like quoting works.
          - A rule can also be a dict with C(rule), C(family) (V(auto), V(both), V(ipv4), V(ipv6)) and
            C(comment) (added as C(-m comment --comment)).
          - With C(family=auto) (the default) a rule with IPv4 addresses, C(-p icmp) or an ICMPv4 reject type
            goes only to IPv4, one with IPv6 addresses or C(-p ipv6-icmp) only to IPv6, any other to both.
          - A comma list in C(-s) or C(-d) becomes one rule per address, as with iptables.
        type: list
        elements: raw
        default: []
      create:
        description:
          - When V(false), the chain is managed only if it exists already (for example V(DOCKER-USER),
            which Docker creates); otherwise it is skipped and listed in RV(skipped_chains).
        type: bool
        default: true
      family:
        description: Families in which this chain is declared.
        type: list
        elements: str
        choices: [ipv4, ipv6]
        default: [ipv4, ipv6]
  preserve_chains:
    description:
      - Shell-style patterns of chains owned by other software. Undeclared chains that match are never
        changed, and the rules that jump to them from built-in chains are kept at the top of those chains.
      - A declared chain is owned by this module even when it matches (for example V(DOCKER-USER)).
    type: list
    elements: str
    default: ['DOCKER*', 'KUBE-*', 'f2b-*', 'CNI-*', 'cali-*', 'LIBVIRT_*']
  preserve_rules:
    description:
      - Python regular expressions matched against rules of built-in chains as C(iptables-save) prints them
        (V(-A FORWARD -o docker0 -j DOCKER)). Matching rules are kept, at the top of their chain.
      - The default keeps Docker's rules for its bridges C(docker0) and C(br-<id>).
    type: list
    elements: str
    default: ['(^| )-[io] (docker[0-9]+|br-[0-9a-f]{12})( |$)']
  rollback_timeout:
    description:
      - When above 0 and the ruleset changes, the previous ruleset is restored after this many seconds unless
        confirmed with O(confirm). The token to confirm with is returned as RV(rollback_token).
      - With O(persist), the rules files are written only at the confirmation.
      - Uses a transient systemd timer, or a detached process on hosts without systemd.
    type: int
    default: 0
  confirm:
    description:
      - Confirm an earlier apply made with O(rollback_timeout), given its RV(rollback_token). Stops the
        rollback and writes the rules files if that apply asked for O(persist). All other options are
        ignored. Fails if the rollback already happened.
    type: str
  persist:
    description:
      - Write the owned ruleset to O(persist_paths) (the files C(netfilter-persistent) loads at boot), only
        after a successful apply (or confirmation).
      - The files hold the owned part only; Docker and others recreate their chains when they start.
    type: bool
    default: false
  persist_paths:
    description: Where to persist each family.
    type: dict
    suboptions:
      ipv4:
        description: Rules file for IPv4.
        type: path
        default: /etc/iptables/rules.v4
      ipv6:
        description: Rules file for IPv6.
        type: path
        default: /etc/iptables/rules.v6
  state_dir:
    description: Directory for rollback scripts and state (a tmpfs such as C(/run) is right).
    type: path
    default: /run/ironclad-iptables
notes:
  - Needs C(iptables-save) and C(iptables-restore) (and the ip6tables ones for IPv6). Works with the nf_tables and
    the legacy backend.
  - Rules that iptables prints differently than the normaliser expects make every run report a change; the
    module then warns after applying and shows both forms.
seealso:
  - module: ansible.builtin.iptables
  - name: iptables-restore(8)
    description: The restore file format.
    link: https://manpages.debian.org/bookworm/iptables/iptables-restore.8.en.html
requirements:
  - iptables
"""

EXAMPLES = r"""
- name: Default-deny inbound, SSH from the admin network, web from anywhere
  ironclad.infra.iptables_ruleset:
    chains:
      - name: INPUT
        policy: DROP
        rules:
          - -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
          - -i lo -j ACCEPT
          - -p tcp --dport 22 -s 10.0.0.0/8 -j ACCEPT
          - rule: -p tcp -m multiport --dports 80,443 -j ACCEPT
            comment: web
          - -p icmp --icmp-type echo-request -j ACCEPT
          - -p ipv6-icmp -j ACCEPT
      - name: FORWARD
        policy: DROP
    persist: true

- name: Commit-confirm - apply with a rollback timer ...
  ironclad.infra.iptables_ruleset:
    chains: "{{ my_chains }}"
    rollback_timeout: 60
    persist: true
  register: fw

- name: ... reconnect, so the confirmation proves the controller can still get in
  ansible.builtin.meta: reset_connection

- name: ... and confirm (an unreachable host is rolled back by itself)
  ironclad.infra.iptables_ruleset:
    confirm: "{{ fw.rollback_token }}"
  when: fw.rollback_token

- name: Restrict what reaches published Docker ports, if Docker is there
  ironclad.infra.iptables_ruleset:
    family: [ipv4]
    chains:
      - name: INPUT
        policy: DROP
        rules: ["-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-i lo -j ACCEPT"]
      - name: DOCKER-USER
        create: false
        rules:
          - -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
          - -i eth0 -s 10.0.0.0/8 -j RETURN
          - -i eth0 -j DROP
          - -j RETURN
"""

RETURN = r"""
added:
  description: Rules added, with family, table, chain, position (1-based, after the change) and canonical rule.
  returned: always
  type: list
  elements: dict
  sample: [{"family": "ipv4", "table": "filter", "chain": "INPUT", "position": 3, "rule": "-p tcp -m tcp --dport 22 -j ACCEPT"}]
removed:
  description: Rules removed, with family, table, chain, position (1-based, before the change) and rule.
  returned: always
  type: list
  elements: dict
  sample: []
counts:
  description: Number of rules added and removed and of chains changed.
  returned: when not confirming
  type: dict
  sample: {"added": 1, "removed": 0, "chains_changed": 1}
actions:
  description: What was (or in check mode would be) done, one sentence each.
  returned: always
  type: list
  elements: str
  sample: ["ipv4 filter INPUT: add rule 3: -p tcp -m tcp --dport 22 -j ACCEPT"]
rollback_token:
  description: Token to pass to O(confirm); null when no rollback was armed (no change, or no timeout).
  returned: always
  type: str
  sample: 3f2a9c0d1e4b5a67
rollback_method:
  description: How the rollback was armed, V(systemd) (transient timer) or V(process).
  returned: when a rollback was armed
  type: str
  sample: systemd
rollback_deadline:
  description: Unix time at which the rollback fires unless confirmed.
  returned: when a rollback was armed
  type: int
  sample: 1767225600
confirmed:
  description: Whether the confirmation stopped the rollback.
  returned: when confirming
  type: bool
  sample: true
persisted:
  description: Rules files written by this call.
  returned: always
  type: list
  elements: str
  sample: [/etc/iptables/rules.v4]
preserved_chains:
  description: Foreign chains found and left alone, as "family table chain".
  returned: when not confirming
  type: list
  elements: str
  sample: ["ipv4 filter DOCKER", "ipv4 filter DOCKER-USER"]
skipped_chains:
  description: Chains declared with C(create=false) that do not exist, as "family table chain".
  returned: when not confirming
  type: list
  elements: str
  sample: ["ipv6 filter DOCKER-USER"]
"""

from ansible_collections.ironclad.infra.plugins.module_utils._common.runner import run_module
from ansible_collections.ironclad.infra.plugins.module_utils._iptables_apply import (
    ApplyError,
    IptablesRuleset,
    argument_spec,
)


def parameter_error(module):
    if module.params["rollback_timeout"] < 0:
        return "rollback_timeout must be 0 (off) or a number of seconds, not %d" % module.params["rollback_timeout"]
    return None


def apply_failure(exc, backend):
    """An ApplyError carries result keys besides its message (rolled_back, the rejected payload)."""
    return dict(msg=exc.msg, **exc.extra)


def main():
    run_module(argument_spec(), IptablesRuleset, {ApplyError: apply_failure}, precheck=parameter_error)


if __name__ == "__main__":
    main()
