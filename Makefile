# Neuralake front door. `make demo` runs the platform end to end; `make test` runs the test suite.
# Everything installed lands in $(NEURALAKE_CACHE) (default ~/.cache/neuralake) and is reused.
SHELL := /bin/bash
export NEURALAKE_CACHE ?= $(HOME)/.cache/neuralake
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CTEST_JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all setup build test test-asan unit-test demo spark-demo services-up services-down services-status bench bench-sql bench-ingest bench-api bench-mv bench-quality bench-dml bench-suite clean asan

all: build

setup:
	scripts/setup.sh all

$(BUILD_DIR)/build.ninja:
	scripts/setup.sh build-deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

services-status:
	scripts/services.sh status

# The whole suite against the real services (installed and started on demand), then the C++
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test: setup build services-up
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(CTEST_JOBS)
	$(MAKE) test-asan

test-asan: asan services-up
	ctest --test-dir build-asan --output-on-failure -j$(CTEST_JOBS) -LE python

# Only what runs without servers.
unit-test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(CTEST_JOBS) -LE services

demo: setup build services-up
	scripts/demo.sh

# Dual engine: Kafka -> ingest -> Spark ELT (silver, gold) -> neuralake sql and the API over gold,
# the gold query timed in Spark and neuralake side by side (docs/spark.md)
spark-demo: setup build services-up
	scripts/spark-demo.sh

bench: setup build services-up
	scripts/bench.sh

# Kafka ingestion throughput (~200 B and ~1 KB messages), Python peer, produce->queryable latency
bench-ingest: setup build services-up
	scripts/bench-ingest.sh

# The query API vs FastAPI+uvicorn peers (Polars, DataFusion) on a 10M-row table: make bench-api
bench-api: setup build services-up
	bench/api/api_bench.sh

# Materialized view over 50M events on MinIO: full vs incremental refresh after 1% appends: make bench-mv [ROWS=N]
bench-mv: setup build services-up
	ROWS=$(or $(ROWS),50000000) bench/mv/mv_bench.sh

# Expectations overhead: a 10M-row events append on MinIO, plain vs 5 warn expectations: make bench-quality [ROWS=N]
bench-quality: setup build services-up
	ROWS=$(or $(ROWS),10000000) bench/quality/quality_bench.sh

# Row-level DML on MinIO, ours (deletion vectors, copy-on-write) vs delta-rs: DELETE of 0.1% of a
# SCALE_GB events table, MERGE of MERGE_UPSERTS into MERGE_ROWS, DV scan overhead: make bench-dml
bench-dml: setup build services-up
	bench/dml/dml_bench.sh --scale-gb $(or $(SCALE_GB),2) --merge-rows $(or $(MERGE_ROWS),10000000) \
	  --merge-upserts $(or $(MERGE_UPSERTS),1000000)

# The benchmark harness: suites x engines side by side, answers compared, report + bench.runs
#   make bench-suite SUITE=tpch,selective,events,api,write,ingest SF=1 ENGINES=all (docs/benchmarks.md)
bench-suite: setup build services-up
	SUITE="$(SUITE)" SF="$(SF)" ENGINES="$(ENGINES)" REPEATS="$(REPEATS)" \
	  CONCURRENCY="$(or $(CONCURRENCY),1,4,16)" scripts/bench-suite.sh

# TPC-H over Delta vs DuckDB/Polars on the same data: make bench-sql SF=1 (or SF=10)
bench-sql: setup build services-up
	SF=$(or $(SF),1) scripts/bench-sql.sh

# A sanitizer build (ASan + UBSan) in its own directory.
asan:
	$(MAKE) build BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_FLAGS=-DNEURALAKE_SANITIZE=ON

clean:
	rm -rf $(BUILD_DIR) build-asan
