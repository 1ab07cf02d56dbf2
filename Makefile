# Junction: `make run` brings the whole system up on 127.0.0.1; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
RUN := $(UV) run --frozen
PYTEST_ARGS ?=
# Test processes (pytest-xdist, whole files per process). Most test time is waiting on Kafka and the database, so
# two processes on two cores roughly halve the suite (measured: 25 -> 15.5 min); PYTEST_WORKERS=0 runs it in one.
PYTEST_WORKERS ?= 2

.PHONY: help bootstrap sync run down status infra-up infra-down lint unit integration test test-storage bench chaos clean

help:
	@echo "make run    - install what is missing, start Kafka, the MongoDB-protocol server, every service, gateway :8000"
	@echo "make test   - lint (ruff, mypy, import-linter), then unit and integration tests on real infrastructure"
	@echo "make down   - stop services and infrastructure"
	@echo "make test-storage - the storage contract suite alone; JUNCTION_MONGODB_URL=mongodb://host:port for any server"
	@echo "make bench  - benchmarks (not part of make test)"
	@echo "make chaos  - long fault-injection runs: SIGKILL during 3,000 creates, then the fault matrix (Kafka,"
	@echo "              nx-27017, crm, webhooks killed; a hanging webhook receiver) with its table"

$(CURDIR)/.tools/bin/uv:
	@echo "[make] installing uv $(UV_VERSION) into .tools/ (from PyPI)"
	@test -n "$(PYTHON)" || { echo "[make] Python 3.11 is required (python3.11 not found)"; exit 1; }
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install -q "uv==$(UV_VERSION)"

bootstrap: $(UV)

sync: bootstrap
	@echo "[make] syncing the Python workspace (uv.lock)"
	$(UV) sync --frozen

run: sync
	$(RUN) junction up

down: sync
	$(RUN) junction down

status: sync
	$(RUN) junction status

infra-up: sync
	$(RUN) junction infra up

infra-down: sync
	$(RUN) junction infra down

lint: sync
	$(RUN) ruff check .
	$(RUN) mypy -p junction_common -p crm -p gateway -p webhooks -p crm_contracts -p webhooks_contracts -p connections -p connections_contracts -p sync -p sync_contracts -p flows -p flows_contracts
	$(RUN) lint-imports

unit: sync
	$(RUN) pytest -q -m "not integration" $(PYTEST_ARGS)

integration: infra-up
	$(RUN) pytest -q -m integration $(PYTEST_ARGS)

test: lint infra-up
	@echo "[make] testing on:"; $(RUN) junction infra status
	$(RUN) pytest -q -m "not slow" -n $(PYTEST_WORKERS) --dist loadfile --durations=10 $(PYTEST_ARGS)

# The storage contract suite (tests/storage) against the server JUNCTION_MONGODB_URL names, else the managed one.
test-storage: sync
	@if [ -z "$$JUNCTION_MONGODB_URL" ]; then $(MAKE) --no-print-directory infra-up; fi
	$(RUN) pytest -m integration --durations=5 tests/storage $(PYTEST_ARGS)

bench: infra-up
	$(RUN) python -m tests.bench.contacts_bench
	$(RUN) python -m tests.bench.webhooks_bench
	$(RUN) python -m tests.bench.edge_hop_bench
	$(RUN) python -m tests.bench.proxy_bench
	$(RUN) python -m tests.bench.sync_read_bench
	$(RUN) python -m tests.bench.sync_bench
	$(RUN) python -m tests.bench.flows_bench

# The fault matrix (tests/chaos/matrix.py) runs on a private Kafka and nx-27017 and prints its table (also
# when the SIGKILL bursts before it failed);
# CHAOS_FAULTS="kafka SIGKILL 10s,crm" runs only the faults whose names contain one of those phrases.
chaos: infra-up
	@status=0; \
	CRASH_TOTAL=$${CRASH_TOTAL:-3000} WEBHOOK_CRASH_TOTAL=$${WEBHOOK_CRASH_TOTAL:-10000} \
		$(RUN) pytest -q tests/test_crash_recovery.py tests/test_webhooks_crash.py tests/chaos/test_log_collapsing.py \
			$(PYTEST_ARGS) || status=1; \
	$(RUN) python -m tests.chaos.matrix --only "$(CHAOS_FAULTS)" || status=1; \
	exit $$status

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
