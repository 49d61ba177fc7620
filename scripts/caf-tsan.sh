#!/usr/bin/env bash
# Builds CAF 0.17.6 (core, io, openssl) with ThreadSanitizer from Debian's own source tarball, for the
# TSan run of the actor tests in `make test-sanitize`. Debian's libcaf_core is not instrumented: every
# hand-off CAF makes between threads (a mailbox, an actor moving between workers) happens in lock-free
# code TSan cannot see, so against it TSan reports each actor's first touch of state another worker
# wrote. With CAF instrumented, those hand-offs are visible and a report is a real race.
#
# Usage: caf-tsan.sh DIR   (installs into DIR/install; does nothing when DIR/install is already built)
# The tarball is the one Debian's libcaf-dev 0.17.6 is built from, checked against the SHA-256 in
# Debian's actor-framework_0.17.6-2.1.dsc. Same configuration as Debian's headers (log level QUIET,
# exceptions and memory management on), so the installed headers match the library.
set -euo pipefail

dir=${1:?usage: caf-tsan.sh DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=actor-framework_0.17.6.orig.tar.gz
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
jobs=${JOBS:-$(nproc)}

if [[ -f "$dir/install/.built" ]]; then
  exit 0
fi
mkdir -p "$dir"
cd "$dir"
if ! echo "$sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
  echo "caf-tsan: downloading $mirror/pool/main/a/actor-framework/$tarball"
  curl -fsSL --retry 3 -o "$tarball" "$mirror/pool/main/a/actor-framework/$tarball"
  echo "$sha256  $tarball" | sha256sum -c --status || { echo "caf-tsan: $tarball: SHA-256 mismatch" >&2; exit 1; }
fi
rm -rf src build install
mkdir src
tar xzf "$tarball" -C src --strip-components=1
# GCC 12: this header uses std::numeric_limits without including <limits> (Debian builds with older
# headers that pulled it in transitively).
sed -i 's|#pragma once|#pragma once\n#include <limits>|' src/libcaf_io/caf/io/network/receive_buffer.hpp

echo "caf-tsan: building CAF 0.17.6 with -fsanitize=thread into $dir/install"
cmake -S src -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$PWD/install" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -O1 -g" -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_TOOLS=yes -DCAF_NO_PYTHON=yes -DCAF_NO_OPENCL=yes \
  -DCAF_NO_SUMMARY=yes >build.log 2>&1 || { cat build.log >&2; exit 1; }
cmake --build build -j "$jobs" >>build.log 2>&1 || { tail -50 build.log >&2; exit 1; }
cmake --install build >>build.log 2>&1
touch install/.built
