#!/bin/bash
# The core's folders call only downward (docs/CONVENTIONS.md): checked on
# the objects of the current build.
set -u
cd "$(dirname "$0")/../.."
scripts/check-layers.sh "${BUILD:-build}"
