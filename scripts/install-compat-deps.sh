#!/bin/sh
# Installs what the compat and golden-frame tooling needs: real Apache ZooKeeper 3.8 (Debian) as
# the reference server, and kazoo plus the Python packages its own test suite imports.
# Idempotent and quiet: apt is touched only when a package is missing. Debian 12, run as root.
set -eu

PACKAGES="zookeeper zookeeper-bin python3-kazoo python3-pytest python3-pytest-timeout python3-mock \
python3-objgraph python3-pure-sasl python3-eventlet python3-gevent libcurator-recipes-java libcurator-framework-java libcurator-client-java"

missing=""
for pkg in $PACKAGES; do
  # "install ok installed" is the only state in which the package's files are really present.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing="$missing $pkg"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-compat-deps: missing:$missing (run as root to install them)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Output is kept and shown only on failure, so a successful run stays silent.
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-compat-deps: failed to install:$missing" >&2
  exit 1
fi
