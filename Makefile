# jinchengtuo — two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# not exported: the CLI picks the Dagster home of the warehouse (config.dagster_home); a DAGSTER_HOME
# given in the environment is still passed on and used
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run test ui docs sample bench clean

install: $(VENV)/.installed

# uv resolves and installs much faster than pip; pip is the fallback. Bytecode is compiled at
# install: where PYTHONDONTWRITEBYTECODE is set (as on CI machines) every process (the refresh,
# dbt, each worker) would otherwise recompile Dagster, dbt and GX from source (~2x the imports)
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv || true
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[test]'; \
	else $(BIN)/python -m pip install -q -e '.[test]'; fi
	$(BIN)/python -m compileall -q -j 0 orchestration >/dev/null
	cd dbt_project && JCT_WAREHOUSE=/tmp/jct-parse.duckdb ../$(BIN)/dbt parse --quiet --profiles-dir .
	mkdir -p $(DAGSTER_HOME) && cp -n orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml || true
	touch $@

# the sample corpus is generated (deterministic for its seed), never committed
sample: install
	@if [ -d "$${JCT_SOURCES:-sources}/documents" ]; then \
		echo "documents found in $${JCT_SOURCES:-sources}/documents"; \
	else \
		echo "generating the sample document corpus into $${JCT_SOURCES:-sources}/ …"; \
		$(BIN)/jinchengtuo sample-corpus --out "$${JCT_SOURCES:-sources}"; fi
	@# a sample corpus generated before surveys existed: add the SYNTHETIC survey sample beside it
	@if [ -f "$${JCT_SOURCES:-sources}/truth/corpus.json" ] && [ ! -d "$${JCT_SOURCES:-sources}/surveys" ]; then \
		$(BIN)/jinchengtuo sample-surveys --out "$${JCT_SOURCES:-sources}"; fi

run: sample
	$(BIN)/jinchengtuo refresh

# the test files run on TEST_WORKERS processes (pytest-xdist), each file whole on one worker (its
# module fixtures built once), the longest first (tests/conftest.py SLOW_FIRST); TEST_WORKERS=0 runs
# them in this process
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

# the Dagster home of the warehouse (JCT_WAREHOUSE; DAGSTER_HOME when set), with the shipped settings
ui: install
	@home=$$($(BIN)/python -c 'from jinchengtuo.refresh import ensure_dagster_home; print(ensure_dagster_home())'); \
	echo "Dagster UI: http://127.0.0.1:3000  (DAGSTER_HOME=$$home)"; \
	echo "  Automation (left bar): schedule annual_refresh_schedule (15 September) and sensor sources_sensor (new or changed"; \
	echo "  files under sources/) start switched on and run while this process (its daemon) runs; switch them there."; \
	echo "  Runs: every refresh, with its sources/warehouse/reports tags. Stuck run? .venv/bin/jinchengtuo doctor --heal"; \
	DAGSTER_HOME=$$home $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

docs: install
	$(BIN)/jinchengtuo docs

bench: sample
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf warehouse reports/[0-9]* reports/panel dbt_project/target dbt_project/logs .dagster_home
