# -*- coding: utf-8 -*-
# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AMQPS client of the platform scenario (runs on a broker client with Debian's python3-pika).

  publish NODE QUEUE BODY   declare QUEUE (durable; the vhost makes it a quorum queue) on NODE and
                            publish BODY with a publisher confirm
  consume NODE QUEUE        fetch one message of QUEUE on NODE, ack it and delete the queue

Each connection is TLS only, with the broker's certificate checked against the CA and its name
(server_hostname = NODE), so the answer really comes from NODE. Prints one JSON document.
"""

import argparse
import json
import ssl

import pika

CA = "/etc/ironclad/pki/ca.crt"


def connect(args):
    context = ssl.create_default_context(cafile=CA)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    parameters = pika.ConnectionParameters(
        host=args.node,
        port=5671,
        virtual_host="/",
        credentials=pika.PlainCredentials(args.user, args.password),
        ssl_options=pika.SSLOptions(context, server_hostname=args.node),
        connection_attempts=3,
        retry_delay=2,
    )
    return pika.BlockingConnection(parameters)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["publish", "consume"])
    parser.add_argument("node")
    parser.add_argument("queue")
    parser.add_argument("body", nargs="?", default="")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    connection = connect(args)
    tls = connection._impl._transport._sock  # the TLS socket pika opened: version of the session
    answer = {"node": args.node, "tls": tls.version()}
    channel = connection.channel()
    if args.command == "publish":
        channel.queue_delete(queue=args.queue)
        channel.queue_declare(queue=args.queue, durable=True)
        channel.confirm_delivery()
        # With confirms, BlockingChannel raises on a nack or an unroutable (mandatory) message.
        channel.basic_publish(exchange="", routing_key=args.queue, body=args.body.encode(),
                              properties=pika.BasicProperties(delivery_mode=2), mandatory=True)
        answer["published"] = args.body
    else:
        method, _properties, body = channel.basic_get(queue=args.queue)
        answer["consumed"] = body.decode() if method else None
        if method:
            channel.basic_ack(method.delivery_tag)
        channel.queue_delete(queue=args.queue)
    connection.close()
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
