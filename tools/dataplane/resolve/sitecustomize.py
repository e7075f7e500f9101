"""Resolve entries for every Python process the data plane runs (curl's --resolve, for Python).

The harness puts this directory on PYTHONPATH and the state file's path in WEBSTACK_DATAPLANE_STATE.
A connection to host:port listed in the file's `resolve` ("host:port:address") then goes to address,
while TLS still sends and verifies the host's name, the way DNS would make it. The file is read again
when it changes, so names that appear during a run (a load balancer being created) resolve too.
Route 53 records thus reach the controller's modules (the release check, validation) without
touching the machine's DNS.
"""

import json
import os
import socket

_PATH = os.environ.get("WEBSTACK_DATAPLANE_STATE", "")
_CACHE = {"mtime": None, "table": {}}


def _table():
    try:
        mtime = os.stat(_PATH).st_mtime_ns
    except OSError:
        return {}
    if mtime != _CACHE["mtime"]:
        table = {}
        try:
            with open(_PATH) as handle:
                entries = json.load(handle).get("resolve", [])
        except (OSError, ValueError):
            entries = []
        for entry in entries:
            host, port, address = entry.rsplit(":", 2)
            table[(host.lower().rstrip("."), int(port))] = address
        _CACHE.update(mtime=mtime, table=table)
    return _CACHE["table"]


if _PATH and not getattr(socket.getaddrinfo, "_webstack_resolve", False):
    _original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            key = (str(host).lower().rstrip("."), int(port))
        except (TypeError, ValueError):
            key = None
        address = _table().get(key) if key else None
        return _original(address or host, port, *args, **kwargs)

    getaddrinfo._webstack_resolve = True
    socket.getaddrinfo = getaddrinfo
