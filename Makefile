# `make run`: the console with embedded S3 servers and the demo workspace.
# `make test`: the whole suite. Each target makes its own virtualenv.

# The first interpreter that really runs and is 3.12 or newer: pyenv's versions, then the
# PATH (pyenv shims exist for versions that are not active, so each one is tried).
PYTHON ?= $(shell for p in $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV) \
	$$(command -v python3.13 python3.12 python3 2>/dev/null); do \
	  "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo "$$p"; exit; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint bench screenshots check-python clean

check-python:
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 or newer is needed: install it or pass PYTHON=/path/to/python3.12"; exit 1; fi

$(VENV)/.installed: pyproject.toml | check-python
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[demo,test]'
	@touch $@

run: $(VENV)/.installed
	PORT=$(PORT) $(PY) manage.py embedded

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) tests/run_suite.py

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: $(VENV)/.installed
	$(PY) bench/run.py

# The guides' pictures (docs/*-guide.md), taken by Playwright from the running console.
screenshots: $(VENV)/.installed
	$(PY) -m pytest tests/screenshots.py -q -p no:cacheprovider

clean:
	rm -rf $(VENV) var
