# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn inventory into firewall input: host addresses of groups, IPv4/IPv6 split,
"is this address inside these networks", allow-rules for services, and every rule string the firewall
role declares (``firewall_input_rules``, ``firewall_docker_user_rules``), so the rules are written in
one language, here.

Documentation: one YAML file per filter beside this one (``ansible-doc -t filter ironclad.infra.NAME``).
"""

from __future__ import annotations

__metaclass__ = type

import ipaddress
import shlex
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.ironclad.infra.plugins.module_utils._common import validators


def _text(value):
    return str(value).strip()


def _parse(entry, where=None):
    """An address or network written as text -> ip_network (hosts become /32 or /128).

    ``where`` names the variable and element the entry came from (``firewall_ssh_sources[1]``) for the
    message; without it the message names the entry alone.
    """
    text = _text(entry)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise AnsibleFilterError(
            "%s%r is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/64)"
            % ("%s: " % where if where else "", text)
        ) from exc


def _family(value, version, label, what):
    entries = _as_list(value, label or what)
    return [_text(item) for index, item in enumerate(entries)
            if _parse(item, "%s[%d]" % (label or what, index)).version == version]


def _as_list(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        raise AnsibleFilterError("%s must be a list, not a dict" % what)
    try:
        return list(value)
    except TypeError as exc:
        raise AnsibleFilterError("%s must be a list" % what) from exc


def ipv4(value, label=None):
    """Keep the IPv4 addresses and networks of a list (raises on entries that are no address).

    ``label`` is the variable's name for the message (``firewall_ssh_sources[1]: '10.0.0.300' is not ...``).
    """
    return _family(value, 4, label, "ipv4 input")


def ipv6(value, label=None):
    """Keep the IPv6 addresses and networks of a list (raises on entries that are no address)."""
    return _family(value, 6, label, "ipv6 input")


def in_networks(address, networks):
    """True when ``address`` lies inside one of ``networks`` (families never mix)."""
    if address is None or _text(address) == "":
        return False
    target = _parse(address)
    if target.version == 6 and target.num_addresses == 1 and target.network_address.ipv4_mapped:
        # sshd on a dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d
        target = ipaddress.ip_network(target.network_address.ipv4_mapped)
    for network in _as_list(networks, "networks"):
        net = _parse(network)
        if net.version == target.version and target.subnet_of(net):
            return True
    return False


def _host_facts(hostvars, host):
    try:
        hv = hostvars[host]
    except KeyError as exc:
        raise AnsibleFilterError("%s is not a host of the inventory" % host) from exc
    facts = hv.get("ansible_facts") or {}
    return hv, facts


def _usable(address):
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def group_addresses(value, hostvars, groups=None, family="both", all_addresses=False, prefix=False):
    """Addresses of the hosts of some groups (or of a list of hosts), for "allow from" rules.

    Per host: ``ansible_host`` when it is an IP address, plus the default IPv4/IPv6 address from its
    facts (all global addresses with ``all_addresses``). Deduplicated, in inventory order.
    """
    if family not in ("both", "ipv4", "ipv6"):
        raise AnsibleFilterError("family must be both, ipv4 or ipv6, not %r" % family)
    hosts = []
    for item in _as_list(value, "group_addresses input"):
        name = _text(item)
        if groups is not None and name in groups:
            members = groups[name]
        elif name in hostvars:
            members = [name]
        else:
            raise AnsibleFilterError(
                "%s is neither a group nor a host of the inventory%s"
                % (name, "" if groups is not None else " (pass groups=groups to name groups)")
            )
        for member in members:
            if member not in hosts:
                hosts.append(member)
    found = []
    missing = []
    for host in hosts:
        hv, facts = _host_facts(hostvars, host)
        candidates = []
        ansible_host = hv.get("ansible_host")
        if ansible_host:
            try:
                candidates.append(str(ipaddress.ip_address(_text(ansible_host))))
            except ValueError:
                pass
        if all_addresses:
            candidates.extend(facts.get("all_ipv4_addresses") or [])
            candidates.extend(facts.get("all_ipv6_addresses") or [])
        else:
            for key in ("default_ipv4", "default_ipv6"):
                address = (facts.get(key) or {}).get("address")
                if address:
                    candidates.append(address)
        usable = [c for c in candidates if _usable(c)]
        if not usable:
            missing.append(host)
        for address in usable:
            version = ipaddress.ip_address(address).version
            if (family == "ipv4" and version != 4) or (family == "ipv6" and version != 6):
                continue
            text = str(ipaddress.ip_address(address))
            if prefix:
                text = "%s/%d" % (text, 32 if version == 4 else 128)
            if text not in found:
                found.append(text)
    if missing:
        raise AnsibleFilterError(
            "no address known for %s: gather facts for these hosts first (a play or task with "
            "gather_facts/setup on them) or set ansible_host to an IP address" % ", ".join(missing)
        )
    return found


_PROTOCOLS = ("tcp", "udp")


def _service_port(service, where):
    port = service.get("port")
    if port is None or _text(port) == "":
        raise AnsibleFilterError("%s needs a port (22, '8000:8100' or '80,443')" % where)
    problem = validators.port_spec(port)
    if problem:
        raise AnsibleFilterError("%s.port %s, got %s" % (where, problem, validators.show(port)))
    return _text(port).replace(" ", "")


def service_rules(services, hostvars=None, groups=None, target="ACCEPT", label="firewall_services"):
    """Turn a list of services into rules for ``ironclad.infra.iptables_ruleset``.

    A service is a dict with ``name``, ``port``, ``protocol`` (tcp/udp, default tcp), ``sources``
    (addresses/networks; empty = anywhere), ``source_groups`` (inventory groups whose host addresses
    are allowed), ``family`` (both/ipv4/ipv6) and ``interface``. One rule per source; sources of both
    families go to their own family. ``label`` is the variable the list came from, for messages such as
    ``firewall_services[2].port must be ...``.
    """
    rules = []
    for index, service in enumerate(_as_list(services, label)):
        if not isinstance(service, Mapping):
            raise AnsibleFilterError("%s[%d] must be a dict with name and port, not %r" % (label, index, service))
        name = _text(service.get("name") or "service %d" % (index + 1))
        where = "%s[%d]" % (label, index)
        unknown = set(service) - {"name", "port", "protocol", "sources", "source_groups", "family", "interface",
                                  "comment"}
        if unknown:
            raise AnsibleFilterError("%s has unknown keys: %s" % (where, ", ".join(sorted(unknown))))
        port = _service_port(service, where)
        protocol = _text(service.get("protocol") or "tcp").lower()
        if protocol not in _PROTOCOLS:
            raise AnsibleFilterError("%s.protocol must be tcp or udp, got %r" % (where, protocol))
        family = _text(service.get("family") or "both")
        if family not in ("both", "ipv4", "ipv6"):
            raise AnsibleFilterError("%s.family must be both, ipv4 or ipv6, got %r" % (where, family))
        sources = [_text(s) for s in _as_list(service.get("sources"), "%s.sources" % where)]
        for source_index, source in enumerate(sources):
            _parse(source, "%s.sources[%d]" % (where, source_index))
        source_groups = _as_list(service.get("source_groups"), "%s.source_groups" % where)
        if source_groups:
            if hostvars is None:
                raise AnsibleFilterError("%s uses source_groups: pass hostvars=hostvars, groups=groups" % where)
            sources.extend(group_addresses(source_groups, hostvars, groups=groups))
        if family != "both":
            sources = [s for s in sources if _parse(s).version == (4 if family == "ipv4" else 6)]
        if "," in port:
            match = "-p %s -m multiport --dports %s" % (protocol, port)
        else:
            match = "-p %s --dport %s" % (protocol, port)
        if service.get("interface"):
            match = "-i %s %s" % (_text(service["interface"]), match)
        comment = _text(service.get("comment") or name)
        if not sources and (service.get("sources") or source_groups):
            continue  # only sources of the other family: nothing to allow in this one
        seen = []
        for source in sources or [None]:
            if source in seen:
                continue
            seen.append(source)
            if source is None:
                rule = "%s -j %s" % (match, target)
            else:
                rule = "-s %s %s -j %s" % (source, match, target)
            rules.append({"rule": rule, "family": family if source is None and family != "both" else "auto",
                          "comment": comment})
    return rules


# The firewall role's INPUT chain, before and after the rules built from its variables.
_BASE_INPUT_RULES = (
    "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    "-i lo -j ACCEPT",
    "-m conntrack --ctstate INVALID -j DROP",
)
_ICMP_ECHO_RULES = ("-p icmp --icmp-type echo-request -j ACCEPT", "-p ipv6-icmp --icmpv6-type echo-request -j ACCEPT")
# ICMPv6 that IPv6 cannot work without (RFC 4890): errors, and neighbour discovery from on-link only.
_ICMPV6_ERRORS = ("destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem")
_ICMPV6_NEIGHBOUR_DISCOVERY = ("router-solicitation", "router-advertisement", "neighbour-solicitation",
                               "neighbour-advertisement")


def _ssh_allow(sources, ssh_match, comment, what):
    return ["-s %s %s -m comment --comment %s -j ACCEPT" % (_text(source), ssh_match, comment)
            for source in _as_list(sources, what)]


def firewall_input_rules(service_rules, *, ssh_port, ssh_rate_limit, ssh_rate_limit_seconds, ssh_rate_limit_hits,
                         icmp_echo, log_drops, log_limit, log_burst, log_prefix, management_networks=(),
                         ssh_sources=(), extra_rules=()):
    """The rules of the firewall role's INPUT chain, in order: established/loopback/invalid, SSH from the
    management networks, the SSH rate limit and SSH sources (only with ``ssh_sources``), the service rules
    (from :func:`service_rules`), ICMP, ``extra_rules`` as given, and a rate-limited LOG of what the policy
    drops. Strings in the user syntax of ``ironclad.infra.iptables_ruleset``; service and extra rules are
    passed through as they are (strings or rule dicts).
    """
    ssh_match = "-p tcp --dport %s" % ssh_port
    rules = list(_BASE_INPUT_RULES)
    rules.extend(_ssh_allow(management_networks, ssh_match, "ironclad-management-ssh", "management_networks"))
    ssh_sources = _as_list(ssh_sources, "ssh_sources")
    if ssh_sources and ssh_rate_limit:
        rules.append("%s -m conntrack --ctstate NEW -m recent --set --name ironclad-ssh --rsource "
                     "-m comment --comment ironclad-ssh-rate-limit" % ssh_match)
        rules.append("%s -m conntrack --ctstate NEW -m recent --update --seconds %s --hitcount %s --name ironclad-ssh "
                     "--rsource -m comment --comment ironclad-ssh-rate-limit -j DROP"
                     % (ssh_match, ssh_rate_limit_seconds, ssh_rate_limit_hits))
    rules.extend(_ssh_allow(ssh_sources, ssh_match, "ironclad-ssh", "ssh_sources"))
    rules.extend(_as_list(service_rules, "firewall_input_rules input"))
    if icmp_echo:
        rules.extend(_ICMP_ECHO_RULES)
    rules.extend("-p ipv6-icmp --icmpv6-type %s -j ACCEPT" % name for name in _ICMPV6_ERRORS)
    rules.extend("-p ipv6-icmp --icmpv6-type %s -m hl --hl-eq 255 -j ACCEPT" % name for name in _ICMPV6_NEIGHBOUR_DISCOVERY)
    rules.extend(_as_list(extra_rules, "extra_rules"))
    if log_drops:
        prefix = shlex.quote("" if log_prefix is None else str(log_prefix))
        rules.append("-m limit --limit %s --limit-burst %s -j LOG --log-prefix %s" % (log_limit, log_burst, prefix))
    return rules


def firewall_docker_user_rules(interfaces, sources=()):
    """The rules of Docker's DOCKER-USER chain as the firewall role declares it: replies pass, traffic that comes
    in on ``interfaces`` passes only from ``sources`` (every interface and source pair), the rest of it is
    dropped, and everything else returns to Docker's own rules."""
    interfaces = [str(name) for name in _as_list(interfaces, "firewall_docker_user_rules input")]
    sources = [str(source) for source in _as_list(sources, "sources")]
    rules = ["-m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"]
    rules.extend("-i %s -s %s -j RETURN" % (name, source) for name in interfaces for source in sources)
    rules.extend("-i %s -j DROP" % name for name in interfaces)
    rules.append("-j RETURN")
    return rules


class FilterModule:
    """ironclad.infra network filters."""

    def filters(self):
        return {
            "group_addresses": group_addresses,
            "ipv4": ipv4,
            "ipv6": ipv6,
            "in_networks": in_networks,
            "service_rules": service_rules,
            "firewall_input_rules": firewall_input_rules,
            "firewall_docker_user_rules": firewall_docker_user_rules,
        }
