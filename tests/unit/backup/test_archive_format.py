"""The built-in exporter/importer: mongodump's gzip directory layout, byte-exact BSON round trip.

A small in-memory stand-in for pymongo's Database keeps these tests free of any server; the same
code runs against a real wire-protocol server in tests/integration/test_data.py.
"""

from __future__ import annotations

import datetime
import decimal
import gzip
import json
import re
import uuid

import bson
import pytest
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.raw_bson import RawBSONDocument


class FakeCollection:
    def __init__(self, db, name):
        self.db, self.name = db, name

    def _docs(self):
        return self.db.data.setdefault(self.name, [])

    def find(self, _filter, sort=None):
        docs = [RawBSONDocument(raw) for raw in self._docs()]
        return sorted(docs, key=lambda d: str(d["_id"])) if sort else docs

    def list_indexes(self):
        return [{"v": 2, "key": {"_id": 1}, "name": "_id_"}, *self.db.indexes.get(self.name, [])]

    def drop(self):
        self.db.data.pop(self.name, None)
        self.db.indexes.pop(self.name, None)

    def insert_many(self, docs, ordered=True):
        assert ordered
        self._docs().extend(d.raw for d in docs)

    def create_index(self, keys, **kwargs):
        self.db.indexes.setdefault(self.name, []).append({"v": 2, "key": dict(keys), **kwargs})


class FakeDatabase:
    def __init__(self, name):
        self.name, self.data, self.indexes = name, {}, {}

    def list_collections(self):
        return [{"name": n, "type": "collection", "options": {}} for n in sorted(self.data)] + [
            {"name": "system.views", "type": "collection"},
            {"name": "aview", "type": "view"},
        ]

    def get_collection(self, name, codec_options=None):
        return FakeCollection(self, name)


EVERY_TYPE = {
    "_id": ObjectId("65f000000000000000000001"),
    "double": 1.5,
    "string": "héllo ✓",
    "doc": {"nested": {"deep": [1, 2, {"x": None}]}},
    "array": [1, "two", 3.0],
    "binary": Binary(b"\x00\x01\xff", 0),
    "uuid": Binary.from_uuid(uuid.UUID("12345678-1234-5678-1234-567812345678")),
    "bool": True,
    "date": datetime.datetime(2026, 11, 22, 2, 0, 0, 123000),
    "null": None,
    "regex": Regex("^a.*z$", "im"),
    "code": Code("function(){return 1}"),
    "int32": 7,
    "timestamp": Timestamp(1795315481, 3),
    "int64": Int64(2**40),
    "decimal": Decimal128(decimal.Decimal("1234.5600")),
    "minkey": MinKey(),
    "maxkey": MaxKey(),
    "key.with$odd": "field names survive",
}


@pytest.fixture
def source():
    db = FakeDatabase("app")
    db.data["everything"] = [bson.encode(EVERY_TYPE)]
    db.data["users"] = [bson.encode({"_id": i, "email": f"u{i}@example.com"}) for i in range(2500)]
    db.data["empty"] = []
    db.indexes["users"] = [{"v": 2, "key": {"email": 1}, "name": "email_1", "unique": True}]
    return db


def test_export_writes_mongodump_layout(wmb, source, tmp_path):
    counts = wmb.export_database(source, str(tmp_path))
    assert counts == {"empty": 0, "everything": 1, "users": 2500}
    files = sorted(p.name for p in (tmp_path / "app").iterdir())
    assert files == [f"{c}.{ext}" for c in ("empty", "everything", "users") for ext in ("bson.gz", "metadata.json.gz")]
    # .bson.gz is gzip of plain concatenated BSON documents, exactly what mongodump --gzip writes
    assert gzip.decompress((tmp_path / "app" / "everything.bson.gz").read_bytes()) == bson.encode(EVERY_TYPE)
    assert gzip.decompress((tmp_path / "app" / "empty.bson.gz").read_bytes()) == b""
    meta = json.loads(gzip.decompress((tmp_path / "app" / "users.metadata.json.gz").read_bytes()))
    assert meta["collectionName"] == "users"
    assert meta["type"] == "collection"
    # canonical Extended JSON, as mongodump writes it: numbers are typed
    assert meta["indexes"][0] == {"v": {"$numberInt": "2"}, "key": {"_id": {"$numberInt": "1"}}, "name": "_id_"}
    assert meta["indexes"][1]["unique"] is True


def test_round_trip_is_byte_exact(wmb, source, tmp_path):
    wmb.export_database(source, str(tmp_path))
    target = FakeDatabase("restored")
    target.data["users"] = [bson.encode({"_id": "stale"})]  # restore drops what was there
    counts = wmb.import_database(target, str(tmp_path / "app"))
    assert counts == {"empty": 0, "everything": 1, "users": 2500}
    for name, docs in source.data.items():
        assert sorted(target.data.get(name, [])) == sorted(docs), name
    decoded = bson.decode(target.data["everything"][0])
    assert decoded == {**EVERY_TYPE, "binary": b"\x00\x01\xff"}  # subtype 0 decodes to bytes
    assert isinstance(decoded["int64"], Int64)
    assert target.indexes["users"] == [{"v": 2, "key": {"email": 1}, "name": "email_1", "unique": True}]


def test_read_bson_file_reads_concatenated_documents(wmb, tmp_path):
    docs = [{"_id": i, "v": "x" * i} for i in range(5)]
    path = tmp_path / "c.bson.gz"
    path.write_bytes(gzip.compress(b"".join(bson.encode(d) for d in docs)))
    assert [bson.decode(d.raw) for d in wmb.read_bson_file(str(path))] == docs


def test_truncated_dump_is_an_error(wmb, tmp_path):
    path = tmp_path / "c.bson.gz"
    path.write_bytes(gzip.compress(bson.encode({"_id": 1}) + bson.encode({"_id": 2})[:-3]))
    with pytest.raises(bson.errors.InvalidBSON):
        list(wmb.read_bson_file(str(path)))


def test_real_tool_config_keeps_uri_off_the_command_line(wmb, tmp_path, monkeypatch):
    calls = []

    def fake_run(cmd, check):
        calls.append(cmd)
        conf = cmd[cmd.index("--config") + 1]
        with open(conf) as fh:
            calls.append(fh.read())

    monkeypatch.setattr(wmb.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(wmb.subprocess, "run", fake_run)
    uri = "mongodb://app:s3cret@10.0.0.5:27017/app?authSource=admin"
    assert wmb.dump({"tool": "auto", "uri": uri, "database": "app"}, str(tmp_path)) == "mongodump"
    cmd, conf_text = calls
    assert cmd[0] == "mongodump"
    assert "--gzip" in cmd
    assert not any("s3cret" in part for part in cmd)
    assert conf_text == f'uri: "{uri}"\n'
    assert not list(tmp_path.glob("webstack-mongo-*"))


def test_forced_mongodump_missing_fails(wmb, monkeypatch):
    monkeypatch.setattr(wmb.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=re.escape("--tool mongodump")):
        wmb.use_real_tool("mongodump", "mongodump")
    assert wmb.use_real_tool("auto", "mongodump") is False
