# One command to set up and run the main job, one to set up and run the tests (see README).
PY      ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml .ci/system-packages.txt
	.ci/install-system-packages
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) (Python 3.11)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)          ## build data/warehouse from data/raw (embedded: local files + DuckDB, no server)
	$(BIN)/etl run

test: $(STAMP) lint    ## lint, types, the whole test suite (CI runs exactly this)
	$(BIN)/python -m pytest

lint: $(STAMP)         ## ruff and mypy (configured in pyproject.toml)
	$(BIN)/ruff check src flows bench tests
	$(BIN)/mypy src flows

bench: $(STAMP)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf data/warehouse/* .prefect .tmp
