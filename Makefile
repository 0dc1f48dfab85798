# GreenWhistle (绿哨). `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Two environments: Rasa 3.6 pins old libraries (Python 3.10); actions/app use current ones.
PY_RASA ?= $(shell command -v python3.10 2>/dev/null || pyenv which python3.10 2>/dev/null)
PY_APP  ?= $(shell command -v python3.11 2>/dev/null || pyenv which python3.11 2>/dev/null || command -v python3)
RASA_VENV := .venv-rasa
APP_VENV  := .venv-app
RASA := $(RASA_VENV)/bin/rasa
PY   := $(APP_VENV)/bin/python
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)

TRAINING_INPUTS := domain.yml config.yml $(shell find nlu_data rasa_ext -type f 2>/dev/null)
MODEL_STAMP := models/.trained
# The extraction pipeline (spaCy, app only): rules + trained classifier and polluter recogniser.
# Retrained when its configs, its code, its data, the training corpora or the exported staff
# corrections change (about a minute on 2 cores; bot/nlp/pipeline/train.py).
EXTRACTION_MODEL := models/extraction
CORRECTIONS := var/corrections.spacy
EXTRACTION_INPUTS := $(wildcard bot/nlp/pipeline/*.py bot/nlp/pipeline/*.cfg bot/data/extraction/* bench/data/train/*.jsonl $(CORRECTIONS))
EXTRACTION_STAMP := models/.extraction-built

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(RASA_VENV)/.installed: requirements/rasa.txt
	@test -n "$(PY_RASA)" || { echo "Python 3.10 not found (Rasa 3.6 needs it): install it, e.g. pyenv install 3.10"; exit 1; }
	$(PY_RASA) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade pip wheel
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa.txt
	touch $@

# The project itself goes in editable, for the spaCy entry points of pyproject.toml.
$(APP_VENV)/.installed: requirements/app.txt requirements/app-nodeps.txt pyproject.toml
	$(PY_APP) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install -q --upgrade pip wheel
	$(APP_VENV)/bin/pip install -q -r requirements/app.txt
	$(APP_VENV)/bin/pip install -q --no-deps -r requirements/app-nodeps.txt
	$(APP_VENV)/bin/pip install -q --no-deps -e .
	touch $@

venvs: $(RASA_VENV)/.installed $(APP_VENV)/.installed ## create both virtual environments

$(MODEL_STAMP): $(RASA_VENV)/.installed $(TRAINING_INPUTS)
	@mkdir -p models
	flock models/.lock $(RASA) train --data nlu_data --config config.yml --domain domain.yml --out models --fixed-model-name greenwhistle
	touch $@

train: $(MODEL_STAMP) ## train the Rasa model if the data changed

$(EXTRACTION_STAMP): $(APP_VENV)/.installed $(EXTRACTION_INPUTS)
	@mkdir -p models
	flock models/.extraction.lock $(PY) -m bot.nlp.pipeline.train --out $(EXTRACTION_MODEL)
	touch $@

train-extraction: $(APP_VENV)/.installed ## train and build the extraction pipeline (spaCy) into models/extraction, with var/corrections.spacy when present (make test/run: when missing or stale)
	@rm -f $(EXTRACTION_STAMP)
	@$(MAKE) --no-print-directory $(EXTRACTION_STAMP)

export-corrections: $(APP_VENV)/.installed ## staff corrections of category/district/town/polluter in the ledger → var/corrections.spacy (training examples for make train-extraction)
	$(PY) -m bot.casework.training --out $(CORRECTIONS)

db: $(APP_VENV)/.installed ## create or migrate the ledger database (DATABASE_URL, default SQLite var/greenwhistle.db)
	$(PY) -m bot.ops.cli init-db

admin: $(APP_VENV)/.installed db ## create the first console account (intake office); asks for a password
	$(PY) -m bot.ops.cli create-user $${ADMIN_USER:-admin} --role office --name 市污防办管理员

run: venvs train $(EXTRACTION_STAMP) ## set everything up and start Rasa (5005), actions (5055) and the app (8000); Ctrl-C stops
	$(PY) -m bot.ops.stack run

run-cluster: venvs train $(EXTRACTION_STAMP) haproxy ## what a multi-machine deployment runs, on this machine: HAProxy (5005, 8000) in front of 2 Rasa servers, 2 action servers, 2 apps, and a notification sender, on PostgreSQL (greenwhistle_cluster) and Redis; docs/deployment.md
	$(PY) -m bot.ops.cluster run

shell: venvs train ## chat with the bot in this terminal (starts the system unless it is running)
	$(PY) -m bot.ops.stack chat

lint: $(APP_VENV)/.installed ## ruff lint and format check (fix with: ruff format), and the import contracts (pyproject.toml)
	$(APP_VENV)/bin/ruff check bot actions connectors rasa_ext tests bench migrations
	$(APP_VENV)/bin/ruff format --check bot actions connectors rasa_ext tests bench migrations
	$(APP_VENV)/bin/lint-imports --no-cache

types: $(APP_VENV)/.installed ## mypy on bot/, actions/, connectors/ and rasa_ext/
	$(APP_VENV)/bin/mypy bot actions connectors rasa_ext

validate: $(RASA_VENV)/.installed ## rasa data validate, failing on any warning
	$(RASA) data validate --data nlu_data --domain domain.yml --config config.yml --fail-on-warnings

test-unit: $(APP_VENV)/.installed $(EXTRACTION_STAMP) ## unit tests of bot/ and actions/ (and PostgreSQL when TEST_DATABASE_URL is set)
	$(PY) -m pytest tests -m "not e2e" -q

test-stories: train ## conversation tests (rasa test) with real Chinese user text
	$(RASA) test core --stories tests/conversations --model models --fail-on-prediction-errors --out results/stories

browser: ## Debian's chromium + a CJK font for the console's browser tests (never a downloaded browser build)
	@test -x /usr/bin/chromium -a -n "$$(fc-list :lang=zh 2>/dev/null)" || { apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei; }

haproxy: ## Debian's HAProxy, the cluster's load balancer (make run-cluster, the cluster e2e tests)
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { apt-get update -qq && apt-get install -y -qq haproxy; }

# axe-core for the console's accessibility checks, from the npm registry at the version the lock file pins.
AXE_DIR := tests/e2e/axe
AXE_JS := $(AXE_DIR)/node_modules/axe-core/axe.min.js
$(AXE_JS): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd $(AXE_DIR) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

axe: $(AXE_JS) ## axe-core (npm ci, pinned in tests/e2e/axe/package-lock.json) for the console's WCAG 2 A/AA browser checks

test-e2e: venvs train browser axe haproxy ## end-to-end: real Rasa server, action server and app as separate processes
	$(PY) -m pytest tests/e2e -m e2e -q

test: lint types validate test-unit test-stories test-e2e ## everything CI runs
	@echo "make test: all suites passed"

bench-console: $(APP_VENV)/.installed ## console list/search/export latency with 100,000 issues (bench/console.py)
	$(PY) bench/console.py

bench-import: $(APP_VENV)/.installed ## hand-over table import speed with invented rows (bench/table_import.py): make bench-import [ROWS=1000] [PG=postgresql+psycopg://…]
	$(PY) bench/table_import.py --rows $${ROWS:-1000} $(if $(PG),--pg "$(PG)")

bench-maps: $(APP_VENV)/.installed ## boundary load, pin look-up, city map SVG and map query times (bench/maps.py)
	$(PY) bench/maps.py

bench-turns: venvs train ## concurrent conversations against the running stack (bench/turns.py)
	$(PY) bench/turns.py

bench-extraction: $(APP_VENV)/.installed ## extraction against labelled complaints with cpca/jionlp baselines: make bench-extraction DATA=FILE.jsonl
	@test -n "$(DATA)" || { echo "usage: make bench-extraction DATA=FILE.jsonl, one JSON object per line with id, text, province, city, district, pollution_types, polluter"; exit 2; }
	$(APP_VENV)/bin/pip install -q -r requirements/bench.txt
	$(PY) bench/extraction.py --data $(DATA)

bench-cluster: venvs train haproxy ## turns/s and latency with one and with two Rasa servers behind HAProxy, on PostgreSQL + Redis (bench/turns.py --cluster)
	$(PY) bench/turns.py --cluster

bench-tracker-cache: venvs ## the tracker cache shared by several Rasa servers vs no cache (bench/tracker_cache.py, PostgreSQL)
	$(RASA_VENV)/bin/python bench/tracker_cache.py

bench-wechat: venvs train ## 50 simulated WeChat citizens file reports through the webhook (bench/wechat_load.py)
	$(PY) bench/wechat_load.py

import: $(APP_VENV)/.installed ## register a hand-over table: make import FILE=table.xlsx SOURCE=督察交办 [BATCH=第3批] [DRY_RUN=1] [REPORT=attention.csv]
	@test -n "$(FILE)" -a -n "$(SOURCE)" || { echo "usage: make import FILE=table.xlsx|table.csv SOURCE=督察交办 [BATCH=第3批] [DRY_RUN=1] [REPORT=file.csv]"; exit 2; }
	$(PY) -m bot.ops.table_import "$(FILE)" --source "$(SOURCE)" $(if $(BATCH),--batch "$(BATCH)") $(if $(DRY_RUN),--dry-run) $(if $(REPORT),--report "$(REPORT)") --actor "$${USER:-import}"

wechat-menu: $(RASA_VENV)/.installed ## install the WeChat account menu (needs WECHAT_APP_ID, WECHAT_SECRET)
	$(RASA_VENV)/bin/python -m connectors.wechat_menu install

clean: ## remove models, results and local databases (not the virtual environments)
	rm -rf models results var/*.db var/logs

.PHONY: help venvs train train-extraction export-corrections db admin run run-cluster haproxy bench-cluster bench-tracker-cache shell lint types validate test-unit test-stories test-e2e test bench-turns clean browser axe bench-console bench-maps bench-extraction bench-wechat wechat-menu import bench-import
