#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Build vcsim-cs: govmomi's vCenter simulator from Debian's golang-github-vmware-govmomi-dev
# plus our main (cmd/vcsim-cs) and extension (cshvext), in GOPATH mode, nothing fetched
# from the network. The binary is cached by recipe:
#   ${CSHV_CACHE:-/var/tmp/cshv-cache}/vcsim/<sha256 of our Go sources + Debian package versions>/vcsim-cs
# A cache hit skips the build. The binary's path is the last line on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
packages=(golang-go golang-github-vmware-govmomi-dev)
start=$(date +%s.%N)

elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

pkg_version() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | awk '$3 == "installed" { print $4 }'; }

missing=()
for p in "${packages[@]}"; do
  [[ -n "$(pkg_version "$p")" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "vcsim build: Debian packages missing: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "vcsim build: installing ${missing[*]} from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >&2
fi

gosrc=/usr/share/gocode
[[ -d "$gosrc/src/github.com/vmware/govmomi/simulator" ]] || {
  echo "vcsim build: $gosrc/src/github.com/vmware/govmomi/simulator not found (golang-github-vmware-govmomi-dev)" >&2
  exit 1
}

# Recipe: our Go sources (path + content) and the versions of what compiles them.
recipe=$(
  cd "$here"
  {
    find cmd cshvext -type f -name '*.go' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    echo "build.sh $(sha256sum < build.sh)"
    for p in "${packages[@]}" golang-github-google-uuid-dev; do echo "$p $(pkg_version "$p")"; done
    go version
  } | sha256sum | cut -c1-64
)
cache=${CSHV_CACHE:-/var/tmp/cshv-cache}/vcsim
out=$cache/$recipe/vcsim-cs
if [[ -x "$out" ]]; then
  echo "vcsim build: cache hit $recipe ($(elapsed) s)" >&2
  echo "$out"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cshv-vcsim-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/cshv/cmd" "$cache/$recipe"
cp -r "$here/cshvext" "$work/src/cshv/"
cp -r "$here/cmd/vcsim-cs" "$work/src/cshv/cmd/"

echo "vcsim build: building $recipe with $(go version | cut -d' ' -f3) and govmomi $(pkg_version golang-github-vmware-govmomi-dev)" >&2
(
  cd "$work/src/cshv/cmd/vcsim-cs"
  GO111MODULE=off GOPATH="$work:$gosrc" GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local \
    GOCACHE="${GOCACHE:-$cache/gocache}" \
    nice go build -trimpath -ldflags='-s -w' -o "$work/vcsim-cs" .
)
mv "$work/vcsim-cs" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "vcsim build: built $out in $(elapsed) s" >&2
echo "$out"
