#!/usr/bin/env bash
# Install everything the tests need on a bare machine, then lint and run the whole test suite.
# Acceptance tests read the sample reports in ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
