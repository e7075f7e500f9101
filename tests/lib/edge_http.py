"""Requests as a viewer of the data plane makes them: names through its resolve entries, TLS through its CA."""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from dataplane import runner


def fetch(state, url: str, headers: dict | None = None, timeout: float = 20) -> tuple[int, dict, bytes]:
    """GET `url`: (status, lower-case headers, body); redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    context = ssl.create_default_context(cafile=state["ca_bundle"])
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers={"User-Agent": "webstack-e2e", **(headers or {})})
    with runner.resolving(state):
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
