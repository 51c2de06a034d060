#!/bin/sh
# Launcher of the project's Deno Jupyter kernel (kernelspec folder: <project>/jupyter/kernels/deno).
#
# It records no path of any machine: the deno binary is looked up each time the kernel starts, so the
# project can be moved or its node_modules rebuilt. Lookup order:
#   1. $DENO_BIN, if set
#   2. `deno` on PATH
#   3. <project>/node_modules (npm-installed deno, in npm's or Deno's layout)
#   4. the npx cache (${npm_config_cache:-~/.npm}/_npx/*/node_modules/@deno/<platform>/deno)
# Usage: JUPYTER_PATH=<project>/jupyter jupyter notebook   (Jupyter passes argv[1] = the connection file)
#        sh deno-kernel.sh --which    prints the deno binary it would start, and its version
set -u
conn="${1:?usage: deno-kernel.sh CONNECTION_FILE | --which}"
# shell built-ins only (no dirname/head), so a minimal PATH is enough
case "$0" in */*) here="${0%/*}" ;; *) here=. ;; esac
root="$(cd "$here/../../.." && pwd)"

try() {
  # A usable candidate is an executable file that answers --version (rules out stale shims).
  if [ -n "$1" ] && [ -f "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; then
    if [ "$conn" = "--which" ]; then
      echo "$1"
      "$1" --version | { read -r line; echo "$line"; }
      exit 0
    fi
    exec "$1" jupyter --kernel --conn "$conn"
  fi
}

try "${DENO_BIN:-}"
try "$(command -v deno 2>/dev/null || true)"
for cand in \
  "$root/node_modules/deno/deno" \
  "$root"/node_modules/@deno/*/deno \
  "$root"/node_modules/.deno/@deno+*/node_modules/@deno/*/deno \
  "${npm_config_cache:-${HOME:-/nonexistent}/.npm}"/_npx/*/node_modules/@deno/*/deno \
  "${npm_config_cache:-${HOME:-/nonexistent}/.npm}"/_npx/*/node_modules/deno/deno; do
  try "$cand"
done

echo "deno-kernel.sh: no deno binary found (looked at \$DENO_BIN, PATH, $root/node_modules and the npx cache)." >&2
echo "Fetch one with:  npx -y deno@2.9.6 --version   (or install Deno and put it on PATH)" >&2
exit 1
