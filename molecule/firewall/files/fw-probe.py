# Probe client for the firewall scenario. Arguments: proto/address/port ... (IPv6 in brackets).
# Prints one JSON object: {"tcp/10.0.0.5/8080": "open" | "refused" | "timeout" | "error: ..."};
# "open" means the probe listener (or sshd) answered with its banner.
# All probes run in parallel; each waits at most 3 s.
import json
import socket
import sys
import threading

TIMEOUT = 3.0
results = {}


def probe(spec):
    proto, rest = spec.split("/", 1)
    address, port = rest.rsplit("/", 1)
    address = address.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(family, kind)
    sock.settimeout(TIMEOUT)
    try:
        sock.connect((address, int(port)))
        if proto == "udp":
            sock.send(b"ping")
        data = sock.recv(64)
        results[spec] = "open" if data.startswith((b"open", b"SSH-")) else "error: %r" % data
    except TimeoutError:
        results[spec] = "timeout"
    except ConnectionRefusedError:
        results[spec] = "refused"
    except OSError as exc:
        results[spec] = "error: %s" % exc
    finally:
        sock.close()


threads = [threading.Thread(target=probe, args=(spec,)) for spec in sys.argv[1:]]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(results, sort_keys=True))
