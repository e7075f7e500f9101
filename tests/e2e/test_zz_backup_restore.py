"""Backups for real: dump the database host's data to S3, restore it into a freshly booted database host.

It replaces the database host, so it runs last (the files run in name order): the backend hosts keep the
connection string they booted with.
"""

from __future__ import annotations

import json
import time

from dataplane import cli
from dataplane_test import database_host

# Counts and a content checksum of the application database, computed on the database host itself.
FINGERPRINT = """
import hashlib, json, sys
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
db = MongoClient(sys.stdin.read().strip(), serverSelectionTimeoutMS=10000).get_default_database()
raw = CodecOptions(document_class=RawBSONDocument)
result = {}
for name in sorted(db.list_collection_names()):
    docs = sorted(d.raw for d in db.get_collection(name, codec_options=raw).find())
    result[name] = {"count": len(docs), "sha256": hashlib.sha256(b"".join(docs)).hexdigest()}
print(json.dumps(result))
"""
SEED = """
import sys
from pymongo import MongoClient
db = MongoClient(sys.stdin.read().strip(), serverSelectionTimeoutMS=10000).get_default_database()
db.orders.insert_many([{"order": i, "items": [i, i * 2], "note": "é" * (i % 7)} for i in range(500)])
"""


def _uri(aws) -> str:
    return aws("ssm").get_parameter(Name="/illustra/prod/mongodb/uri", WithDecryption=True)["Parameter"]["Value"]


def _run(plane, host, script, uri):
    return plane.exec(host, "/opt/webstack-mongodb-modules/bin/python3", "-c", script, input=uri).stdout


def _dumps(aws) -> list[str]:
    s3 = aws("s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("illustra-prod-backups-")]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="mongodb/illustra/").get("Contents", [])
    return sorted(o["Key"] for o in listed)


def test_the_missing_dump_alarm_notifies_the_alert_topic(plane, aws):
    (alarm,) = aws("cloudwatch").describe_alarms(AlarmNames=["illustra-prod-backup-no-successful-dump"])["MetricAlarms"]
    topics = [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]]
    (alerts,) = [t for t in topics if t.endswith(":illustra-prod-alerts")]
    assert alarm["AlarmActions"] == [alerts]


def test_a_dump_restores_into_a_fresh_database_host_with_the_same_documents(plane, aws):
    uri = _uri(aws)
    old_host = database_host(plane)
    _run(plane, old_host, SEED, uri)
    before = json.loads(_run(plane, old_host, FINGERPRINT, uri))
    assert before["orders"]["count"] == 500 and before["products"]["count"] == 3

    dumps_before = _dumps(aws)
    backup = plane.playbook("backup.yml", {}, log="backup.log")
    assert backup.returncode == 0, (plane.state.dir / "backup.log").read_text()[-3000:]
    new_dumps = sorted(set(_dumps(aws)) - set(dumps_before))
    assert len(new_dumps) == 1, new_dumps

    # A freshly booted database host: the instance terminated, the mongodb role runs again, and the new
    # instance configures itself from its user data (an empty database, the same passwords from SSM).
    ec2 = aws("ec2")
    ec2.terminate_instances(InstanceIds=[old_host])
    # The same inputs as the environment's converge (the MongoDB test seam among them); only these roles run.
    data = plane.playbook("site.yml", cli.converge_vars("prod"), args=("--tags", "network,data"), log="data.log")
    assert data.returncode == 0, (plane.state.dir / "data.log").read_text()[-3000:]
    deadline = time.monotonic() + 1200
    new_host = None
    while time.monotonic() < deadline:
        hosts = [c["name"] for c in plane.containers() if not c["labels"].get("webstack.group")]
        new_host = next((h for h in hosts if h != old_host), None)
        facts = plane.reload().get("boots", {}).get(new_host or "", {})
        if new_host and facts.get("user_data") in ("done", "failed"):
            break
        time.sleep(10)
    assert new_host and plane.state["boots"][new_host]["user_data"] == "done", plane.state.get("boots")
    uri = _uri(aws)
    empty = json.loads(_run(plane, new_host, FINGERPRINT, uri))
    assert "orders" not in empty

    refused = plane.playbook("restore.yml", {}, log="restore-refused.log")
    assert refused.returncode != 0
    restored = plane.playbook("restore.yml", {"restore_confirm": True, "restore_name": new_dumps[0]}, log="restore.log")
    assert restored.returncode == 0, (plane.state.dir / "restore.log").read_text()[-3000:]
    after = json.loads(_run(plane, new_host, FINGERPRINT, uri))
    assert after == before
