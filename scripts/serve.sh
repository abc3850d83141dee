#!/usr/bin/env bash
# Install, index a folder of reports, and serve the site: ./scripts/serve.sh CORPUS_DIR [PORT] [HOST]
# PORT defaults to 8000, HOST to $FAZHI_HOST or 127.0.0.1 (0.0.0.0: every interface). "Serving …" is printed
# once the port is bound; a port already in use is an error instead.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:?usage: ./scripts/serve.sh CORPUS_DIR [PORT] [HOST]}"
port="${2:-8000}"
host="${3:-${FAZHI_HOST:-127.0.0.1}}"

source scripts/compiler.sh
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .

.venv/bin/fazhi index "$corpus" || [ $? -eq 1 ]  # 1: some files could not be read; the rest are indexed
exec .venv/bin/fazhi serve --host "$host" --port "$port"
