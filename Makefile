# Two commands on a fresh machine with Python 3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast setup lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The app when there is a screen; otherwise the headless demo that renders a remix with credits.
run: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(BIN)/studio; else $(BIN)/studio demo; fi

test: $(STAMP)
	$(BIN)/ruff check studio tests bench build_installer.py
	$(BIN)/mypy studio
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The inner loop: core, media, services, CLI and the layer rules, without the slow, PostgreSQL, S3 and Qt
# markers (a few of these still start a `studio` or server process). Server, sync, app and installer: `make test`.
test-fast: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 -m "not slow and not postgres and not s3 and not qt" \
		tests/core tests/media tests/services tests/cli tests/test_layers.py

lint: $(STAMP)
	$(BIN)/ruff check studio tests bench build_installer.py
	$(BIN)/mypy studio
	$(BIN)/lint-imports

bench: $(STAMP)
	for b in bench/[!_]*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
