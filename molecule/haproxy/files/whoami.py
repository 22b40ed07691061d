"""Test backend: answers every GET/HEAD with this host's name (prefixed "tls:" when serving TLS).

/slow?N waits N seconds before answering. Usage: whoami PORT [TLS_BUNDLE]
"""

import http.server
import socket
import ssl
import sys
import time

PORT = int(sys.argv[1])
BUNDLE = sys.argv[2] if len(sys.argv) > 2 else None
NAME = ("tls:" if BUNDLE else "") + socket.gethostname()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/slow"):
            # /slow?3 answers after 3 seconds: a request in flight across a reload.
            time.sleep(float(self.path.partition("?")[2] or 3))
        body = (NAME + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


server = Server(("::", PORT), Handler)
if BUNDLE:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(BUNDLE)
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
