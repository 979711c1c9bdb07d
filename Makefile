.PHONY: run test lint format bench graph

## Command 1: the portal with demo data (SQLite, eager tasks) on http://127.0.0.1:8000/
run:
	scripts/run-demo.sh

## Command 2: install, start PostgreSQL/Redis if needed, ruff, the whole test suite
test:
	scripts/test.sh

## The import graph between apps, from the source (`make graph ARGS=--dot` for Graphviz); fails on an upward edge
graph:
	python3 scripts/app_graph.py $(ARGS)

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

## Benchmarks (print figures, assert none); city scale by default: make bench BENCH_ARGS=  for académie scale
BENCH_ARGS ?= --schools 40
bench:
	scripts/venv.sh requirements-dev.txt
	.venv/bin/python bench/import_bench.py $(BENCH_ARGS)
	.venv/bin/python bench/pages_bench.py $(BENCH_ARGS)
