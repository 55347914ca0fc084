# Two commands do all set-up: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint check-python clean soak browser compile

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %d.%d); set PYTHON=python3.11" % sys.version_info[:2])'

$(STAMP): pyproject.toml | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The reading modules compiled with mypyc for the current sources (hotline/engine/native.py): a no-op when
# built; without a C compiler the engine runs as Python, only slower.
compile: $(STAMP)
	@$(BIN)/python -m hotline.engine.native || true

run: $(STAMP) compile
	$(BIN)/hotline dev

# The dashboard's browser tests drive a Chromium: install Debian's when there is none and this can (root
# and apt-get, as on CI); otherwise say how, and those tests skip (on CI, where CI is set, they fail).
browser:
	@command -v chromium >/dev/null 2>&1 || [ -n "$${CHROMIUM_PATH:-}" ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "note: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH): browser tests will skip"

test: $(STAMP) browser compile
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -m "not soak"

soak: $(STAMP)
	$(BIN)/python -m pytest -m soak -s -q --timeout 900 tests/test_soak.py tests/test_redis_failover.py

bench: $(STAMP) compile
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check hotline workers tests bench

clean:
	rm -rf $(VENV) .pytest_cache
