"""The emulator also listens on the data plane's network gateways, and never on a wildcard."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import emulator
import pytest


def _listens(address: str, port: int) -> bool:
    want = f"{''.join(f'{int(o):02X}' for o in reversed(address.split('.')))}:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(line.split()[1] == want and line.split()[3] == "0A" for line in lines)


def test_an_extra_address_is_served_on_the_same_port_before_it_exists_on_any_interface():
    # 10.99.0.1 is on no interface of this machine: the listener waits for a bridge to bring it.
    proc, endpoint = emulator.start(listen=["10.99.0.1", "127.0.0.1"])
    try:
        port = int(endpoint.rsplit(":", 1)[1])
        assert _listens("127.0.0.1", port)
        assert _listens("10.99.0.1", port)
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=10) as resp:
            assert resp.status == 200
    finally:
        emulator.stop_pid(proc.pid)
    assert not _listens("10.99.0.1", port)


@pytest.mark.parametrize("address", ["0.0.0.0", "224.0.0.1", "not-an-address", "::1"])
def test_a_wildcard_or_odd_address_is_refused(address):
    with pytest.raises(SystemExit, match="--listen"):
        emulator._check_listen([address])
