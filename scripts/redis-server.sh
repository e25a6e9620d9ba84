#!/usr/bin/env bash
# Makes sure `redis-server` is on PATH, installing Debian's package when it is not (needs root
# and apt-get). Used by the Redis tests (`tests/support/redis.rs`) and by .ci/run; prints the
# path of the binary.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "redis-server is not installed and apt-get is not available: install Redis 6.2 or later" >&2
        exit 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "redis-server is not installed; installing it needs root (apt-get install redis-server)" >&2
        exit 1
    fi
    echo "installing redis-server (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends redis-server >&2
    # The package starts a system service on 6379; the tests start their own servers.
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now redis-server >/dev/null 2>&1 || true
    fi
fi
command -v redis-server
