#!/usr/bin/env bash
# Ensures the Ceph binaries needed by test/support/radosgw.ts are present.
#
#   - all present            -> exit 0 immediately
#   - missing, root + apt    -> apt-get update && apt-get install (Debian packages)
#   - missing, otherwise     -> print what to install, exit 1
#
# Packages: radosgw (radosgw, radosgw-admin), ceph-mon (ceph-mon, monmaptool),
# ceph-osd (ceph-osd); ceph-common (ceph, ceph-authtool) comes in as a dependency.
set -euo pipefail

PACKAGES=(radosgw ceph-mon ceph-osd ceph-common)
BINARIES=(radosgw radosgw-admin ceph-mon monmaptool ceph-osd ceph)

missing=()
for b in "${BINARIES[@]}"; do
  if ! command -v "$b" >/dev/null 2>&1; then
    missing+=("$b")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-radosgw: missing binaries: ${missing[*]}" >&2

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<MSG
install-radosgw: cannot install automatically (needs root and apt-get).
The S3 tests need Ceph's RADOS Gateway. On Debian 12 (bookworm) run, as root:

    apt-get update
    apt-get install -y --no-install-recommends ${PACKAGES[*]}

(binaries required on PATH: ${BINARIES[*]})
MSG
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-radosgw: installing ${PACKAGES[*]} with apt-get" >&2
# Test files run in parallel and other ones install their own Debian packages (test/codecs/oracles.ts):
# one lock file serializes every apt-get of the test suite, and apt waits for dpkg's own lock too.
apt() { flock /tmp/rx-firehose-apt.lock apt-get -o DPkg::Lock::Timeout=300 "$@"; }
apt update -q
apt install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${PACKAGES[@]}"

still=()
for b in "${BINARIES[@]}"; do
  command -v "$b" >/dev/null 2>&1 || still+=("$b")
done
if [ "${#still[@]}" -ne 0 ]; then
  echo "install-radosgw: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "install-radosgw: done" >&2
