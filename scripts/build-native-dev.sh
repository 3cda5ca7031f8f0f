#!/usr/bin/env bash
# Incremental rebuild of the addon into build/Release for development.
# Serialised with a lock so several builds in one checkout never interleave.
set -euo pipefail
cd "$(dirname "$0")/.."
exec flock /tmp/r1-native-build.lock bash -c 'npx node-gyp configure > /dev/null && npx node-gyp build -j 2'
