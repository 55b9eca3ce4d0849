# Two entry points for a newcomer: `make demo` and `make test`. Both set up a
# virtual environment in .venv on first use; nothing needs installing by hand.
# `make lint` does the same with the linters and the type checker; `make dist`
# builds the wheel and the sdist into dist/, `make dist-check` installs a fresh
# build in a new environment outside the checkout and runs it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
XLCRM := $(VENV)/bin/xlcrm
DEMO_TODAY := 2026-11-23

.PHONY: setup demo test lint dist dist-check clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The main job on the bundled example, run on a copy so examples/ stays as committed.
demo: setup
	mkdir -p build
	cp examples/demo.xlsx build/demo.xlsx
	$(XLCRM) refresh build/demo.xlsx --today $(DEMO_TODAY) --keep-backups 0
	@echo "Open build/demo.xlsx: the report sheets start with ▸"

# pytest exits 5 when it collects no test; that is not a failure of the code.
test: setup
	$(PY) -m pytest -q; status=$$?; if [ $$status -eq 5 ]; then exit 0; fi; exit $$status

# Style and formatting (ruff), types (mypy, strict), and the package layout (import-linter's contracts);
# all configured in pyproject.toml.
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check xlcrm tests benchmarks
	$(VENV)/bin/ruff format --check xlcrm tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The wheel users install (pipx install dist/xlcrm-<version>-py3-none-any.whl) and the sdist, built from the
# committed files only (git archive): a workbook left in examples/ or tests/, a customer's file say, never goes
# into a distribution, nor does an old xlcrm.egg-info whose list of files setuptools would follow.
dist: setup
	rm -rf dist
	src=$$(mktemp -d) && git archive HEAD | tar -x -C "$$src" \
	    && $(PY) -m build --quiet --outdir "$(CURDIR)/dist" "$$src"; status=$$?; rm -rf "$$src"; exit $$status

# What .ci/run does after the tests: build, install into a new environment outside the checkout, run it there.
dist-check:
	.ci/wheel-smoke

clean:
	rm -rf build dist $(VENV) *.egg-info .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
