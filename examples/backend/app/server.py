"""IllustraDesign-like example backend: a small FastAPI app used as a fixture by the demo and the tests.

Endpoints
- GET /api/health   always 200; ``status`` is ``ok`` when MongoDB answers a ping, ``degraded`` otherwise.
- GET /api/products the product catalogue from MongoDB; 503 with a clear message when the DB is unreachable.

Configuration comes from the environment (the nginx_backend role writes it to the service's EnvironmentFile):
MONGO_URL (secret, from SSM), DB_NAME, MONGO_TIMEOUT_MS, SEED_PRODUCTS (insert the sample catalogue at start).
The release id is the name of the release directory the code runs from (/opt/<app>/releases/<id>), so a
release switch is visible from outside without any extra configuration.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger("illustra.backend")

HERE = Path(__file__).resolve().parent

SAMPLE_PRODUCTS = [
    {"slug": "poster-aurora", "name": "Aurora poster", "category": "prints", "price_cents": 2900},
    {"slug": "mug-sketch", "name": "Sketch mug", "category": "merch", "price_cents": 1500},
    {"slug": "brush-pack", "name": "Procreate brush pack", "category": "digital", "price_cents": 900},
]


def release_info() -> dict:
    """Release id (the directory name) and the artifact's version (release.json written by build_release.py)."""
    version = "dev"
    manifest = HERE / "release.json"
    if manifest.is_file():
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version", "dev")
    return {"release": HERE.name, "version": version}


class Database:
    """Lazily connected MongoDB access; every failure surfaces as ``DatabaseUnavailableError``."""

    def __init__(self, url: str | None, name: str, timeout_ms: int) -> None:
        self.url = url
        self.name = name
        self.timeout_ms = timeout_ms
        self._client: MongoClient | None = None

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def client(self) -> MongoClient:
        if not self.url:
            raise DatabaseUnavailableError("database not configured: MONGO_URL is not set")
        if self._client is None:
            self._client = MongoClient(
                self.url,
                serverSelectionTimeoutMS=self.timeout_ms,
                connectTimeoutMS=self.timeout_ms,
                socketTimeoutMS=self.timeout_ms * 2,
                appname="illustra-backend",
            )
        return self._client

    def ping(self) -> bool:
        try:
            self.client().admin.command("ping")
        except (PyMongoError, DatabaseUnavailableError) as exc:
            log.warning("database ping failed: %s", exc)
            return False
        return True

    def products(self) -> list[dict]:
        try:
            cursor = self.client()[self.name].products.find({}, {"_id": 0}).sort("slug", 1)
            return list(cursor)
        except PyMongoError as exc:
            raise DatabaseUnavailableError(f"database unavailable: {type(exc).__name__}") from exc

    def seed(self) -> None:
        """Upsert the sample catalogue by slug (safe to run from every worker at once)."""
        collection = self.client()[self.name].products
        for product in SAMPLE_PRODUCTS:
            collection.update_one({"slug": product["slug"]}, {"$set": product}, upsert=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class DatabaseUnavailableError(Exception):
    """The database is not configured or does not answer."""


def create_app(database: Database | None = None) -> FastAPI:
    db = database or Database(
        url=os.environ.get("MONGO_URL") or None,
        name=os.environ.get("DB_NAME", "illustra"),
        timeout_ms=int(os.environ.get("MONGO_TIMEOUT_MS", "2000")),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if os.environ.get("SEED_PRODUCTS", "").lower() in ("1", "true", "yes"):
            try:
                db.seed()
            except (PyMongoError, DatabaseUnavailableError) as exc:
                log.warning("sample catalogue not seeded: %s", exc)
        yield
        db.close()

    app = FastAPI(title="IllustraDesign example backend", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.exception_handler(DatabaseUnavailableError)
    async def database_unavailable(_request, exc: DatabaseUnavailableError) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "5"})

    @app.get("/api/health")
    def health() -> dict:
        database = ("up" if db.ping() else "down") if db.configured else "unconfigured"
        return {"status": "ok" if database == "up" else "degraded", "database": database, **release_info()}

    @app.get("/api/products")
    def products() -> dict:
        items = db.products()
        return {"count": len(items), "products": items}

    return app


app = create_app()
