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
  - Safe over SSH on its own (see O(lockout_guard)) - when the module runs over an SSH session, also
    under C(become), and the change touches the INPUT path of that session's family, it walks the
    session's packets through the new ruleset and refuses one that would drop the running session or a
    new connection from the same client; and O(rollback_timeout) then defaults to 60 seconds, so a
    ruleset that cuts the controller off anyway comes undone by itself.
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
        confirmed with O(confirm). The token to confirm with is returned as RV(rollback_token), and
        RV(rollback_pending) is V(true) while the timer runs.
      - When not given, 60 if the module runs over SSH and the change touches the INPUT path of the session's
        family (a warning says so), else 0. V(0) applies without a timer, also over SSH.
      - With O(persist), the rules files are written only at the confirmation.
      - Uses a transient systemd timer, or a detached process on hosts without systemd.
    type: int
  lockout_guard:
    description:
      - The check that refuses a ruleset which would cut off the SSH session the module runs over.
      - The session is C(SSH_CONNECTION) of the module's environment or, under C(become) (sudo's
        C(env_reset) and su drop it), of the nearest parent process that has it - the login shell the
        escalation started from. Under C(docker exec) there is none, and nothing is checked; a local
        connection started from an SSH login on the host protects that login.
      - Checked when the change touches the chains a packet for the host crosses (raw and mangle
        PREROUTING, mangle, filter and security INPUT, and the user chains they jump to) in the session's
        family. A segment of the running session (conntrack ESTABLISHED) and a new connection from the
        same client to the same port (NEW) must both be accepted; the new one is what the next task and
        the O(confirm) call need.
      - A rule whose answer depends on more than the packet (a rate limit, a mark) is followed both ways;
        when the result is open, the module warns and the rollback timer is the safety net.
    type: dict
    suboptions:
      force:
        description:
          - Apply even when the new ruleset would drop the session (a warning is returned). Without
            O(rollback_timeout), the default timer of 60 seconds then restores the previous ruleset.
        type: bool
        default: false
      client_address:
        description:
          - The address the controller connects from, as the host sees it, for a session the host cannot
            see (for example behind a port forward). Default is the detected session's client address.
        type: str
      server_port:
        description: The SSH port to keep open. Default is the detected session's server port, else 22.
        type: int
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
# Each example below is one sequence; examples are separated by a blank line, the tasks of one
# sequence are not (a test runs every sequence over SSH).
- name: Commit-confirm - default-deny inbound, SSH from the admin network, web from anywhere ...
  ironclad.infra.iptables_ruleset:
    chains:
      - name: INPUT
        policy: DROP
        rules:
          - -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
          - -i lo -j ACCEPT
          - "-p tcp --dport 22 -s {{ admin_network }} -j ACCEPT"
          - rule: -p tcp -m multiport --dports 80,443 -j ACCEPT
            comment: web
          - -p icmp --icmp-type echo-request -j ACCEPT
          - -p ipv6-icmp -j ACCEPT
      - name: FORWARD
        policy: DROP
    persist: true
  register: fw
- name: ... reconnect, so the confirmation proves the controller can still get in ...
  ansible.builtin.meta: reset_connection
- name: ... and confirm (a host the controller cannot reach restores the previous ruleset by itself)
  ironclad.infra.iptables_ruleset:
    confirm: "{{ fw.rollback_token }}"
  when: fw.rollback_pending

- name: On a Docker host, also restrict what reaches published container ports ...
  ironclad.infra.iptables_ruleset:
    family: [ipv4]
    chains:
      - name: INPUT
        policy: DROP
        rules:
          - -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
          - -i lo -j ACCEPT
          - "-p tcp --dport 22 -s {{ admin_network }} -j ACCEPT"
      - name: DOCKER-USER
        create: false
        rules:
          - -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
          - -i eth0 -s 10.0.0.0/8 -j RETURN
          - -i eth0 -j DROP
          - -j RETURN
  register: fw_docker
- name: ... reconnect ...
  ansible.builtin.meta: reset_connection
- name: ... and confirm
  ironclad.infra.iptables_ruleset:
    confirm: "{{ fw_docker.rollback_token }}"
  when: fw_docker.rollback_pending
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
rollback_pending:
  description:
    - Whether a rollback timer is armed and waits for O(confirm) - the condition of the confirmation task,
      see the examples. V(false) in check mode, where nothing is armed, and after a confirmation.
  returned: always
  type: bool
  sample: true
rollback_timeout:
  description: Seconds of the rollback timer this call armed (or in check mode would arm); 0 for none.
  returned: when not confirming
  type: int
  sample: 60
lockout_guard:
  description: What the lockout guard found, see O(lockout_guard).
  returned: when not confirming
  type: dict
  contains:
    checked:
      description: Whether the new ruleset was evaluated against the session.
      type: bool
    session:
      description:
        - The SSH session (C(client), C(client_port), C(server), C(server_port)) and where it was found
          (C(source), for example V(environment) or V(process 812 (sudo))); null when the module does not
          run over SSH.
      type: dict
    input_path_changed:
      description: Whether the change touches the INPUT path of the session's family.
      type: bool
    problems:
      description: Why the session would be cut off (the packet and the rule or policy that drops it).
      type: list
      elements: str
    notes:
      description: Packets for which the guard could not tell the answer, and why.
      type: list
      elements: str
    reason:
      description: The outcome in one sentence.
      type: str
  sample:
    checked: true
    session: {"client": "10.0.0.5", "client_port": 51234, "server": "10.0.0.20", "server_port": 22,
              "source": "process 812 (sudo)"}
    input_path_changed: true
    problems: []
    notes: []
    reason: "the SSH session (client 10.0.0.5, server port 22, found in process 812 (sudo)) gets through the new ruleset"
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
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.backend import ApplyError, RulesetBackend
from ansible_collections.ironclad.infra.plugins.module_utils._iptables.spec import ARGUMENT_SPEC


def parameter_error(module):
    timeout = module.params["rollback_timeout"]
    if timeout is not None and timeout < 0:
        return "rollback_timeout must be 0 (off) or a number of seconds, not %d" % timeout
    port = (module.params["lockout_guard"] or {}).get("server_port")
    if port is not None and not 0 < port < 65536:
        return "lockout_guard.server_port must be a port number (1-65535), not %d" % port
    return None


def apply_failure(exc, backend):
    """An ApplyError carries result keys besides its message (rolled_back, the rejected payload)."""
    return dict(msg=exc.msg, **exc.extra)


def main():
    run_module(ARGUMENT_SPEC, RulesetBackend, {ApplyError: apply_failure}, precheck=parameter_error)


if __name__ == "__main__":
    main()
