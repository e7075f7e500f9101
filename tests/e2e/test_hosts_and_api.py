"""Hosts that really boot: the API through the load balancer stand-in reads MongoDB on the database host."""

from __future__ import annotations

import json

import pytest
from dataplane_test import backend_hosts, database_host

# The example app's seed step (SEED_PRODUCTS) upserts three products; the API lists them by slug.
PRODUCTS_QUERY = """
import json, sys
from pymongo import MongoClient
client = MongoClient(sys.stdin.read().strip(), serverSelectionTimeoutMS=10000)
docs = list(client.get_default_database().products.find({}, {"_id": 0}).sort("slug", 1))
print(json.dumps(docs))
"""


def _mongo_uri(aws) -> str:
    ssm = aws("ssm")
    return ssm.get_parameter(Name="/illustra/prod/mongodb/uri", WithDecryption=True)["Parameter"]["Value"]


def test_every_running_instance_is_a_host_booted_from_its_user_data(plane, aws):
    ec2 = aws("ec2")
    running = {
        i["InstanceId"]
        for r in ec2.describe_instances(
            Filters=[
                {"Name": "tag:Environment", "Values": ["prod"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        for i in r["Instances"]
    }
    assert {c["name"] for c in plane.containers()} == running
    assert len(backend_hosts(plane)) == 2
    for name in running:
        log = plane.exec(name, "cat", "/var/log/webstack-bootstrap.log").stdout
        assert "webstack bootstrap done" in log, log[-2000:]


def test_products_come_from_mongodb_through_the_load_balancer(plane, aws):
    status, body, headers = plane.get("/products")
    assert status == 200, body
    stored = plane.exec(
        database_host(plane), "/opt/webstack-mongodb-modules/bin/python3", "-c", PRODUCTS_QUERY, input=_mongo_uri(aws)
    ).stdout
    assert body["products"] == json.loads(stored)
    assert body["count"] == 3
    # nginx on the host answered (its security headers), behind HAProxy standing in for the ALB.
    assert headers.get("X-Content-Type-Options") == "nosniff"


def test_health_reports_the_database_reachable_and_the_release(plane):
    status, body, _ = plane.get("/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "up"
    assert body["release"] == "1.0.0"


def test_plain_http_is_redirected_to_https(plane):
    import urllib.request

    from dataplane import runner

    url = plane.state["api_url"].replace("https://", "http://") + "/health"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with runner.resolving(plane.state), pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.build_opener(NoRedirect).open(url, timeout=10)
    assert caught.value.code == 301
    assert caught.value.headers["Location"].startswith("https://api.illustra-demo.example.com/")


def test_hosts_reach_their_aws_but_no_package_registry(plane):
    host = backend_hosts(plane)[0]
    probe = (
        "import socket, sys\n"
        "for target in sys.argv[1:]:\n"
        "    host, port = target.rsplit(':', 1)\n"
        "    try:\n"
        "        socket.create_connection((host, int(port)), timeout=5).close(); print(target, 'reached')\n"
        "    except OSError as exc:\n"
        "        print(target, 'unreachable', type(exc).__name__)\n"
    )
    port = plane.state["emulator"].rsplit(":", 1)[1]
    # The emulator through the network's gateway; PyPI's and Debian's mirrors by address (no DNS there).
    out = plane.exec(
        host, "python3", "-c", probe, f"{plane.state['gateway']}:{port}", "151.101.0.223:443", "199.232.2.132:80"
    ).stdout.splitlines()
    assert out[0].endswith("reached"), out
    assert all("unreachable" in line for line in out[1:]), out
    # Nor by name: the hosts have no resolver for the internet's names.
    names = plane.exec(host, "python3", "-c", probe, "pypi.org:443", "deb.debian.org:80").stdout.splitlines()
    assert all("unreachable" in line for line in names), names


def test_the_database_host_was_configured_by_its_own_user_data(plane):
    db = database_host(plane)
    log = plane.exec(db, "cat", "/var/log/webstack-bootstrap.log").stdout
    assert "Configure this database host at boot" in log
    assert plane.exec(db, "systemctl", "is-active", "mongod").stdout.strip() == "active"
    assert plane.exec(db, "systemctl", "is-enabled", "webstack-mongodb-backup.timer").stdout.strip() == "enabled"


def test_validation_reads_the_api_health_by_the_names_the_app_answers(plane):
    """prod's validation expects status ok and database up, as examples/backend answers (it said `healthy`)."""
    report_dir = plane.state.dir / "validate"
    # Run alone, validation is told the endpoints (after site.yml's infrastructure stage it finds them itself).
    endpoints = {"api": f"{plane.state['api_url']}/health", "website": plane.state["website_url"]}
    plane.playbook(
        "validate.yml",
        {"validate_http_gates": True, "validate_report_dir": str(report_dir), "validate_endpoints": endpoints},
        log="validate.log",
    )
    report = json.loads((report_dir / "validate-prod.json").read_text())
    (api,) = [g for g in report["gates"] if g["gate"] == "api_health"]
    assert api["status"] == "ok", api
    assert report["endpoints"]["api"] == "https://api.illustra-demo.example.com/api/health"
