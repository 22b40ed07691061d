# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn inventory into firewall input: host addresses of groups, IPv4/IPv6 split,
"is this address inside these networks", and allow-rules for services.

Documentation: one YAML file per filter beside this one (``ansible-doc -t filter ironclad.infra.NAME``).
"""

from __future__ import annotations

__metaclass__ = type

import ipaddress
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


class FilterModule:
    """ironclad.infra network filters."""

    def filters(self):
        return {
            "group_addresses": group_addresses,
            "ipv4": ipv4,
            "ipv6": ipv6,
            "in_networks": in_networks,
            "service_rules": service_rules,
        }
