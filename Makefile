# The two commands of the README: `make run` and `make test`. Each creates .venv and installs the project first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/vigie migrate
	$(BIN)/vigie config apply $${VIGIE_CONFIG:-examples/demo.toml}
	$(BIN)/vigie serve

test: $(STAMP)
	$(BIN)/python -m ruff check app collectors alerts migrations tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) vigie.db
