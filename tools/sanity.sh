#!/usr/bin/env bash
# The collection as users get it: `ansible-galaxy collection build` of the checkout (galaxy.yml's build_ignore
# applies), installed into a temporary ansible_collections/illustra/webstack tree, then checked there by
#   - ansible-test sanity (every test: validate-modules, pylint, pep8, import, shebang, yamllint, ...), and
#   - galaxy-importer, the tool Galaxy imports collections with (docs, metadata, role READMEs, ansible-lint).
# Usage: tools/sanity.sh [ansible-test sanity options, e.g. --test shebang]
# SANITY_SKIP_IMPORTER=1 runs ansible-test only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.venv/bin:$PATH"
STARTED=$SECONDS

# ansible-test's pip bootstrap downloads get-pip.py from a host that is not reachable here. A stand-in goes where
# ansible-test caches that script, for the pip version it asks for (24.2 with ansible-core 2.19): it bootstraps
# pip from the interpreter's bundled wheel, then lets pip install what ansible-test asked for.
PIP_VERSION=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -1)
CACHE="$HOME/.ansible/test/cache"
mkdir -p "$CACHE"
CA_BUNDLE=${AWS_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
cat > "$CACHE/get_pip_${PIP_VERSION//./_}.py" <<PY
# Stand-in for get-pip.py (the real one cannot be downloaded here): bootstrap pip from the
# interpreter's bundled wheel, then let pip install what ansible-test asked for.
import ensurepip, subprocess, sys
ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--cert", "$CA_BUNDLE"] + args)
PY

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ansible-galaxy collection build --force --output-path "$WORK/dist" "$ROOT" >/dev/null
TARBALL=$(ls "$WORK"/dist/*.tar.gz)
# --no-deps: the collections ours builds on come from the .venv's ansible package; they are linked beside it
# (ansible-test looks for doc fragments and module_utils under the same ansible_collections root).
ANSIBLE_COLLECTIONS_PATH="$WORK" ansible-galaxy collection install --offline --no-deps --force -p "$WORK" "$TARBALL" >/dev/null
DEST="$WORK/ansible_collections/illustra/webstack"
SITE=$(python -c 'import ansible_collections, os; print([p for p in ansible_collections.__path__ if "site-packages" in p][0])')
for ns in amazon community ansible; do ln -s "$SITE/$ns" "$WORK/ansible_collections/$ns"; done

echo "sanity: ansible-test sanity on $(basename "$TARBALL") ($(tar -tzf "$TARBALL" | wc -l) files)"
(cd "$DEST" && ansible-test sanity --python 3.11 --local --color no "$@")
echo "sanity: ansible-test done in $((SECONDS - STARTED)) s"

[ "${SANITY_SKIP_IMPORTER:-}" = 1 ] && exit 0
bash tools/galaxy_importer.sh "$TARBALL"
echo "sanity: done in $((SECONDS - STARTED)) s"
