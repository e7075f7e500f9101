"""Content-Type and Cache-Control of website keys."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _site_sync as plan

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("static/js/main.3f2a1b9c.js", "text/javascript; charset=utf-8"),
        ("app.mjs", "text/javascript; charset=utf-8"),
        ("static/css/main.0a1b2c3d.css", "text/css; charset=utf-8"),
        ("asset-manifest.json", "application/json"),
        ("logo.svg", "image/svg+xml"),
        ("a.png", "image/png"),
        ("a.JPG", "image/jpeg"),
        ("a.webp", "image/webp"),
        ("a.avif", "image/avif"),
        ("favicon.ico", "image/x-icon"),
        ("f.woff", "font/woff"),
        ("f.woff2", "font/woff2"),
        ("f.ttf", "font/ttf"),
        ("m.wasm", "application/wasm"),
        ("static/js/main.js.map", "application/json"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("sitemap.xml", "application/xml"),
        ("site.webmanifest", "application/manifest+json"),
        ("LICENSE", "application/octet-stream"),
    ],
)
def test_content_type_for_every_web_type(key, content_type):
    assert plan.content_type_for(key) == content_type


@pytest.mark.parametrize(
    ("key", "rules", "expected"),
    [
        ("index.html", [], "no-cache"),
        ("docs/index.html", [], "no-cache"),
        ("static/js/main.3f2a1b9c.js", [], IMMUTABLE),
        ("static/media/logo.svg", [], IMMUTABLE),
        ("assets/index-5e6f7a8b.js", [], IMMUTABLE),
        ("img/hero.5e6f7a8b9c.png", [], IMMUTABLE),  # hashed name outside static/
        ("service-worker.js", [], "no-cache"),
        ("favicon.ico", [], plan.DEFAULT_CACHE_CONTROL),
        ("manifest.json", [], plan.DEFAULT_CACHE_CONTROL),
        ("manifest.json", [{"pattern": "manifest.json", "cache_control": "public, max-age=60"}], "public, max-age=60"),
        # user rules come first, even over the HTML default
        ("index.html", [{"pattern": "*.html", "cache_control": "public, max-age=10"}], "public, max-age=10"),
        # a glob matches the file name in any directory
        ("a/b/robots.txt", [{"pattern": "robots.txt", "cache_control": "max-age=1"}], "max-age=1"),
    ],
)
def test_cache_control_rules(key, rules, expected):
    assert plan.cache_control_for(key, rules) == expected


def test_html_with_a_hash_is_still_no_cache():
    assert plan.cache_control_for("page.3f2a1b9c0d.html") == "no-cache"


def test_hashed_heuristic_can_be_turned_off():
    assert plan.cache_control_for("img/hero.5e6f7a8b9c.png", hashed_immutable=False) == plan.DEFAULT_CACHE_CONTROL


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [(None, None), ("br", "br"), ("gzip", "gzip")],
)
def test_object_headers_content_encoding(encoding, expected):
    headers = plan.object_headers("static/js/main.3f2a1b9c.js", encoding)
    assert headers["ContentType"] == "text/javascript; charset=utf-8"
    assert headers["CacheControl"] == IMMUTABLE
    assert headers.get("ContentEncoding") == expected
