# The README's quickstart: `make run` ingests 7 days x 2 media on the embedded defaults,
# `make test` proves the tree. Both build the virtualenv themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SPARK_LOCAL_IP ?= 127.0.0.1
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Bytecode is cached under .venv/pycache, not in __pycache__ folders of the tree (what
# PYTHONDONTWRITEBYTECODE=1 used to ensure, at a price: uv installs no bytecode, so every process
# compiled each module it imported, ~1.6 s of a 3.3 s start of the CLI or pytest). Lazily, so an
# install compiles nothing it will not import.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(abspath $(VENV))/pycache

.PHONY: run test dev lint format lock drift bench reliability glue-artifacts glue-test image image-test clean java contract-sandbox long-test

# Every environment comes from one lock, uv.lock (README, "Dependencies"). pip installs only uv,
# from hash-pinned requirements-uv.txt; uv then makes .venv exactly the locked set (hashes checked),
# with the interpreter make checked: uv never downloads a Python of its own here.
UV := $(BIN)/uv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
$(UV): requirements-uv.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "error: Python 3.11 is required (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  --only-binary=:all: -r requirements-uv.txt
	@touch $@

# `--locked` refuses a uv.lock that no longer matches pyproject.toml (the check runs offline first,
# so the message says what to do rather than what uv tried).
$(STAMP): $(UV) pyproject.toml uv.lock
	@$(BIN)/python scripts/locks.py --check-lock
	$(UV) sync --locked --quiet --extra local --extra dev --group build
	@touch $@

# Rewrites every lock from pyproject.toml: uv.lock (locked versions kept while the ranges allow
# them; `make lock UPGRADE=1` takes the newest), then the image's, its builder's, the Glue job's
# pins and uv's own bootstrap (scripts/locks.py). Review `git diff`, run make test, commit.
lock: $(UV)
	$(BIN)/python scripts/locks.py $(if $(UPGRADE),--upgrade)

# What the scheduled workflow runs (.github/workflows/drift.yml), never .ci/run: the newest versions
# the ranges allow, locked in place (git diff shows them; `git checkout uv.lock deploy
# requirements-uv.txt` undoes), then the suite. Fails naming every package that moved.
DRIFT := build/drift-moved.txt
drift: $(UV)
	$(BIN)/python scripts/locks.py --upgrade --moved $(DRIFT)
	@$(MAKE) --no-print-directory test || { echo; echo "error: make test fails on the newest \
	versions pyproject.toml allows. Moved since the committed uv.lock:"; sed 's/^/  /' $(DRIFT); \
	echo "Exclude the breaking release in pyproject.toml (with why, and when to lift it), then \
	make lock."; exit 1; }
	@echo "make test passes on the newest versions pyproject.toml allows. Moved:"; sed 's/^/  /' $(DRIFT)

# The local Spark driver's class-data-sharing archive (scripts/spark_class_archive.py; used by
# transforms/session.py when present): made once per install by a training build, ~20 s, and
# again whenever the environment changes (a new pyspark is new jars: the old archive would only
# be ignored). It first compiles the local file system the sessions put on their class path
# (scripts/local_fs_jar.py, when the JDK's javac is there): the archive must be trained with it.
CLASS_ARCHIVE := $(VENV)/spark-classes.jsa
$(CLASS_ARCHIVE): $(STAMP) scripts/local_fs_jar.py scripts/java/NoForkLocalFileSystem.java | java
	$(BIN)/python scripts/spark_class_archive.py $@

java:
	@command -v java >/dev/null 2>&1 || { echo "error: Java 17 is required for Spark: install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless; macOS: brew install openjdk@17)"; exit 1; }

$(DAGSTER_HOME)/dagster.yaml: dagster.local.yaml
	@mkdir -p $(DAGSTER_HOME) && cp dagster.local.yaml $@

run: $(STAMP) java $(CLASS_ARCHIVE) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/wistia-assets run --days 7

# The tests in two phases, each test once: the fast ones first (no Spark, no end-to-end Dagster
# run; a unit failure shows in seconds and stops here), then Spark and the end-to-end runs. A `-m`
# given here replaces the one in pyproject's addopts, so both phases repeat its exclusions.
# conftest.py marks every user of the `spark` fixture `spark`.
OUTSIDE_TEST := not image and not glue_runtime and not long
FAST_TESTS := not spark and not slow and $(OUTSIDE_TEST)
SLOW_TESTS := (spark or slow) and $(OUTSIDE_TEST)
# Each phase on TEST_WORKERS pytest-xdist workers, a module at a time per worker (its module
# fixtures set up once), the longest modules first (conftest.py, LONGEST_MODULES_FIRST). One more
# worker than the 2 cores this is made for: the Spark and end-to-end tests wait on their Dagster,
# moto and CLI processes about half the time (docs/BENCHMARKS.md, "The test suite on several
# workers"). Each worker starts its own Spark session (2 GiB heap at most). TEST_WORKERS=0 runs
# in one process.
TEST_WORKERS ?= 3
PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)
test: $(STAMP) java $(CLASS_ARCHIVE)
	$(BIN)/ruff check .
	$(BIN)/black --check .
	$(BIN)/cfn-lint deploy/cloudformation/*.yaml
	$(BIN)/basedpyright
	$(BIN)/pytest -m "$(FAST_TESTS)" $(PARALLEL)
	$(BIN)/pytest -m "$(SLOW_TESTS)" $(PARALLEL)

# `dg dev`: the project's [tool.dg] code location (the same definitions workspace.yaml gives the
# ECS webserver and daemon; test_dg_project.py).
dev: $(STAMP) java $(CLASS_ARCHIVE) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg dev --host 127.0.0.1 --port $${PORT:-3000}

# The type checker (basedpyright, ~20 s): pyproject's [tool.basedpyright] says what it checks.
lint: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/ruff check .
	$(BIN)/black --check .
	$(BIN)/cfn-lint deploy/cloudformation/*.yaml
	$(BIN)/basedpyright
	$(BIN)/dg check defs

# The Glue entry script + the Dagster-free wheel; `make glue-artifacts UPLOAD=s3://bucket/glue`.
glue-artifacts: $(STAMP)
	$(BIN)/wistia-assets deploy package-glue --out dist/glue $(if $(UPLOAD),--upload $(UPLOAD))

# The ECS image, built here with buildah (as root; apt-get install -y buildah debootstrap). Its base
# is deploy/Dockerfile's python:3.11-slim when a registry answers, else a STAND-IN built from
# Debian's mirror and labelled so (deploy/image/): such an image is for this machine, never ECR.
# It needs AWS's RDS CA bundle at RDS_CA_BUNDLE (deploy/README.md, Prerequisites): without it the
# build stops at once with the command that downloads it.
IMAGE ?= localhost/wistia-assets:$(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
RDS_CA_BUNDLE ?= deploy/rds-global-bundle.pem
image:
	RDS_CA_BUNDLE=$(RDS_CA_BUNDLE) deploy/image/build.sh $(IMAGE)

# A TEST image, $(IMAGE)-test-ca, trusting a throwaway CA made here instead of AWS's bundle; then
# its code server and webserver start on moto and a throwaway Postgres whose certificate that CA
# issued, and must refuse Postgres servers they cannot verify (apt-get install -y postgresql
# openssl iproute2), in a private network namespace: ~5 min fresh.
IMAGE_TEST_CA := build/image-test
image-test: $(STAMP)
	$(BIN)/python -m wistia_assets_tests.image_tls $(IMAGE_TEST_CA)
	RDS_CA_BUNDLE=$(IMAGE_TEST_CA)/rds-test-ca.pem deploy/image/build.sh $(IMAGE)-test-ca
	unshare --net -- bash -c 'ip link set lo up && WISTIA_IMAGE=$(IMAGE)-test-ca \
	  WISTIA_IMAGE_TEST_CA=$(IMAGE_TEST_CA) \
	  $(BIN)/pytest -m image -p no:cacheprovider wistia_assets_tests/test_image.py'

# The Glue job from its packaged artifacts, in an emulated Glue 5.0 runtime (deploy/README.md,
# "What the Glue job runs"): ~2-4 min, so not part of `make test`.
glue-test: $(STAMP) java
	$(BIN)/pytest -m glue_runtime -p no:cacheprovider wistia_assets_tests/test_glue_deployed_job.py

# The end-to-end proofs of minutes each (marked `long`): a missed day backfilled through `dagster
# dev` (webserver, daemon, a run worker per media, each starting Spark), every event in exactly one
# UTC partition for accounts at -5 h and +9 h over four ticks, a week of schedule ticks executed
# into Silver. ~6 minutes together, so outside `make test`; `.ci/run` runs them after it.
long-test: $(STAMP) java $(CLASS_ARCHIVE)
	$(BIN)/pytest -m long -p no:cacheprovider

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/black .

# Measurements, not tests: minutes each, numbers in docs/BENCHMARKS.md and docs/RELIABILITY.md.
# `make bench` runs ingestion, silver and end_to_end (~35 min); `make bench BENCH_ARGS=--quick`
# is a ~4 min smoke run; `BENCH_ARGS='--only silver'` runs one harness.
bench: $(STAMP) java $(CLASS_ARCHIVE)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# `make reliability QUICK=1` runs 7 of the 20 cases (~3 min).
reliability: $(STAMP) java $(CLASS_ARCHIVE)
	$(BIN)/python -m reliability $(if $(QUICK),--quick)

# The Wistia contract tests (skipped in `make test`: they need a real token) against
# `wistia-assets sandbox serve`, to prove they run (~2 min, paced at 60 requests/minute).
contract-sandbox: $(STAMP)
	@port=$$($(BIN)/python -c 'from wistia_assets_tests.conftest import free_port; print(free_port())'); \
	$(BIN)/wistia-assets sandbox serve --port $$port --token contract-t0k \
	  --media-only-token contract-media-t0k & pid=$$!; trap "kill $$pid" EXIT; \
	for _ in $$(seq 150); do (echo > /dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; sleep 0.2; done; \
	WISTIA_CONTRACT_TOKEN=contract-t0k WISTIA_CONTRACT_MEDIA_ONLY_TOKEN=contract-media-t0k \
	WISTIA_CONTRACT_MEDIA_ID=sbx1yt7k2q WISTIA_CONTRACT_BASE_URL=http://127.0.0.1:$$port/v1 \
	  $(BIN)/pytest -p no:cacheprovider -m contract -v wistia_assets_tests/test_wistia_contract.py

clean:
	rm -rf .lake .dagster_home spark-warehouse metastore_db derby.log
