.PHONY: run test lint format bench

## Command 1: the portal with demo data (SQLite, eager tasks) on http://127.0.0.1:8000/
run:
	scripts/run-demo.sh

## Command 2: install, start PostgreSQL/Redis if needed, ruff, the whole test suite
test:
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .
