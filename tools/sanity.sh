#!/usr/bin/env bash
# ansible-test sanity on the collection's plugins. ansible-test wants the collection at
# .../ansible_collections/illustra/webstack, so the checkout is copied into a temporary tree; its
# pip bootstrap downloads a script from a host that is not reachable here, so a stand-in that uses
# ensurepip and the system CA bundle is put where ansible-test caches that script.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.venv/bin:$PATH"
[ -n "$(ls plugins/modules/*.py plugins/filter/*.py 2>/dev/null)" ] || { echo "sanity: no plugins"; exit 0; }

# The pip version ansible-test bootstraps into its virtual environments (24.2 with ansible-core 2.19).
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
DEST="$WORK/ansible_collections/illustra/webstack"
mkdir -p "$DEST"
# The plugins and the metadata that describes them (tools, tests and examples are linted by ruff):
# the files git knows (tracked, or new and not ignored) that exist in the working tree.
git ls-files -co --exclude-standard -z -- galaxy.yml meta plugins | python -c '
import os, sys
sys.stdout.write("".join(p + "\0" for p in sys.stdin.read().split("\0") if p and os.path.isfile(p)))
' | tar --null -T - -cf - | tar -xf - -C "$DEST"
# Collections ours builds on (doc fragments, module_utils) sit beside it, as ansible-test expects.
SITE=$(python -c 'import ansible_collections, os; print([p for p in ansible_collections.__path__ if "site-packages" in p][0])')
for ns in amazon community ansible containers; do ln -s "$SITE/$ns" "$WORK/ansible_collections/$ns"; done
cd "$DEST"
git init -q && git add -A >/dev/null 2>&1 || true
ansible-test sanity --python 3.11 --local --color no "$@"
