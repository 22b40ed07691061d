# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network probes of the platform scenario, run on a scenario host with python3 -c (stdlib only).

Every command prints one JSON document:
  tcp TARGETS_JSON [TIMEOUT]   connect to [name, port, family] targets at once; per target one of
                               "open", "refused", "dropped" (no answer: a firewall DROP) or "error: ..."
  https URL [--count N] [--server-name NAME] [--wait S]
                               GET the URL N times with the certificate checked against the CA and
                               the name; the bodies, statuses and errors
  http URL                     one plain-HTTP GET without following redirects: status and Location
"""

import argparse
import concurrent.futures
import http.client
import json
import socket
import ssl
import time
import urllib.parse

CA = "/etc/ironclad/pki/ca.crt"


def probe(target, timeout):
    name, port, family = target
    family = socket.AF_INET6 if int(family) == 6 else socket.AF_INET
    try:
        address = socket.getaddrinfo(name, port, family, socket.SOCK_STREAM)[0][4]
    except socket.gaierror as exc:
        return "error: %s" % exc
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
        return "open"
    except TimeoutError:
        return "dropped"
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        return "error: %s" % exc
    finally:
        sock.close()


def cmd_tcp(args):
    targets = json.loads(args.targets)
    with concurrent.futures.ThreadPoolExecutor(max(1, len(targets))) as pool:
        results = list(pool.map(lambda target: probe(target, args.timeout), targets))
    print(json.dumps(results))


def get(url, server_name):
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=CA)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    sock = socket.create_connection((parts.hostname, parts.port or 443), timeout=10)
    tls = context.wrap_socket(sock, server_hostname=server_name or parts.hostname)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, context=context, timeout=10)
    connection.sock = tls
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace").strip(), tls.version()
    finally:
        connection.close()


def cmd_https(args):
    answers, errors = [], []
    deadline = time.monotonic() + args.wait
    while len(answers) < args.count:
        try:
            status, body, version = get(args.url, args.server_name)
            if status != 200 and time.monotonic() < deadline:
                time.sleep(1)  # the backends may just be coming up: wait for their health checks
                continue
            answers.append({"status": status, "body": body, "tls": version})
        except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
            if isinstance(exc, ssl.SSLCertVerificationError) or time.monotonic() >= deadline:
                errors.append("%s: %s" % (type(exc).__name__, exc))
                break
            time.sleep(1)
    print(json.dumps({"answers": answers, "errors": errors}))


def cmd_http(args):
    parts = urllib.parse.urlsplit(args.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        print(json.dumps({"status": response.status, "location": response.getheader("Location")}))
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    tcp = commands.add_parser("tcp")
    tcp.add_argument("targets")
    tcp.add_argument("timeout", type=float, nargs="?", default=3.0)
    https = commands.add_parser("https")
    https.add_argument("url")
    https.add_argument("--count", type=int, default=1)
    https.add_argument("--server-name", default="")
    https.add_argument("--wait", type=float, default=0)
    plain = commands.add_parser("http")
    plain.add_argument("url")
    args = parser.parse_args()
    globals()["cmd_" + args.command](args)


if __name__ == "__main__":
    main()
