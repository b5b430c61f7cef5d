# Generative Deep Learning with Keras: build, test and run the course book.
#   make book    build the rendered book into _build/html (does all set-up first)
#   make test    the whole CI pipeline (lint, unit tests, notebooks, outputs, book, student edition)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(HOME)/.cache/genbook/data
MODE ?= book
NB ?=

export GENBOOK_DATA_DIR := $(DATA_DIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: help setup data book check-book test execute lab student assignments lint unit smoke nbval check-outputs preflight preflight-mirrored release check-release compat bench clean

help:
	@sed -n '1,4p' Makefile; echo "other targets: setup data check-book execute NB=... lab student assignments lint unit smoke preflight preflight-mirrored nbval check-outputs release VERSION=... check-release compat bench clean"

## setup: virtual environment with the pinned packages (installed by uv: about 15 s from its cache, where pip took
## 110 s), and the offline data (idempotent)
setup: $(VENV)/.installed data

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -c constraints.txt -e ".[book,dev]"
	@touch $@

data:
	@bash tools/setup_data.sh "$(DATA_DIR)"

## book: the rendered book from the committed notebook outputs (no execution); --all rewrites every page, since
## an incremental build leaves older pages with a stale sidebar and bibliography when a chapter is added
book: setup
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going --all
	@echo "Open _build/html/index.html"

## check-book: the rendered book as a reader sees it, in headless Chromium (screenshots in _build/screenshots)
check-book: book
	$(BIN)/python tools/check_book.py

## test: the CI pipeline, stage by stage with times and a summary
test:
	@bash tools/pipeline.sh

## execute NB=notebooks/01_....ipynb [MODE=book]: run in place and stamp the outputs
execute: setup
	@test -n "$(NB)" || { echo "usage: make execute NB=notebooks/01_pca_linear_autoencoder.ipynb [MODE=book]"; exit 2; }
	$(BIN)/python tools/execute.py --mode $(MODE) $(NB)

## lab: JupyterLab on the notebooks
lab: setup
	$(BIN)/jupyter lab notebooks/

## assignments: the exercises as nbgrader assignments in _build/assignments (source/chNN/chNN.ipynb, nbgrader_config.py)
assignments: $(VENV)/.installed
	$(BIN)/python tools/assignments.py --out _build/assignments

## student: the student edition in _build/student (solutions removed) and its zip
student: $(VENV)/.installed
	$(BIN)/python tools/student_edition.py --out _build/student

lint: $(VENV)/.installed
	$(BIN)/ruff check --no-cache .

## unit: the unit tests, one worker per core (pytest-xdist; each test file stays on one worker)
unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests/ -q -n auto --dist loadfile

## smoke: every notebook once in smoke mode, by nbval (errors, the NBVAL_CHECK_OUTPUT cells, each notebook's
## time against smoke's limits: notebooks/conftest.py); the same run as `make nbval` and CI's nbval-smoke stage
smoke: nbval

## preflight: every notebook at full mode's shapes and smoke's amounts, with its time and peak memory
preflight: setup
	GENBOOK_OFFLINE=1 $(BIN)/python tools/smoke.py --mode preflight

## preflight-mirrored: chapters 8 and 13's preflight under tf.distribute.MirroredStrategy on two logical CPU devices
preflight-mirrored: setup
	GENBOOK_OFFLINE=1 GENBOOK_STRATEGY=mirrored GENBOOK_CPU_DEVICES=2 $(BIN)/python tools/smoke.py --mode preflight \
		--out _build/preflight-mirrored notebooks/08_dcgan_conditional_gan.ipynb notebooks/13_stylegan.ipynb

nbval: setup
	GENBOOK_OFFLINE=1 GENBOOK_MODE=smoke GENBOOK_HEADLESS=1 $(BIN)/python -m pytest --nbval-lax notebooks/ -q -p no:cacheprovider

check-outputs: $(VENV)/.installed
	$(BIN)/python tools/check_outputs.py

## release VERSION=x.y.z: set the version in pyproject.toml, helpers, every install cell and the book; prints the tag commands
release: $(VENV)/.installed
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=0.2.0"; exit 2; }
	$(BIN)/python tools/release.py bump $(VERSION)

check-release: $(VENV)/.installed
	$(BIN)/python tools/release.py check

## compat: two fresh environments: the oldest versions allowed run every notebook in smoke mode, the newest
## releases run the preflight of full mode (CI's compat-newest stage)
compat: setup
	GENBOOK_OFFLINE=1 $(BIN)/python tools/compat.py oldest newest

## bench: training throughput of every model family (classic loop, fit, fit + XLA), peak memory, the
## chapters' quality figures and the notebooks' times, into bench/results.md and bench/results.json
bench: setup
	$(BIN)/python tools/bench.py --out bench

clean:
	rm -rf _build
