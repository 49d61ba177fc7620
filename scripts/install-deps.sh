#!/usr/bin/env bash
# Installs the Debian packages derivcache needs, and only those that are missing.
set -euo pipefail

packages=(
  libcaf-dev
  libboost1.81-dev libboost-json1.81-dev   # never libboost-dev: 1.74 has no Boost.JSON and conflicts
  libssl-dev openssl zlib1g-dev
  libgtest-dev libbenchmark-dev libsqlite3-dev
  clang libclang-rt-14-dev
  cmake g++ make curl
  linux-perf                               # make bench: the profiles in docs/performance.md
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all dependencies present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
