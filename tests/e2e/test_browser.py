"""The site in a browser: Debian's headless Chromium through the data plane, for prod and staging.

Chromium reaches the stand-ins only through the resolve entries (--host-resolver-rules, every other
name fails) and trusts only the local CA (by its key, --ignore-certificate-errors-spki-list), with a
new empty profile. playwright-core (pinned in tests/e2e/browser/package-lock.json) drives it. Prod is
opened at its custom domain, staging at its CloudFront domain. On each:
- the app renders the product list it fetched from /api/products, which is MongoDB's data;
- a deep link (/products/<slug>) renders the app's product page (single-page routing at the edge);
- /api/does-not-exist answers the API's JSON 404, not the app's HTML;
- a request the WAF blocks answers 403, not the app.
A screenshot of each page goes to reports/browser-<env>-<page>.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from dataplane import edge  # noqa: E402
from edge_http import fetch  # noqa: E402

DRIVER = ROOT / "tests" / "e2e" / "browser" / "check_site.mjs"
REPORTS = ROOT / "reports"
CHROMIUM = "/usr/bin/chromium"
SLUG = "poster-aurora"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists()
    or not shutil.which("node")
    or not (DRIVER.parent / "node_modules" / "playwright-core").exists(),
    reason="needs Debian's chromium, node and playwright-core (make setup installs them)",
)


def browse(state, pages: list[dict], profile: Path) -> dict:
    """Open the pages in one headless Chromium with a new empty profile; the driver's report."""
    profile.mkdir()
    args = [a for a in edge.chromium_args(state, str(profile)) if not a.startswith(("--headless", "--user-data-dir"))]
    plan = {"executable": CHROMIUM, "userDataDir": str(profile), "args": args, "pages": pages}
    plan_path = profile.parent / "plan.json"
    plan_path.write_text(json.dumps(plan))
    done = subprocess.run(
        ["node", str(DRIVER), str(plan_path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("env", ["prod", "staging"])
def test_the_site_in_a_browser(request, env, tmp_path):
    plane = request.getfixturevalue("plane" if env == "prod" else "staging_plane")
    state = plane.reload()
    site = state["website_url"].rstrip("/")
    # prod at its custom domain (Route 53 -> CloudFront), staging at its CloudFront domain.
    if env == "prod":
        assert site == "https://illustra-demo.example.com"
    else:
        assert site.startswith("https://") and site.endswith(".cloudfront.net")
    status, _, body = fetch(state, f"{site}/api/products")
    assert status == 200, body[:300]
    catalogue = json.loads(body)
    assert catalogue["count"] >= 3  # the example app's seed, stored in MongoDB
    REPORTS.mkdir(exist_ok=True)
    pages = [
        {"name": "home", "url": f"{site}/", "wait": "app"},
        {"name": "deep-link", "url": f"{site}/products/{SLUG}", "wait": "app"},
        {"name": "api-404", "url": f"{site}/api/does-not-exist", "wait": "load"},
        {"name": "waf-block", "url": f"{site}/?q=<script>alert(1)</script>", "wait": "load"},
    ]
    for page in pages:
        page["screenshot"] = str(REPORTS / f"browser-{env}-{page['name']}.png")
        Path(page["screenshot"]).unlink(missing_ok=True)
    started = time.monotonic()
    report = browse(state, pages, tmp_path / "profile")
    seen = {page["name"]: page for page in report["pages"]}
    print(f"chromium {report['browser']}: {len(pages)} pages of {env} in {time.monotonic() - started:.1f}s")

    home = seen["home"]
    assert (home["status"], home["view"], home["state"]) == (200, "list", "ready"), home
    assert home["products"] == [p["name"] for p in catalogue["products"]]
    assert {"url": f"{site}/api/products", "status": 200} in home["apiResponses"]

    deep = seen["deep-link"]
    assert (deep["status"], deep["view"], deep["state"]) == (200, "product", "ready"), deep
    assert deep["heading"] == next(p["name"] for p in catalogue["products"] if p["slug"] == SLUG)

    missing = seen["api-404"]
    assert missing["status"] == 404 and missing["contentType"].startswith("application/json"), missing
    assert json.loads(missing["body"]) == {"detail": "Not Found"}
    assert missing["view"] is None  # not the app

    blocked = seen["waf-block"]
    assert blocked["status"] == 403, blocked
    assert blocked["view"] is None and "IllustraDesign" not in blocked["body"]

    for page in pages:
        assert Path(page["screenshot"]).stat().st_size > 1000, page["screenshot"]
