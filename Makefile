# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RAW ?= raw
WAREHOUSE ?= warehouse/budget.duckdb
# Dagster's home (run history, partitions) stays inside the project, ignored by git.
export DAGSTER_HOME := $(abspath .dagster_home)

.PHONY: setup run test ui sample lint format clean

setup: $(BIN)/.installed $(DAGSTER_HOME)/dagster.yaml

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

run: setup
	$(BIN)/python -m pipelines run --raw "$(RAW)" --warehouse "$(WAREHOUSE)"

test: setup
	$(BIN)/python -m pytest

ui: setup
	COUNTY_RAW_DIR="$(abspath $(RAW))" COUNTY_WAREHOUSE="$(abspath $(WAREHOUSE))" \
		$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Regenerate the synthetic sample county shipped in raw/ (deterministic).
sample: setup
	rm -rf raw/2023 raw/2024
	$(BIN)/python -m pipelines.sample --out raw --departments 10 --years 2023 2024 --seed 20241

lint: setup
	$(BIN)/ruff format --check pipelines tests
	$(BIN)/ruff check pipelines tests

format: setup
	$(BIN)/ruff format pipelines tests
	$(BIN)/ruff check --fix pipelines tests

clean:
	rm -rf warehouse/budget.duckdb warehouse/staging warehouse/exports
