# The two commands of the README: `make run` and `make test`. Each creates .venv and installs the project first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,eval]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/vigie migrate
	$(BIN)/vigie config apply $${VIGIE_CONFIG:-examples/demo.toml}
	$(BIN)/vigie serve

test: $(STAMP)
	$(BIN)/python -m ruff check app collectors alerts migrations tests bench eval
	$(BIN)/python eval/sentiment.py --set dev1 --check
	$(BIN)/python eval/sentiment.py --set dev2
	$(BIN)/python eval/sentiment.py --set holdout
	$(BIN)/python eval/storms.py --size small --check
	$(BIN)/python bench/scoring.py --repeat 2
	$(BIN)/python bench/ingest.py --repeat 1
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/scoring.py

eval: $(STAMP)
	$(BIN)/python eval/sentiment.py --set all

clean:
	rm -rf $(VENV) vigie.db vigie-admin.key
