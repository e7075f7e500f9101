#!/usr/bin/env bash
# galaxy-importer on a built collection tarball: what Galaxy runs when the collection is uploaded (metadata, docs
# of every plugin through ansible-doc, role READMEs, the changelog). Its default configuration is Galaxy's, without
# ansible-test (Galaxy runs that in a container; tools/sanity.sh runs it beside) and ansible-lint (below).
# Usage: tools/galaxy_importer.sh <namespace>-<name>-<version>.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARBALL=$(realpath "$1")
export PATH="$ROOT/.venv/bin:$PATH"
STARTED=$SECONDS

# Its own virtualenv over the .venv's packages (a .pth file puts them after its own): only the pins of
# tools/galaxy-importer-requirements.txt are installed there. Rebuilt when that file changes.
VENV="$ROOT/.cache/galaxy-importer"
PINS=tools/galaxy-importer-requirements.txt
if ! cmp -s "$PINS" "$VENV/requirements.txt" 2>/dev/null; then
  rm -rf "$VENV"
  "$ROOT/.venv/bin/python" -m venv "$VENV"
  shared=$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  "$VENV/bin/python" -c 'import sys, sysconfig; open(sysconfig.get_paths()["purelib"] + "/webstack-venv.pth", "w").write(sys.argv[1] + "\n")' "$shared"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$PINS"
  cp "$PINS" "$VENV/requirements.txt"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Galaxy refuses a collection without a repository URL. The project has no public home yet, so galaxy.yml names
# none; until it does, the check runs on a copy whose MANIFEST.json names a placeholder, and says so.
if ! python -c 'import json, sys, tarfile; sys.exit(0 if json.load(tarfile.open(sys.argv[1]).extractfile("MANIFEST.json"))["collection_info"].get("repository") else 1)' "$TARBALL"; then
  echo "galaxy-importer: galaxy.yml names no repository (Galaxy requires one before publishing); checking with a placeholder"
  mkdir "$WORK/tree" "$WORK/dist"
  tar -xzf "$TARBALL" -C "$WORK/tree"
  python - "$WORK/tree/MANIFEST.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["collection_info"]["repository"] = "https://example.invalid/placeholder-until-published"
json.dump(manifest, open(sys.argv[1], "w"), indent=4)
PY
  tar -czf "$WORK/dist/$(basename "$TARBALL")" -C "$WORK/tree" .
  TARBALL="$WORK/dist/$(basename "$TARBALL")"
fi

# Galaxy's importer logs each finding; an import it refuses ends with "ERROR: The import failed" and exit 1.
# Its ansible-lint pass is off: its findings are warnings that never refuse an import, and `make lint` runs
# ansible-lint (same production profile, fewer rules skipped) on the whole checkout already.
(cd "$WORK" && GALAXY_IMPORTER_TMP_ROOT_DIR="$WORK" GALAXY_IMPORTER_RUN_ANSIBLE_LINT=false \
  "$VENV/bin/python" -m galaxy_importer.main "$TARBALL" >"$WORK/import.log" 2>&1) || {
  grep -v '^Loading ' "$WORK/import.log"
  echo "galaxy-importer: the import failed ($((SECONDS - STARTED)) s)"
  exit 1
}
grep -E '^(WARNING|ERROR)' "$WORK/import.log" || true
echo "galaxy-importer: accepted $(basename "$TARBALL") in $((SECONDS - STARTED)) s"
