# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RAW ?= raw
WAREHOUSE ?= warehouse/budget.duckdb
# The run's outputs (exports/, reports/, data_docs/) and working files (staging/, run.lock).
OUT ?= warehouse
# Filled review workbooks (处理意见 已确认 / 不是问题) that the next run reads back.
REVIEWS ?= reviews
UI_PORT ?= 3000
# Dagster's home (run history, partitions) stays inside the project, ignored by git.
export DAGSTER_HOME := $(abspath .dagster_home)

# CJK font for the charts and the sample generator's PDF writer (Debian package fonts-wqy-microhei).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: setup cjk-font run test ui sample lint format clean

setup: $(BIN)/.installed $(DAGSTER_HOME)/dagster.yaml cjk-font

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Installed when missing, apt-get exists and we are root; otherwise setup goes on (the PDF
# writer then names the package to install, and the PDF tests skip saying so).
cjk-font:
	@if [ ! -f "$(CJK_FONT)" ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing fonts-wqy-microhei (CJK font for charts and PDF samples)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			fonts-wqy-microhei >/dev/null) || echo "warning: fonts-wqy-microhei not installed" >&2; \
	fi

# The instance settings live in config/: a dagster.yaml in the project's root would be taken
# by `dg dev` for a second instance configuration (and warned about).
$(DAGSTER_HOME)/dagster.yaml: config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp config/dagster.yaml $@

# Byte-compiled first, as pip does for installed packages: where PYTHONDONTWRITEBYTECODE is set,
# every run would otherwise compile the project's modules again (about 0.6 s).
run: setup
	@$(BIN)/python -m compileall -q pipelines
	$(BIN)/python -m pipelines run --raw "$(RAW)" --warehouse "$(WAREHOUSE)" --out "$(OUT)" \
		--reviews "$(REVIEWS)"

test: setup
	$(BIN)/python -m pytest

ui: setup
	COUNTY_RAW_DIR="$(abspath $(RAW))" COUNTY_WAREHOUSE="$(abspath $(WAREHOUSE))" \
		COUNTY_OUT_DIR="$(abspath $(OUT))" COUNTY_REVIEWS_DIR="$(abspath $(REVIEWS))" \
		$(BIN)/dg dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

# Regenerate the synthetic sample county shipped in raw/ (deterministic): its departments use
# the five layouts, as a real county receives them, as .txt and .docx.
sample: setup
	rm -rf raw/2023 raw/2024
	$(BIN)/python -m tools.sample --out raw --departments 10 --years 2023 2024 --seed 20241 \
		--layouts sichuan national shanghai consolidated yuan

lint: setup
	$(BIN)/ruff format --check pipelines tools tests bench setup.py
	$(BIN)/ruff check pipelines tools tests bench setup.py

format: setup
	$(BIN)/ruff format pipelines tools tests bench setup.py
	$(BIN)/ruff check --fix pipelines tools tests bench setup.py

clean:
	rm -rf "$(WAREHOUSE)" "$(WAREHOUSE).wal" "$(OUT)/staging" "$(OUT)/exports" "$(OUT)/reports" \
		"$(OUT)/data_docs" "$(OUT)/run.lock"
