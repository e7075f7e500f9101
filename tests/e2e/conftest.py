"""End-to-end tests: one prod data plane (tools/dataplane), shared by every test of the session.

The session brings prod up once (the emulator, the converge with the example build and release, the
hosts booted from their user data, HAProxy for the ALB) and takes it down at the end, whatever
happened. Tests that change the environment (a release, a restore) leave it serving the release it
had, so that the next test starts from a known state. `make e2e` runs these; so does `make test`.
"""

from __future__ import annotations

import os
import time

import pytest
from dataplane import cli, runner
from dataplane_test import ENV, Plane


@pytest.fixture(scope="session")
def plane():
    """The prod data plane, up for the whole session (State; reload it with plane.reload()).

    WEBSTACK_E2E_REUSE=1 runs the tests against the data plane `make e2e-up ENV=prod` left running, and
    leaves it running (a developer's loop); otherwise the session brings its own up and takes it down.
    """
    if os.environ.get("WEBSTACK_E2E_REUSE") == "1":
        yield Plane(cli.wait_for_api(ENV, timeout=60))
        return
    started = time.monotonic()
    cli.down(ENV)  # whatever an interrupted run left behind
    try:
        state = cli.up(ENV)
        state["up_seconds"] = round(time.monotonic() - started, 1)
        yield Plane(state)
    finally:
        cli.down(ENV)


@pytest.fixture(scope="session")
def staging_plane():
    """Staging's data plane, for the tests that need a second environment (the edge and browser tests:
    its CloudFront domain, its load balancer over HTTP behind the origin-verify header).

    Up on first use, on the same emulator as prod's when that runs, and down at the end of the session;
    WEBSTACK_E2E_REUSE=1 uses the one `make e2e-up ENV=staging` left running.
    """
    if os.environ.get("WEBSTACK_E2E_REUSE") == "1":
        yield Plane(cli.wait_for_api("staging", timeout=60))
        return
    started = time.monotonic()
    cli.down("staging")
    try:
        state = cli.up("staging")
        state["up_seconds"] = round(time.monotonic() - started, 1)
        yield Plane(state)
    finally:
        cli.down("staging")


@pytest.fixture(scope="session")
def aws(plane):
    """boto3 clients on the plane's emulator."""
    import boto3

    saved = dict(os.environ)
    os.environ.update(runner.emulator.client_env(plane.state["emulator"], base={}))
    try:
        yield lambda service: boto3.client(service, region_name="us-east-1")
    finally:
        os.environ.clear()
        os.environ.update(saved)
