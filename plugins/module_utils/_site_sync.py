# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for the website sync (s3_site_sync) and its CloudFront invalidation.

No boto3 here: desired state (the local build) + current state (one bucket listing) -> actions.
Unit-tested with plain pytest in tests/unit/s3_site_sync/ and tests/unit/cloudfront_invalidate/.
"""

import fnmatch
import hashlib
import json
import os
import posixpath
import re

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not a target, kept for the import sanity test
    from urllib import quote

# Keys under this prefix belong to the release machinery (manifests); a sync never touches them.
RESERVED_PREFIX = ".webstack/"
# What the last sync left in the bucket ({key: etag}), so that a sync need not list every object.
STATE_KEY = RESERVED_PREFIX + "sync-state.json"
STATE_FORMAT = 1

# The types a web build holds (markup, scripts, styles, data, images, fonts, media). Lower-case extension -> type.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".cjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".gz": "application/gzip",
    ".br": "application/x-brotli",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
DEFAULT_CACHE_CONTROL = "public, max-age=300, must-revalidate"

# First match wins; the user's rules come before these. Patterns are fnmatch globs on the key.
DEFAULT_CACHE_RULES = [
    {"pattern": "*.html", "cache_control": NO_CACHE},
    {"pattern": "service-worker.js", "cache_control": NO_CACHE},
    {"pattern": "sw.js", "cache_control": NO_CACHE},
    {"pattern": "static/*", "cache_control": IMMUTABLE},  # create-react-app: hashed names
    {"pattern": "assets/*", "cache_control": IMMUTABLE},  # Vite: hashed names
]

# A content hash in a file name: main.3f2a1b9c.js, chunk-5e6f7a8b.css, app.3f2a1b9c.chunk.js.
HASHED_NAME = re.compile(r"[.\-_][0-9a-f]{8,}[.\-_]", re.IGNORECASE)

ENCODINGS = {"br": ".br", "gzip": ".gz"}

MULTIPART_CHUNK = 8 * 1024 * 1024


class PlanError(Exception):
    """The desired change is refused (for example too many deletions); the message says how to proceed."""


def content_type_for(key):
    """The Content-Type of a key, by extension (case-insensitive)."""
    ext = posixpath.splitext(key)[1].lower()
    return CONTENT_TYPES.get(ext, DEFAULT_CONTENT_TYPE)


def cache_control_for(key, rules=None, hashed_immutable=True, default=DEFAULT_CACHE_CONTROL):
    """Cache-Control of a key: the first matching user rule, then built-in rules, then the default.

    HTML always matches before the hashed-name heuristic, so index.html is never cached as immutable.
    """
    for rule in list(rules or []) + DEFAULT_CACHE_RULES:
        if fnmatch.fnmatchcase(key, rule["pattern"]) or fnmatch.fnmatchcase(posixpath.basename(key), rule["pattern"]):
            return rule["cache_control"]
    if hashed_immutable and HASHED_NAME.search(posixpath.basename(key)):
        return IMMUTABLE
    return default


def is_excluded(key, excludes):
    """True for reserved keys and keys matched by any exclude glob (never uploaded, never deleted)."""
    if key.startswith(RESERVED_PREFIX):
        return True
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in excludes or [])


def is_html(key):
    return posixpath.splitext(key)[1].lower() in (".html", ".htm")


def md5_etag(data, chunk_size=MULTIPART_CHUNK, multipart_threshold=MULTIPART_CHUNK):
    """The ETag S3 gives `data` when uploaded by us (single PUT or multipart with `chunk_size` parts)."""
    if len(data) < multipart_threshold:
        return f'"{hashlib.md5(data).hexdigest()}"'  # nosec - S3's ETag is MD5; not a security use
    digests = [hashlib.md5(data[i : i + chunk_size]).digest() for i in range(0, len(data), chunk_size)]  # nosec
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'  # nosec


def scan_tree(root, excludes=None, precompressed=None):
    """Walk a build directory: {key: path}. Keys use '/', relative to `root`.

    With `precompressed` set to 'br' or 'gzip', a file `x.js` with a sibling `x.js.br` (or `.gz`) is
    served from the compressed sibling under the key `x.js` (with Content-Encoding), and the siblings
    themselves are not uploaded. Returns ({key: source_path}, {key: encoding or None}).
    """
    files = {}
    root = os.path.normpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        # the key is the path below root; slicing is much cheaper than relpath for 10,000 files
        prefix = "" if dirpath == root else dirpath[len(root) + 1 :].replace(os.sep, "/") + "/"
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            key = prefix + name
            if is_excluded(key, excludes):
                continue
            files[key] = path
    sources, encodings = {}, {}
    suffix = ENCODINGS.get(precompressed or "")
    for key, path in files.items():
        if suffix and key.endswith(suffix) and key[: -len(suffix)] in files:
            continue  # the compressed sibling is served under the original key
        if suffix and key + suffix in files:
            sources[key] = files[key + suffix]
            encodings[key] = precompressed
        else:
            sources[key] = path
            encodings[key] = None
    return sources, encodings


def object_headers(key, encoding=None, cache_rules=None, hashed_immutable=True, default_cache_control=None):
    """The S3 PutObject headers for a key."""
    headers = {
        "ContentType": content_type_for(key),
        "CacheControl": cache_control_for(
            key, cache_rules, hashed_immutable, default_cache_control or DEFAULT_CACHE_CONTROL
        ),
    }
    if encoding:
        headers["ContentEncoding"] = encoding
    return headers


def upload_order(keys):
    """Assets first, HTML last (so a new index.html never points at assets that are not there yet)."""
    return sorted(keys, key=lambda k: (is_html(k), k))


def state_document(objects, excludes):
    """The sync state object's body: the bucket's {key: etag} as the last sync left it."""
    doc = {"format": STATE_FORMAT, "excludes": sorted(excludes or []), "objects": objects}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")


def parse_state(body, excludes):
    """{key: etag} from a sync state, or None when it cannot be trusted.

    Untrusted: unreadable, another format, or written under other exclude patterns (a key excluded
    then is unknown to the state, but would be a deletion candidate now).
    """
    try:
        doc = json.loads(body)
    except (TypeError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT or doc.get("excludes") != sorted(excludes or []):
        return None
    objects = doc.get("objects")
    if not isinstance(objects, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in objects.items()):
        return None
    return objects


def state_after(remote, plan, local, excludes=None):
    """The bucket's {key: etag} once `plan` is applied: remote minus deletions plus uploads."""
    deleted = set(plan["delete"])
    objects = {k: v for k, v in remote.items() if k not in deleted and not is_excluded(k, excludes)}
    objects.update((k, local[k]) for k in plan["upload"])
    return objects


