#!/usr/bin/env bash
# Installs the Debian 12 packages RoPE Workbench needs. Idempotent: packages that are
# already installed are skipped, and nothing is downloaded when all are present.
# Works as root or through sudo. dpkg-dev computes the Debian package's dependencies (cpack -G
# DEB); appstream and desktop-file-utils validate the installed metadata (tests/install); Open
# MPI runs rope-cli as an MPI job (docs/cluster.md; optional at build time, tested in CI).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  qt6-base-dev qt6-svg-dev libqcustomplot-dev
  libtorch-dev libopenblas0-pthread
  nlohmann-json3-dev
  libsentencepiece-dev sentencepiece
  libpcre2-dev libicu-dev
  libopenmpi-dev openmpi-bin
  xvfb xauth
  bible-kjv python3
  dpkg-dev appstream desktop-file-utils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
