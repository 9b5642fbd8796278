# questlog: one entry point for the local stack, the tests and the demo. `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
include stack/versions.env
-include loadgen/loadgen.mk
-include k8s/k8s.mk
-include bench/bench.mk

PY := .venv/bin/python
STACK := $(PY) -m questlog_stack
PYTEST_ARGS ?=

.PHONY: help setup up down status restart clean distclean test test-unit test-integration test-security chaos soak watch lint generate models models-docs erase report demo logs

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

setup: ## Install everything (Python deps, JVM artifacts, ab); idempotent, fast when done
	@stack/bin/setup

up: setup ## Start the local stack (idempotent) and wait until every service is healthy
	@$(STACK) up

down: ## Stop every service of the local stack (data in var/ is kept), and a Docker engine the tests started
	@[ -x $(PY) ] && $(STACK) down || true
	@stack/bin/docker-engine stop

status: ## One line per service: name, pid, port, health
	@$(STACK) status

restart: ## Restart the stack (or SERVICES="kafka trino")
	@$(STACK) restart $(SERVICES)

logs: ## Tail every service log
	@tail -n 20 -F var/log/*.log

clean: down ## Stop the stack and wipe its data, logs and checkpoints (downloads are kept)
	rm -rf var

distclean: clean ## Also wipe downloaded artifacts and the virtualenv
	rm -rf .cache .venv

test: up lint ## Lint, then run the whole test suite against the real local stack
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup ## Run the unit tests only (no services needed)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: up ## Run the integration and end-to-end tests
	$(PY) -m pytest tests/integration tests/e2e $(PYTEST_ARGS)

test-security: up ## Run the hostile-input, auth, rate-limit and supply-chain tests (also part of `make test`)
	$(PY) -m pytest tests/security $(PYTEST_ARGS)

chaos: up ## Fault injection under load (kills and stops services of the local stack; not part of `make test`; ~40 min)
	$(PY) -m pytest tests/chaos $(PYTEST_ARGS)

soak: up ## Soak: steady simulator load for QUESTLOG_SOAK_SECONDS (default 900 s) with every service's memory sampled
	$(PY) -m pytest tests/chaos/test_soak.py $(PYTEST_ARGS)

watch: ## Restart the API and the stream whenever they exit (foreground; `make down` stops it)
	@$(STACK) watch $(SERVICES)

lint: setup ## Lint and type-check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy lib/questlog_core services/api/questlog_api

generate: setup ## Regenerate the files derived from schemas/ (lake DDL, all_events view, docs/tables.md, openapi.json)
	$(PY) tools/generate.py

# dbt writes its compiled SQL, logs and docs site under var/models (not into the checkout).
DBT := DBT_TARGET_PATH=$(CURDIR)/var/models/target DBT_LOG_PATH=$(CURDIR)/var/models/logs .venv/bin/dbt --no-use-colors
DBT_DIRS := --project-dir models --profiles-dir models

models: ## Build the game analytics marts (lake.marts) from the lake with dbt: models, then their tests
	$(DBT) build $(DBT_DIRS) $(DBT_ARGS)

models-docs: ## Generate the models' documentation site (open var/models/target/index.html)
	$(DBT) docs generate $(DBT_DIRS) $(DBT_ARGS)

erase: ## Erase one player from the whole lake and wait until done: make erase USER=<user_id>
	@if [ "$(origin USER)" != "command line" ] || [ -z "$(USER)" ]; then \
		echo "questlog: say whose data to erase: make erase USER=<user_id>" >&2; exit 2; fi
	$(PY) -m questlog_stack.erase "$(USER)"

report: ## Write the analytics report (reports/report.html and .md) from the lake
	$(PY) -m questlog_report --out reports

demo: up ## Run the whole pipeline end to end (simulator + ab -> lake) and write the report
	$(PY) -m questlog_stack.demo
