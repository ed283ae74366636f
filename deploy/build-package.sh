#!/usr/bin/env bash
# Builds the Debian package egresswatch_<version>_<arch>.deb into BUILD_DIR
# (default build-package/) and prints its path. See deploy/package.cmake.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-package}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF > /dev/null
cmake --build "$build" -j"$(nproc)" > /dev/null
(cd "$build" && rm -f egresswatch_*.deb && cpack -G DEB > /dev/null)
ls "$build"/egresswatch_*.deb
