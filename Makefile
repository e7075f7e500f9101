# illustra.webstack — every target installs what it needs (apt packages, .venv) on a fresh Debian
# machine first. README: `make demo` and `make test` are the only two commands a newcomer needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Run a command with the local AWS emulator started before and stopped after, whatever happens.
EMULATOR := $(BIN)/python tools/emulator.py run --
PYTEST := $(BIN)/python -m pytest

.PHONY: setup demo test lint sanity unit integration compat molecule e2e e2e-up e2e-down bench clean

setup: $(VENV)/.setup-done
$(VENV)/.setup-done: requirements.txt test-requirements.txt tools/setup.sh tests/e2e/browser/package-lock.json
	bash tools/setup.sh
	touch $@

# The demo starts and stops its own emulator. DEMO_DATAPLANE=prod (or "staging prod", or all) also runs those
# environments as real software, validates them with every HTTP gate on and takes browser screenshots.
demo: setup
	$(BIN)/python tools/demo.py

test: setup
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory compat
	$(MAKE) --no-print-directory molecule
	$(MAKE) --no-print-directory e2e

lint: setup
	yamllint --strict .
	ruff check .
	ruff format --check .
	ansible-lint --offline
	$(BIN)/python tools/gen_role_docs.py --check
	antsibull-changelog lint
	antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@mkdir -p .cache && antsibull-changelog generate --output .cache/CHANGELOG.md --output-format md
	@cmp -s .cache/CHANGELOG.md CHANGELOG.md || { echo "CHANGELOG.md differs from changelogs/changelog.yaml: it is generated (antsibull-changelog generate)"; exit 1; }

sanity: setup
	bash tools/sanity.sh

unit: setup
	$(PYTEST) tests/unit -q

# Two workers, each with its own emulator (tests/conftest.py); a test module stays on one worker.
integration: setup
	$(PYTEST) tests/integration -q -n 2 --dist loadfile

# The lowest versions the collection declares (meta/runtime.yml's ansible-core, requirements.txt's boto3 and
# botocore), in a second venv: the collection's unit tests and a prod converge (tools/compat.sh). The matrix:
# make compat COMPAT_ANSIBLE_CORE=2.18.0 (any declared ansible-core), COMPAT_BOTOCORE=... (any allowed botocore).
compat: setup
	bash tools/compat.sh

molecule: setup
	bash tools/molecule.sh

# The data plane (tools/dataplane): an environment on the emulator, running as real hosts on this machine.
#   make e2e-up ENV=prod   start the emulator if none runs, converge ENV, boot its hosts, serve it; state in
#                          .cache/dataplane/ENV.json.  make e2e-down [ENV=prod]: remove it (every environment
#                          without ENV).  make e2e: the end-to-end tests (tests/e2e).
e2e-up: setup
	$(BIN)/python tools/dataplane up --env $(or $(ENV),prod)

e2e-down: setup
	$(BIN)/python tools/dataplane down --env $(or $(ENV),all)

# One prod data plane shared by every test (tests/e2e/conftest.py), a staging one for the edge and browser
# tests; the session brings them up and takes them down. About 18 min on this machine (the image cached).
e2e: setup
	$(PYTEST) tests/e2e -q -p no:randomly

bench: setup
	$(EMULATOR) $(BIN)/python bench/run.py

clean:
	rm -rf .cache tests/output bench/results reports
