"""Checks run inside the container against the converged server (secantusdb as mongod).

Every check raises on failure; the script prints one line per passed check.
"""

import datetime
import os
import subprocess

from bson import Binary, Decimal128, Int64
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient, errors

KW = {"serverSelectionTimeoutMS": 5000}


def refused(fn):
    try:
        fn()
    except errors.OperationFailure as exc:
        return exc.code
    raise AssertionError("operation was allowed")


anon = MongoClient(os.environ["ANON_URI"], **KW)
print("unauthenticated read refused:", refused(anon.illustra.things.find_one))
print("unauthenticated user listing refused:", refused(lambda: anon.admin.command("usersInfo")))

bad = MongoClient(os.environ["APP_URI"].replace("molecule-app-Pw-1", "wrong"), **KW)
try:
    bad.illustra.command("ping")
    bad.illustra.things.find_one()
    raise AssertionError("wrong password accepted")
except errors.OperationFailure as exc:
    print("wrong password refused:", exc.code)

admin = MongoClient(os.environ["ADMIN_URI"], **KW)
users = {u["user"]: u for u in admin.admin.command("usersInfo")["users"]}
assert users["illustra_app"]["roles"] == [{"role": "readWrite", "db": "illustra"}], users["illustra_app"]
assert {"role": "root", "db": "admin"} in users["admin"]["roles"]
print("users:", sorted(users))

app = MongoClient(os.environ["APP_URI"], **KW)
app.illustra.verify.drop()
app.illustra.verify.insert_one({"_id": 1, "ok": True})
assert app.illustra.verify.find_one({"_id": 1})["ok"] is True
print("app user reads and writes illustra")
print("app user writing another database refused:", refused(lambda: app.other.things.insert_one({"x": 1})))
print("app user reading another database refused:", refused(app.other.things.find_one))
print("app user listing users refused:", refused(lambda: app.admin.command("usersInfo")))

# the backup drill with the installed tool and its installed config (local copy only: no S3 here)
docs = [
    {
        "_id": i,
        "n": Int64(i),
        "d": Decimal128(f"{i}.5"),
        "b": Binary(bytes([i % 256]) * 3, 0),
        "t": datetime.datetime(2026, 1, 1) + datetime.timedelta(seconds=i),
    }
    for i in range(500)
]
app.illustra.drill.drop()
app.illustra.drill.insert_many(docs)
raw = CodecOptions(document_class=RawBSONDocument)


def snapshot():
    return {
        name: sorted(d.raw for d in app.illustra.get_collection(name, codec_options=raw).find())
        for name in sorted(app.illustra.list_collection_names())
    }


before = snapshot()
tool = ["/usr/bin/python3", "/usr/local/sbin/webstack-mongo-backup"]
config = ["--config", "/etc/webstack-backup/config.json", "--bucket", ""]
out = subprocess.run(
    ["runuser", "-u", "webstack-backup", "--", *tool, "backup", *config], check=True, capture_output=True, text=True
)
print("backup as webstack-backup:", out.stdout.strip())
app.illustra.drill.drop()
app.illustra.verify.delete_many({})
assert snapshot() != before
out = subprocess.run([*tool, "restore", *config], check=True, capture_output=True, text=True)
print("restore:", out.stdout.strip())
after = snapshot()
assert after == before, {k: (len(v), len(after.get(k, []))) for k, v in before.items()}
print("drill: every document restored byte for byte:", {k: len(v) for k, v in after.items()})
