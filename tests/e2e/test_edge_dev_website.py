"""dev's website as AWS serves it: the S3 website endpoint, plain HTTP, anonymous, subject to the bucket policy.

dev has no CloudFront (webstack_website_mode: s3_website, the flagged exception). Its bucket and the
example build are converged on an emulator of this module's own (site.yml, tags frontend and website),
then the edge serves the bucket's website endpoint name on port 80 of dev's website address, as the
resolve entries say; the emulator answers it (index and error documents, anonymous policy checks).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import boto3
import pytest
from edge_http import fetch
from webstack_test import run_playbook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import emulator  # noqa: E402
from dataplane import ca, edge  # noqa: E402
from dataplane.state import State  # noqa: E402

BUCKET = "illustra-dev-frontend"
HOST = f"{BUCKET}.s3-website-us-east-1.amazonaws.com"
BUILD = ROOT / "examples" / "frontend" / "build"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the edge listens on port 80 (root)")


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    proc, endpoint = emulator.start()
    saved = dict(os.environ)
    os.environ.update(emulator.client_env(endpoint))
    state = State("dev", {"emulator": endpoint, "dir": str(tmp_path_factory.mktemp("dev-plane"))})
    try:
        run = run_playbook(
            "playbooks/site.yml",
            "inventories/dev",
            extra_vars={"webstack_confirm": "dev", "website_build_dir": str(BUILD)},
            tags="frontend,website",
        )
        assert run.rc == 0, run.summary()
        state["ca_bundle"] = str(ca.ensure(state.dir))
        state.save()  # the edge publishes what it serves into the saved state (edge.publish): this one
        edge.up(state)
        yield state
    finally:
        edge.down(state)
        state.forget()
        emulator.stop_pid(proc.pid)
        os.environ.clear()
        os.environ.update(saved)


def test_the_website_endpoint_is_served_over_plain_http_only(dev):
    assert dev["website_url"] == f"http://{HOST}/"
    assert f"{HOST}:80:{dev.address('website')}" in dev["resolve"]
    assert not any(entry.startswith(f"{HOST}:443:") for entry in dev["resolve"])
    status, headers, body = fetch(dev, dev["website_url"])
    assert status == 200 and body == (BUILD / "index.html").read_bytes()
    assert headers["content-type"].startswith("text/html")
    # S3 website endpoints have no TLS: nothing listens on 443.
    with pytest.raises(OSError), socket.create_connection((dev.address("website"), 443), timeout=3):
        pass


def test_the_bucket_policy_decides_as_on_aws(dev):
    s3 = boto3.client("s3", region_name="us-east-1")
    policy = s3.get_bucket_policy(Bucket=BUCKET)["Policy"]
    public = [s for s in json.loads(policy)["Statement"] if s.get("Principal") in ("*", {"AWS": "*"})]
    assert public, policy  # the flagged exception: anonymous s3:GetObject
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {**json.loads(policy), "Statement": [s for s in json.loads(policy)["Statement"] if s not in public]}
        ),
    )
    try:
        status, _, body = fetch(dev, dev["website_url"])
        assert status == 403, body[:300]
    finally:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
    status, _, _ = fetch(dev, dev["website_url"])
    assert status == 200
