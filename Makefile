# Two commands do all set-up: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint check-python clean soak

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %d.%d); set PYTHON=python3.11" % sys.version_info[:2])'

$(STAMP): pyproject.toml | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/hotline dev

test: $(STAMP)
	$(BIN)/python -m pytest -m "not soak"

soak: $(STAMP)
	$(BIN)/python -m pytest -m soak -s -q --timeout 900 tests/test_soak.py

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check hotline workers tests bench

clean:
	rm -rf $(VENV) .pytest_cache
