#!/usr/bin/env bash
# make compat: the collection on the lowest versions it declares, in a second virtual environment.
#   ansible-core   the lower bound of requires_ansible in meta/runtime.yml
#   boto3/botocore the lower bounds in requirements.txt (then the loader tests again on the highest allowed)
#   dnspython      its lower bound in requirements.txt (acm_certificate_request's delegation check)
#   collections    the ones the main .venv has (amazon.aws, community.aws, ...: within galaxy.yml's ranges)
# and runs there the collection's unit tests (plugins and roles, not the test tooling's) and a prod converge on
# the emulator (once: there every task takes the stock path). The emulator runs from the main .venv: it is test tooling.
# COMPAT_ANSIBLE_CORE / COMPAT_BOTOCORE override the versions (the matrix: make compat COMPAT_ANSIBLE_CORE=2.18.0);
# COMPAT_SKIP_CONVERGE=1 runs the unit tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MAIN_PY=$ROOT/.venv/bin/python
SECONDS=0

# The lowest version a requirement allows: its ==, ===, >= or ~= bound.
lowest() {
  "$MAIN_PY" - "$@" <<'PY'
import re, sys
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

source, name = sys.argv[1], sys.argv[2]
if source.endswith("runtime.yml"):
    import yaml
    spec = SpecifierSet(yaml.safe_load(open(source))["requires_ansible"])
else:
    lines = [re.sub(r"(^|\s)#.*", "", line).strip() for line in open(source)]
    lines = [line for line in lines if line and not line.startswith("-")]
    (spec,) = [Requirement(line).specifier for line in lines if line and Requirement(line).name.lower() == name]
bounds = [s.version for s in spec if s.operator in ("==", "===", ">=", "~=")]
if len(bounds) != 1:
    sys.exit(f"compat: {source} gives {name} no single lower bound ({spec})")
print(bounds[0])
PY
}
# The highest version a requirement allows of those the package index has (pip decides).
highest_spec() {
  "$MAIN_PY" - "$@" <<'PY'
import re, sys
from packaging.requirements import Requirement

source, name = sys.argv[1], sys.argv[2]
lines = [re.sub(r"(^|\s)#.*", "", line).strip() for line in open(source)]
lines = [line for line in lines if line and not line.startswith("-")]
(req,) = [Requirement(line) for line in lines if line and Requirement(line).name.lower() == name]
print(f"{req.name}{req.specifier}")
PY
}
pin() { sed -n "s/^$1==\([^ ;]*\).*/\1/p" "${@:2}" 2>/dev/null | head -1; }

RUNTIME=requirements.txt
TOOLCHAIN=$( [ -f test-requirements.txt ] && echo test-requirements.txt || echo requirements.txt )
CORE=${COMPAT_ANSIBLE_CORE:-$(lowest meta/runtime.yml ansible-core)}
BOTOCORE=${COMPAT_BOTOCORE:-$(lowest "$RUNTIME" botocore)}
BOTO3=${COMPAT_BOTO3:-$(lowest "$RUNTIME" boto3)}
DNSPYTHON=$(lowest "$RUNTIME" dnspython)
PYTEST=$(pin pytest "$TOOLCHAIN")
VENV=.cache/compat/core-$CORE-botocore-$BOTOCORE
PY=$ROOT/$VENV/bin/python

# build VENV REQUIREMENT...: a virtual environment with these packages and the collections ours uses, as the main
# .venv has them (the `ansible` package there carries them), linked into its site-packages where ansible-core and the
# tests' imports find them, as the `ansible` package puts them. Rebuilt when the requirements change.
build() {
  local venv=$1
  shift
  [ -f "$venv/.ready" ] && [ "$(cat "$venv/.ready")" = "$*" ] && return
  echo "compat: building $venv ($*)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
  local collections site
  collections=$("$MAIN_PY" -c 'import ansible_collections.amazon.aws as m, pathlib; print(pathlib.Path(m.__path__[0]).parents[1])')
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  mkdir -p "$site/ansible_collections"
  for namespace in amazon community ansible; do
    ln -sfn "$collections/$namespace" "$site/ansible_collections/$namespace"
  done
  echo "$*" > "$venv/.ready"
}
build "$VENV" "ansible-core==$CORE" "boto3==$BOTO3" "botocore==$BOTOCORE" "dnspython==$DNSPYTHON" "pytest==$PYTEST"
"$PY" -c 'import ansible, botocore, boto3; print(f"compat: ansible-core {ansible.__version__}, boto3 {boto3.__version__}, botocore {botocore.__version__}")'

# The controller's side of the collection: the tests of what calls ansible-core or botocore (the action plugins
# and run_in_controller, argument specs, Stubber tests of the API wrappers, module_utils, preflight). The pure
# planning functions' tests (test_plan*.py) call neither, and the tooling's tests (emulator patches, data plane,
# example backend, AWX and EE files) need the toolchain; the backup role's host script runs in the database host's
# own Python: those run in the main .venv only.
UNIT_TESTS=()
for path in tests/unit/*; do
  case "$(basename "$path")" in
    backup | dataplane | test_emulator_*.py | test_example_backend.py | test_execution_environment.py | \
      test_awx_content.py | conftest.py | __pycache__) ;;
    *) UNIT_TESTS+=("$path") ;;
  esac
done
export ANSIBLE_CONFIG=$ROOT/ansible.cfg
"$PY" -m pytest -q -p no:cacheprovider --ignore-glob='*/test_plan*.py' "${UNIT_TESTS[@]}"
echo "compat: unit tests done at ${SECONDS}s"

if [ "${COMPAT_SKIP_CONVERGE:-}" != 1 ]; then
  PATH="$ROOT/$VENV/bin:$PATH" "$MAIN_PY" tools/emulator.py run -- \
    "$PY" -m pytest -q -p no:cacheprovider tests/compat
  echo "compat: prod converge done at ${SECONDS}s"
fi

# The shared botocore loader on the highest boto3 and botocore that requirements.txt allows, too.
# (Nothing more to test while requirements.txt pins botocore.)
if [ -z "${COMPAT_BOTOCORE:-}" ] && [[ "$(highest_spec "$RUNTIME" botocore)" != *"=="* ]]; then
  HIGH=.cache/compat/core-$CORE-botocore-highest
  build "$HIGH" "ansible-core==$CORE" "$(highest_spec "$RUNTIME" boto3)" "$(highest_spec "$RUNTIME" botocore)" \
    "$(highest_spec "$RUNTIME" dnspython)" "pytest==$PYTEST"
  "$HIGH/bin/python" -c 'import botocore; print(f"compat: botocore {botocore.__version__} (the highest allowed)")'
  "$HIGH/bin/python" -m pytest -q -p no:cacheprovider tests/unit/test_run_in_controller.py -k "botocore or loader"
fi
echo "compat: done in ${SECONDS}s"
