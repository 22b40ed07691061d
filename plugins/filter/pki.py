# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PKI filters: certificate facts from PEM, SAN lists from inventory data, sign requests from host results."""

from __future__ import annotations

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509 as x

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6"}


def _require_cryptography():
    if x.CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise AnsibleFilterError("the PKI filters need the Python library cryptography on the controller: %s"
                                 % x.CRYPTOGRAPHY_IMPORT_ERROR)


def x509_info(pem):
    """Facts of the first certificate in ``pem``: subject, issuer, SANs, fingerprint, days until expiry, ..."""
    _require_cryptography()
    certs = x.load_certificates(to_text(pem or ""), "x509_info input")
    if not certs:
        raise AnsibleFilterError("x509_info: the input holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return x.certificate_info(certs[0])


def _get(data, *path):
    for key in path:
        if data is None:
            return None
        try:
            data = data[key]
        except (KeyError, TypeError, IndexError):
            return None
    return data


def _usable_address(value):
    try:
        address = ipaddress.ip_address(to_text(value).split("%", 1)[0])
    except ValueError:
        return None
    if address.is_loopback or address.is_link_local or address.is_unspecified:
        return None
    return address.compressed


def pki_host_sans(host, extra=None, label="pki_certificate_extra_sans"):
    """SANs of a host from its inventory data: inventory name, hostname, FQDN, default IPv4 and IPv6 address.

    ``host`` is ``hostvars[name]``. Facts that were not gathered are skipped, as are loopback names and
    addresses; ``extra`` entries are appended. The result is canonical (``DNS:``/``IP:`` prefixes),
    de-duplicated and ordered (the inventory name first). A bad ``extra`` entry is named as
    ``<label>[index]`` in the error.
    """
    facts = _get(host, "ansible_facts") or {}
    candidates = [
        _get(host, "inventory_hostname"),
        facts.get("hostname") or _get(host, "ansible_hostname"),
        facts.get("fqdn") or _get(host, "ansible_fqdn"),
    ]
    result = []
    for name in candidates:
        if not name:
            continue
        name = to_text(name).lower().rstrip(".")
        address = _usable_address(name)
        if address:
            result.append("IP:%s" % address)
        elif name not in _LOOPBACK_NAMES:
            result.append("DNS:%s" % name)
    for path in (("default_ipv4", "address"), ("default_ipv6", "address")):
        address = _usable_address(_get(facts, *path) or _get(host, "ansible_" + path[0], path[1]) or "")
        if address:
            result.append("IP:%s" % address)
    extra = list(extra or [])
    for index, value in enumerate(extra):
        try:
            x.normalize_san(value)
        except x.PkiError as exc:
            raise AnsibleFilterError("%s[%d]: %s" % (label, index, exc)) from exc
    try:
        return x.normalize_sans(result + extra)
    except x.PkiError as exc:
        raise AnsibleFilterError("pki_host_sans: %s" % exc) from exc


def x509_sign_requests(hosts, hostvars, result_var, sans_key="subject_alt_names"):
    """Sign requests for M(x509_sign) from the registered x509_certificate results of ``hosts``.

    Returns ``[{name: host, csr: ..., subject_alt_names: [...]}]`` for every host whose result in
    ``hostvars[host][result_var]`` has ``issue_required`` and a CSR.
    """
    requests = []
    for name in hosts or []:
        result = _get(hostvars, name, result_var)
        if not result or not _get(result, "issue_required") or not _get(result, "csr"):
            continue
        requests.append({"name": name, "csr": result["csr"], "subject_alt_names": list(_get(result, sans_key) or [])})
    return requests


def ssh_sign_requests(hosts, hostvars, result_var):
    """Requests for M(ssh_ca) from the registered ssh_certificate results of ``hosts``.

    Returns ``[{name: "<host>/<key type>", public_key: ..., principals: [...], type: host}]``.
    """
    requests = []
    for name in hosts or []:
        result = _get(hostvars, name, result_var)
        if not result or not _get(result, "sign_required"):
            continue
        for request in _get(result, "requests") or []:
            requests.append({
                "name": "%s/%s" % (name, request["key_type"]),
                "public_key": request["public_key"],
                "principals": list(request["principals"]),
                "type": "host",
            })
    return requests


def ssh_host_certificates(certificates, host):
    """Pick the certificates of ``host`` from M(ssh_ca)'s result, keyed by key type."""
    prefix = "%s/" % host
    return {name[len(prefix):]: line for name, line in (certificates or {}).items() if name.startswith(prefix)}


class FilterModule:
    def filters(self):
        return {
            "x509_info": x509_info,
            "pki_host_sans": pki_host_sans,
            "x509_sign_requests": x509_sign_requests,
            "ssh_sign_requests": ssh_sign_requests,
            "ssh_host_certificates": ssh_host_certificates,
        }
