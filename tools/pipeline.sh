#!/usr/bin/env bash
# The CI pipeline of DESIGN.md, stage by stage, with each stage's time and a closing summary.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export GENBOOK_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg PYTHONWARNINGS=ignore::DeprecationWarning
export GENBOOK_CACHE_DIR="$PWD/_build/cache"
passed=0; failed=0; failed_names=(); summary=()

stage() {  # stage NAME COMMAND...
  local name=$1; shift
  local start=$SECONDS
  echo; echo "=== stage: $name"
  if "$@"; then
    passed=$((passed + 1)); summary+=("  ok    $(printf '%-14s' "$name") $((SECONDS - start)) s")
  else
    failed=$((failed + 1)); failed_names+=("$name"); summary+=("  FAIL  $(printf '%-14s' "$name") $((SECONDS - start)) s")
  fi
}

nbval() {
  rm -rf _build/nbval && mkdir -p _build/nbval
  GENBOOK_HEADLESS=1 GENBOOK_MODE=smoke GENBOOK_CHECKPOINT_DIR="$PWD/_build/nbval/checkpoints" \
    $BIN/python -m pytest --nbval-lax notebooks/ -q -p no:cacheprovider
}

student() {
  # Build and parse only: the student edition changes nothing but the solution cells, so every cell before a
  # notebook's first exercise stub is one the smoke stage has already run (running them again cost ~7 minutes).
  # `tools/student_edition.py --run` still runs each student notebook up to its first stub, by hand.
  rm -rf _build/student
  $BIN/python tools/student_edition.py --out _build/student
}

book() {
  rm -rf _build/html _build/jupyter_execute _build/.doctrees
  $BIN/jupyter-book build . --builder html -W -n --keep-going
}

smoke() {
  rm -rf _build/smoke
  $BIN/python tools/smoke.py --out _build/smoke
}

preflight() {
  # DESIGN.md's stage 9: every notebook at full mode's shapes with smoke's amounts (helpers.config.PREFLIGHT_AMOUNTS),
  # stand-ins where full mode downloads; each notebook's time and kernel peak memory is printed.
  rm -rf _build/preflight
  $BIN/python tools/smoke.py --mode preflight --out _build/preflight
}

compat_newest() {
  # Every notebook in smoke mode (with smoke.py's time limits) in a fresh environment of the newest releases,
  # helpers installed by the notebooks' own %pip line from a tagged clone (tools/compat.py). DESIGN.md's
  # stage 10; the oldest environment takes as long again and runs in `make compat`.
  rm -rf _build/compat
  $BIN/python tools/compat.py newest --out _build/compat
}

assignments() {
  # DESIGN.md's stage 11: `make assignments`, nbgrader generate_assignment for every chapter, and nbgrader
  # autograde of chapter 9 in smoke mode (reference solutions: full marks; the untouched release: zero).
  rm -rf _build/assignments
  $BIN/python tools/assignments.py --out _build/assignments --check ch09
}

total_start=$SECONDS
stage setup make --no-print-directory setup
if [ "$failed" -gt 0 ]; then echo "setup failed; stopping"; echo "pipeline: 0 passed, 1 failed"; exit 1; fi
stage ruff $BIN/ruff check --no-cache .
stage release $BIN/python tools/release.py check
stage unit-tests $BIN/python -m pytest tests/ -q -p no:cacheprovider
stage smoke smoke
stage nbval nbval
stage check-outputs $BIN/python tools/check_outputs.py
stage book book
stage browser $BIN/python tools/check_book.py
stage student student
stage preflight preflight
stage compat-newest compat_newest
stage assignments assignments

echo; echo "=== summary ($((SECONDS - total_start)) s in all)"
printf '%s\n' "${summary[@]}"
[ "$failed" -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "pipeline: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
