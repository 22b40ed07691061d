# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test client of the rabbitmq scenario (runs on the client host with Debian's python3-pika).

Every command prints one JSON document:
  publish   delete and declare a queue, publish N persistent messages with publisher confirms
  consume   consume N messages, check every body against its own digest, ack them
  login     try to open an AMQPS connection with the given credentials
  tcp       try a plain TCP connection (for the plain AMQP port that must be refused)
  tls       try a TLS handshake pinned to one protocol version
  https     GET a URL with the CA checked (management API)
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import ssl
import sys
import time
import urllib.request

CA = "/etc/ironclad/pki/ca.crt"


def tls_context(cafile):
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def parameters(args, host):
    import pika

    return pika.ConnectionParameters(
        host=host,
        port=args.port,
        virtual_host=args.vhost,
        credentials=pika.PlainCredentials(args.user, args.password),
        ssl_options=pika.SSLOptions(tls_context(args.cafile), server_hostname=host),
        connection_attempts=3,
        retry_delay=2,
        heartbeat=30,
        blocked_connection_timeout=60,
    )


def connect(args):
    import pika

    return pika.BlockingConnection([parameters(args, host) for host in args.host])


def message(seq):
    payload = base64.b64encode(os.urandom(96)).decode()
    body = {"seq": seq, "payload": payload}
    body["sha256"] = hashlib.sha256(("%d:%s" % (seq, payload)).encode()).hexdigest()
    return json.dumps(body, sort_keys=True).encode()


def cmd_publish(args):
    import pika

    connection = connect(args)
    channel = connection.channel()
    channel.queue_delete(queue=args.queue)
    arguments = {"x-queue-type": args.queue_type} if args.queue_type else None
    channel.queue_declare(queue=args.queue, durable=True, arguments=arguments)
    channel.confirm_delivery()
    digest = hashlib.sha256()
    confirmed = 0
    started = time.monotonic()
    for seq in range(args.count):
        body = message(seq)
        # BlockingChannel with confirms raises on a nack or an unroutable message.
        channel.basic_publish(exchange="", routing_key=args.queue, body=body,
                              properties=pika.BasicProperties(delivery_mode=2, content_type="application/json"),
                              mandatory=True)
        confirmed += 1
        digest.update(body)
    elapsed = time.monotonic() - started
    connection.close()
    print(json.dumps({"published": args.count, "confirmed": confirmed, "digest": digest.hexdigest(),
                      "seconds": round(elapsed, 3), "connected_to": args.host}))


def cmd_consume(args):
    connection = connect(args)
    channel = connection.channel()
    channel.basic_qos(prefetch_count=100)
    seen = {}
    intact = 0
    redelivered = 0
    deadline = time.monotonic() + args.timeout
    started = time.monotonic()
    for method, properties, body in channel.consume(args.queue, inactivity_timeout=5):
        if method is None:
            if time.monotonic() > deadline or len(seen) >= args.count:
                break
            continue
        data = json.loads(body)
        ok = hashlib.sha256(("%d:%s" % (data["seq"], data["payload"])).encode()).hexdigest() == data["sha256"]
        intact += 1 if ok and properties.delivery_mode == 2 else 0
        redelivered += 1 if method.redelivered else 0
        seen[data["seq"]] = body
        channel.basic_ack(method.delivery_tag)
        if len(seen) >= args.count:
            break
    channel.cancel()
    elapsed = time.monotonic() - started
    connection.close()
    digest = hashlib.sha256()
    for seq in sorted(seen):
        digest.update(seen[seq])
    print(json.dumps({"consumed": len(seen), "intact": intact, "redelivered": redelivered,
                      "complete": sorted(seen) == list(range(args.count)), "digest": digest.hexdigest(),
                      "seconds": round(elapsed, 3)}))


def cmd_login(args):
    try:
        connection = connect(args)
    except Exception as exc:  # pika raises several types; the test only needs the outcome
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}))
        return
    connection.close()
    print(json.dumps({"ok": True}))


def cmd_tcp(args):
    try:
        with socket.create_connection((args.host[0], args.port), timeout=5):
            print(json.dumps({"connected": True}))
    except OSError as exc:
        print(json.dumps({"connected": False, "error": "%s: %s" % (type(exc).__name__, exc)}))


def cmd_tls(args):
    version = getattr(ssl.TLSVersion, args.version)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(args.cafile)
    # Let this client offer what the server must refuse: old versions and every cipher.
    context.set_ciphers(args.ciphers)
    context.minimum_version = version
    context.maximum_version = version
    try:
        with socket.create_connection((args.host[0], args.port), timeout=5) as sock:
            with context.wrap_socket(sock, server_hostname=args.host[0]) as tls:
                print(json.dumps({"handshake": True, "version": tls.version(), "cipher": tls.cipher()[0]}))
    except (ssl.SSLError, OSError) as exc:
        print(json.dumps({"handshake": False, "error": "%s: %s" % (type(exc).__name__, exc)}))


def cmd_https(args):
    request = urllib.request.Request(args.url)
    if args.user:
        token = base64.b64encode(("%s:%s" % (args.user, args.password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    context = tls_context(args.cafile) if args.url.startswith("https") else None
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            print(json.dumps({"status": response.status, "body": response.read().decode(errors="replace")}))
    except urllib.error.HTTPError as exc:
        print(json.dumps({"status": exc.code, "error": str(exc)}))
    except (OSError, ssl.SSLError) as exc:
        print(json.dumps({"status": None, "error": "%s: %s" % (type(exc).__name__, exc)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["publish", "consume", "login", "tcp", "tls", "https"])
    parser.add_argument("--host", action="append", default=[])
    parser.add_argument("--port", type=int, default=5671)
    parser.add_argument("--vhost", default="/")
    parser.add_argument("--user", default="guest")
    parser.add_argument("--password", default="guest")
    parser.add_argument("--cafile", default=CA)
    parser.add_argument("--queue", default="test")
    parser.add_argument("--queue-type", default="")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--version", default="TLSv1_2")
    parser.add_argument("--ciphers", default="ALL:@SECLEVEL=0")
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    globals()["cmd_" + args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
