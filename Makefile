# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest bench lock clean browser

$(STAMP): pyproject.toml constraints.txt setup.py $(wildcard guardrails/*/*.c)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "uv>=0.4"
	$(VENV)/bin/uv pip install -q --python $(PY) -c constraints.txt -e ".[all,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m integrations.demo_agent $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check guardrails integrations tests benchmarks
	$(VENV)/bin/ruff format --check guardrails integrations tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The web-inbox tests drive Debian's Chromium through Playwright (Playwright's own browser download
# cannot work on these machines). Installed once with apt when missing and we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; }

pytest: $(STAMP) browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(STAMP)
	$(PY) -m benchmarks $(ARGS)

# Regenerate the constraints file CI installs from (run after changing pyproject dependencies).
lock:
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --python-version 3.11 -q -o constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
