#!/usr/bin/env bash
# Install everything the tests need on a bare machine, then lint and run the whole test suite.
# Acceptance tests read the sample reports in ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`: it downloads its own
# browser); fonts-noto-cjk makes the Chinese text render in the screenshots. Installed only when missing.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk
  else
    echo "test.sh: /usr/bin/chromium is missing and this is not root: the browser tests will be skipped" >&2
    echo "         (as root: apt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-cjk)" >&2
  fi
fi

# The sphinx engine's tests start two searchd processes of Debian's sphinxsearch (Sphinx 2.2.11) on loopback.
if ! command -v searchd >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends sphinxsearch
  else
    echo "test.sh: searchd is missing and this is not root: the sphinx engine's tests will be skipped" >&2
    echo "         (as root: apt-get update && apt-get install -y --no-install-recommends sphinxsearch)" >&2
  fi
fi

source scripts/compiler.sh
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
