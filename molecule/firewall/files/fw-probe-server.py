# Probe listener for the firewall scenario: on every port given, TCP answers "open <port>" and UDP
# echoes "open <port>". Dual-stack (IPv4 and IPv6) sockets.
import socket
import sys
import threading


def tcp(port):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", port))
    sock.listen(16)
    while True:
        conn, _address = sock.accept()
        try:
            conn.sendall(b"open %d\n" % port)
        finally:
            conn.close()


def udp(port):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", port))
    while True:
        _data, peer = sock.recvfrom(512)
        sock.sendto(b"open %d\n" % port, peer)


threads = []
for spec in sys.argv[1:]:
    proto, port = spec.split("/")
    threads.append(threading.Thread(target=tcp if proto == "tcp" else udp, args=(int(port),), daemon=True))
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
