#!/bin/sh
# Install the monitor into a new virtual environment, every dependency pinned by constraints.txt.
# The one install recipe: deploy/Dockerfile runs it, and CI runs it with an old pip (23.2) to
# prove the pins and the declared dependencies are enough.
#   sh deploy/install.sh VENV [SOURCE_DIR]      (PIP_VERSION=23.2.1 pins pip first)
set -eu
venv="$1"
src="${2:-.}"
python3 -m venv "$venv"
if [ -n "${PIP_VERSION:-}" ]; then
  "$venv/bin/python" -m pip install --quiet "pip==$PIP_VERSION"
fi
"$venv/bin/python" -m pip install --quiet --no-cache-dir -c "$src/constraints.txt" "$src[postgres,queue]"
"$venv/bin/monitor" --version
