"""Test client for the load balancer scenario and benchmarks/haproxy_reload.py. Prints one JSON object.

lbclient.py requests HOST [--count N] [--path P] [--server-name NAME] [--insecure-name]
lbclient.py load HOST --duration S [--concurrency C] [--keepalive]
lbclient.py redirect HOST [--path P]
lbclient.py tls HOST [--server-name NAME]       handshake with each TLS version pinned
lbclient.py cert HOST --server-name NAME        verify the chain against the CA and the name
"""

import argparse
import collections
import http.client
import json
import os
import socket
import ssl
import threading
import time

CA = "/etc/ironclad/pki/ca.crt"


def context(check_hostname=True):
    ctx = ssl.create_default_context(cafile=CA)
    ctx.check_hostname = check_hostname
    return ctx


def cmd_requests(args):
    ctx = context(check_hostname=not args.insecure_name)
    if args.client_cert:
        ctx.load_cert_chain(args.client_cert)
    counts = collections.Counter()
    errors = []
    headers = {}
    for _attempt in range(args.count):
        try:
            sock = socket.create_connection((args.host, args.port), timeout=10)
            tls = ctx.wrap_socket(sock, server_hostname=args.server_name or args.host)
            conn = http.client.HTTPSConnection(args.host, args.port, context=ctx, timeout=10)
            conn.sock = tls
            conn.request("GET", args.path)
            response = conn.getresponse()
            body = response.read().decode(errors="replace").strip()
            headers = {key.lower(): value for key, value in response.getheaders()}
            conn.close()
            if response.status == 200:
                counts[body] += 1
            else:
                errors.append("HTTP %d" % response.status)
        except Exception as exc:  # every failure counts
            errors.append(repr(exc))
    print(json.dumps({"ok": sum(counts.values()), "errors": errors, "by_backend": counts, "headers": headers}))


def cmd_load(args):
    ctx = context(check_hostname=False)
    stop = time.monotonic() + args.duration

    def running():
        if args.stop_file and os.path.exists(args.stop_file):
            return False
        return time.monotonic() < stop

    lock = threading.Lock()
    totals = {"requests": 0, "errors": 0}
    samples = []
    counts = collections.Counter()

    def worker():
        conn = None
        while running():
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection(args.host, 443, context=ctx, timeout=10)
                conn.request("GET", args.path)
                response = conn.getresponse()
                body = response.read().decode(errors="replace").strip()
                good = response.status == 200
                if not args.keepalive or response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                with lock:
                    totals["requests"] += 1
                    if good:
                        counts[body] += 1
                    else:
                        totals["errors"] += 1
                        if len(samples) < 20:
                            samples.append("HTTP %d" % response.status)
            except Exception as exc:  # every failure counts
                if conn is not None:
                    conn.close()
                    conn = None
                with lock:
                    totals["requests"] += 1
                    totals["errors"] += 1
                    if len(samples) < 20:
                        samples.append(repr(exc))

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _index in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(
        json.dumps(
            dict(
                totals,
                seconds=round(elapsed, 2),
                rps=round(totals["requests"] / elapsed, 1),
                error_samples=samples,
                by_backend=counts,
                keepalive=args.keepalive,
                concurrency=args.concurrency,
            )
        )
    )


def cmd_redirect(args):
    conn = http.client.HTTPConnection(args.host, 80, timeout=10)
    conn.request("GET", args.path)
    response = conn.getresponse()
    response.read()
    print(json.dumps({"status": response.status, "location": response.getheader("Location")}))


def cmd_tls(args):
    versions = {
        "TLSv1": ssl.TLSVersion.TLSv1,
        "TLSv1.1": ssl.TLSVersion.TLSv1_1,
        "TLSv1.2": ssl.TLSVersion.TLSv1_2,
        "TLSv1.3": ssl.TLSVersion.TLSv1_3,
    }
    result = {}
    for name, version in versions.items():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(CA)
        # Let this client offer the old versions, so a failure is the server's refusal.
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = version
        ctx.maximum_version = version
        try:
            with socket.create_connection((args.host, 443), timeout=10) as sock:
                with ctx.wrap_socket(sock, server_hostname=args.server_name or args.host) as tls:
                    result[name] = {"accepted": True, "version": tls.version(), "cipher": tls.cipher()[0]}
        except (ssl.SSLError, OSError) as exc:
            result[name] = {"accepted": False, "error": str(exc)}
    print(json.dumps(result))


def cmd_cert(args):
    try:
        with socket.create_connection((args.host, 443), timeout=10) as sock:
            with context().wrap_socket(sock, server_hostname=args.server_name) as tls:
                cert = tls.getpeercert()
                print(json.dumps({"verified": True, "subject": cert.get("subject"), "san": cert.get("subjectAltName")}))
    except (ssl.SSLError, OSError) as exc:
        print(json.dumps({"verified": False, "error": str(exc)}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("requests")
    p.add_argument("host")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--path", default="/")
    p.add_argument("--server-name")
    p.add_argument("--insecure-name", action="store_true", help="verify the chain but not the name")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--client-cert", help="PEM with key and certificate to present")
    p.set_defaults(func=cmd_requests)
    p = sub.add_parser("load")
    p.add_argument("host")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--path", default="/")
    p.add_argument("--keepalive", action="store_true")
    p.add_argument("--stop-file", help="stop early once this file exists")
    p.set_defaults(func=cmd_load)
    p = sub.add_parser("redirect")
    p.add_argument("host")
    p.add_argument("--path", default="/")
    p.set_defaults(func=cmd_redirect)
    p = sub.add_parser("tls")
    p.add_argument("host")
    p.add_argument("--server-name")
    p.set_defaults(func=cmd_tls)
    p = sub.add_parser("cert")
    p.add_argument("host")
    p.add_argument("--server-name", required=True)
    p.set_defaults(func=cmd_cert)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
