"""Resolve entries for every Python process the data plane runs (curl's --resolve, for Python).

The harness puts this directory on PYTHONPATH and the entries in WEBSTACK_DATAPLANE_RESOLVE
("host:port:address" separated by commas). A connection to host:port then goes to address, while
TLS still sends and verifies the host's name, the way DNS would make it. Route 53 records thus
reach the controller's modules (the release check, validation) without touching the machine's DNS.
"""

import os
import socket


def _entries(text):
    table = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        host, port, address = entry.rsplit(":", 2)
        table[(host.lower().rstrip("."), int(port))] = address
    return table


_TABLE = _entries(os.environ.get("WEBSTACK_DATAPLANE_RESOLVE", ""))

if _TABLE and not getattr(socket.getaddrinfo, "_webstack_resolve", False):
    _original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            key = (str(host).lower().rstrip("."), int(port))
        except (TypeError, ValueError):
            key = None
        if key in _TABLE:
            host = _TABLE[key]
        return _original(host, port, *args, **kwargs)

    getaddrinfo._webstack_resolve = True
    socket.getaddrinfo = getaddrinfo
