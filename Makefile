# testban — the two commands a new user types: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-output

.PHONY: demo demo-stop test bench lint venv clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/testban demo --out $(DEMO_OUT)
	@if [ -f $(DEMO_OUT)/server.pid ]; then kill $$(cat $(DEMO_OUT)/server.pid) 2>/dev/null || true; fi
	$(BIN)/testban serve $(DEMO_OUT)/testban.sqlite --background

demo-stop:
	@if [ -f $(DEMO_OUT)/server.pid ]; then kill $$(cat $(DEMO_OUT)/server.pid) && rm $(DEMO_OUT)/server.pid && echo stopped; fi

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DEMO_OUT) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache
