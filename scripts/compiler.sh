# Sourced by test.sh and serve.sh before installing: the package compiles one small C extension
# (search/_count.c), so it needs a C compiler and Python's headers (Python.h). Installed when missing.
need=()
command -v cc >/dev/null || need+=(gcc libc6-dev)
python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))' ||
  need+=(python3-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
  else
    echo "$(basename "$0"): missing ${need[*]} (a C compiler, Python's headers): installing the package will fail" >&2
    echo "         (as root: apt-get update && apt-get install -y --no-install-recommends ${need[*]})" >&2
  fi
fi
