# Two commands do all the set-up: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint screenshots bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("primetui needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	@echo "Building $(VENV): a virtual environment with primetui and what its tests need (a minute or two the first time)."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## run the app against the local practice sandbox
	$(BIN)/primetui --demo

test: lint  ## lint, then every test (unit, services, ui, e2e)
	$(BIN)/pytest -q -ra

lint: $(STAMP)  ## style, types and dead code (settings in pyproject.toml)
	$(BIN)/ruff check primetui tests bench scripts
	$(BIN)/mypy
	$(BIN)/vulture

screenshots: $(STAMP)  ## render screenshots/*.svg from the demo
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)  ## start-up time against a bare Textual app
	$(BIN)/python -m compileall -q primetui
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .mypy_cache