def plan_sync(local, remote, *, excludes=None, delete=True, max_delete=100, force_delete=False, force_upload=False):
    """Plan a sync.

    local:  {key: etag} of the build (as S3 would compute it, quoted).
    remote: {key: etag} from the bucket listing.
    Returns {"upload": [...assets, ...html], "create": [...], "update": [...], "delete": [...], "unchanged": n}.
    Raises PlanError when more than `max_delete` keys would be deleted and `force_delete` is false.
    """
    create = sorted(k for k in local if k not in remote)
    update = sorted(k for k in local if k in remote and (force_upload or remote[k] != local[k]))
    stale = []
    if delete:
        stale = sorted(k for k in remote if k not in local and not is_excluded(k, excludes))
    if len(stale) > max_delete and not force_delete:
        raise PlanError(
            f"refusing to delete {len(stale)} objects (more than max_delete={max_delete}), for example "
            f"{', '.join(stale[:5])}; check the build directory, or raise max_delete / set force_delete=true "
            "if this is intended"
        )
    upload = upload_order(create + update)
    return {
        "upload": upload,
        "create": create,
        "update": update,
        "delete": stale,
        "unchanged": len(local) - len(create) - len(update),
    }


def _url_path(key):
    return "/" + quote(key, safe="/-_.~!$&'()+,;=:@")


def collapse_paths(keys, max_paths=15, dir_threshold=5):
    """CloudFront invalidation paths for changed keys, collapsed to few.

    - every key becomes /key; a changed index.html (any directory) also invalidates its directory URL;
    - a directory with at least `dir_threshold` changed entries becomes /dir/*;
    - while more than `max_paths` remain, the directory covering most paths is collapsed; at worst /*.
    Returns a sorted list; empty when nothing changed.
    """
    paths = set()
    for key in keys:
        if is_excluded(key, None):
            continue
        paths.add(_url_path(key))
        if posixpath.basename(key) == "index.html":
            directory = posixpath.dirname(key)
            paths.add("/" + (quote(directory) + "/" if directory else ""))
    if not paths:
        return []

    def covered(prefix, candidates):
        return [p for p in candidates if p != prefix + "*" and p.startswith(prefix)]

    def best_directory(candidates):
        counts = {}
        for path in candidates:
            parts = path.rstrip("*").split("/")[1:-1]
            for depth in range(1, len(parts) + 1):
                prefix = "/" + "/".join(parts[:depth]) + "/"
                counts[prefix] = counts.get(prefix, 0) + 1
        if not counts:
            return None, 0
        # most paths covered; on a tie the deeper (narrower) directory
        prefix = max(counts, key=lambda p: (counts[p], p.count("/"), p))
        return prefix, counts[prefix]

    dir_threshold = max(2, dir_threshold)
    # Directories with many changed entries collapse regardless of the total.
    while True:
        prefix, count = best_directory(paths)
        if prefix is None or count < dir_threshold:
            break
        paths = {p for p in paths if p not in covered(prefix, paths)}
        paths.add(prefix + "*")
    while len(paths) > max_paths:
        prefix, count = best_directory(paths)
        if prefix is None or count < 2:
            return ["/*"]
        paths = {p for p in paths if p not in covered(prefix, paths)}
        paths.add(prefix + "*")
    return sorted(paths)
