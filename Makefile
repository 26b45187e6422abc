# Two commands on a fresh machine with Python 3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint bench clean

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

lint: $(STAMP)
	$(BIN)/ruff check studio tests bench build_installer.py
	$(BIN)/mypy studio
	$(BIN)/lint-imports

bench: $(STAMP)
	for b in bench/[!_]*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
