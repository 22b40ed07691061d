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


def _text(value):
    return str(value).strip()


def _parse(entry):
    """An address or network written as text -> ip_network (hosts become /32 or /128)."""
    text = _text(entry)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise AnsibleFilterError(
            "%r is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/64)" % text
        ) from exc


def _is_family(entry, version):
    return _parse(entry).version == version


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


def ipv4(value):
    """Keep the IPv4 addresses and networks of a list (raises on entries that are no address)."""
    return [_text(item) for item in _as_list(value, "ipv4 input") if _is_family(item, 4)]


def ipv6(value):
    """Keep the IPv6 addresses and networks of a list (raises on entries that are no address)."""
    return [_text(item) for item in _as_list(value, "ipv6 input") if _is_family(item, 6)]


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


def _service_port(service, name):
    port = service.get("port")
    if port is None or _text(port) == "":
        raise AnsibleFilterError("service %s needs a port (22, '8000:8100' or '80,443')" % name)
    text = _text(port).replace(" ", "")
    for part in text.split(","):
        bounds = part.split(":")
        if len(bounds) > 2 or not all(b.isdigit() and 0 < int(b) <= 65535 for b in bounds):
            raise AnsibleFilterError(
                "service %s has port %r; use a number, a range like 8000:8100 or a list like 80,443" % (name, port)
            )
    return text


def service_rules(services, hostvars=None, groups=None, target="ACCEPT"):
    """Turn a list of services into rules for ``ironclad.infra.iptables_ruleset``.

    A service is a dict with ``name``, ``port``, ``protocol`` (tcp/udp, default tcp), ``sources``
    (addresses/networks; empty = anywhere), ``source_groups`` (inventory groups whose host addresses
    are allowed), ``family`` (both/ipv4/ipv6) and ``interface``. One rule per source; sources of both
    families go to their own family.
    """
    rules = []
    for index, service in enumerate(_as_list(services, "services")):
        if not isinstance(service, Mapping):
            raise AnsibleFilterError("service %d must be a dict with name and port, not %r" % (index + 1, service))
        name = _text(service.get("name") or "service %d" % (index + 1))
        unknown = set(service) - {"name", "port", "protocol", "sources", "source_groups", "family", "interface",
                                  "comment"}
        if unknown:
            raise AnsibleFilterError("service %s has unknown keys: %s" % (name, ", ".join(sorted(unknown))))
        port = _service_port(service, name)
        protocol = _text(service.get("protocol") or "tcp").lower()
        if protocol not in _PROTOCOLS:
            raise AnsibleFilterError("service %s: protocol must be tcp or udp, not %r" % (name, protocol))
        family = _text(service.get("family") or "both")
        if family not in ("both", "ipv4", "ipv6"):
            raise AnsibleFilterError("service %s: family must be both, ipv4 or ipv6" % name)
        sources = [_text(s) for s in _as_list(service.get("sources"), "sources of %s" % name)]
        for source in sources:
            _parse(source)
        source_groups = _as_list(service.get("source_groups"), "source_groups of %s" % name)
        if source_groups:
            if hostvars is None:
                raise AnsibleFilterError("service %s uses source_groups: pass hostvars=hostvars, groups=groups" % name)
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
