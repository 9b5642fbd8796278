# Load generation targets; included from the root Makefile (which defines PY, setup and up).
# Settings: QUESTLOG_LOADGEN_* for the simulator (or SIM_ARGS="--players 50 ..."), AB_* and API_URL for ab.

SIM_ARGS ?=
AB_TOTAL ?= 400

.PHONY: load load-sim load-ab

load: up ## Send the default simulator mix and a small Apache Bench run to the local stack
	@$(PY) -m questlog_loadgen.simulate $(SIM_ARGS)
	@AB_TOTAL=$(AB_TOTAL) loadgen/ab-load.sh

load-sim: setup ## Run the player simulator (SIM_ARGS, QUESTLOG_LOADGEN_*); truth in var/loadgen/
	@$(PY) -m questlog_loadgen.simulate $(SIM_ARGS)

load-ab: ## Run the Apache Bench driver (AB_TOTAL, AB_CONCURRENCY, AB_USERS, API_URL, ...)
	@AB_TOTAL=$(AB_TOTAL) loadgen/ab-load.sh
