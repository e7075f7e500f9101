"""roles/cloudfront/files/spa_rewrite.js, the viewer-request CloudFront Function, run in node.

The file is what the module publishes as-is; node evaluates it in a fresh context (as CloudFront's runtime
does, with no module system) and calls its handler with CloudFront's event shape.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

FUNCTION = Path(__file__).resolve().parents[3] / "roles" / "cloudfront" / "files" / "spa_rewrite.js"
NODE = shutil.which("node")

HARNESS = """
const vm = require('vm');
const fs = require('fs');
const [file, uris] = [process.argv[1], JSON.parse(process.argv[2])];
const context = vm.createContext({});
vm.runInContext(fs.readFileSync(file, 'utf8'), context);
const out = uris.map((uri) => {
  const event = {version: '1.0', context: {eventType: 'viewer-request'}, viewer: {ip: '192.0.2.1'},
    request: {method: 'GET', uri: uri, querystring: {v: {value: '1'}}, headers: {host: {value: 'example.com'}},
      cookies: {}}};
  const result = context.handler(event);
  return {uri: result.uri, querystring: result.querystring, method: result.method, headers: result.headers};
});
process.stdout.write(JSON.stringify(out));
"""


def run(uris):
    proc = subprocess.run(
        [NODE, "-e", HARNESS, str(FUNCTION), json.dumps(uris)], capture_output=True, text=True, check=True, timeout=30
    )
    return json.loads(proc.stdout)


pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (tools/setup.sh installs nodejs)")


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/", "/index.html"),
        ("/projects/42", "/index.html"),
        ("/settings/", "/index.html"),
        ("/projects/v1.2/edit", "/index.html"),  # a dot in an earlier segment is no extension
        ("/index.html", "/index.html"),
        ("/static/js/main.0badc0de.js", "/static/js/main.0badc0de.js"),
        ("/favicon.ico", "/favicon.ico"),
        ("/manifest.json", "/manifest.json"),
        ("/static/js/missing.js", "/static/js/missing.js"),  # a missing asset stays the bucket's error
    ],
)
def test_paths_without_an_extension_get_the_app(uri, expected):
    assert run([uri])[0]["uri"] == expected


def test_the_rest_of_the_request_is_untouched():
    [result] = run(["/projects/42"])
    assert result["method"] == "GET"
    assert result["querystring"] == {"v": {"value": "1"}}
    assert result["headers"] == {"host": {"value": "example.com"}}


def test_the_file_is_plain_es5_for_njs():
    code = FUNCTION.read_text()
    for construct in ("=>", "let ", "const ", "`", "module.exports", "require("):
        assert construct not in code, construct
