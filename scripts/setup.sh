#!/usr/bin/env bash
# Installs what the build and the tests need (Debian 12 packages), then configures and builds.
# Used by run.sh and test.sh; safe to run again: it only installs what is missing.
#   BUILD_DIR   where to build (default: build)
#   MCU_CMAKE_FLAGS  extra flags for cmake's configure step
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libevent-dev libsrtp2-dev libnss3-dev libssl-dev libjansson-dev libsqlite3-dev libcmocka-dev
  libopus-dev libspeexdsp-dev libvpx-dev libavcodec-dev libavutil-dev libswscale-dev
  ffmpeg iproute2 sqlite3 jq gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "setup: run as root, or install: apt-get install ${missing[*]}" >&2; exit 1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
[[ ${CI:-} == true ]] && flags+=(-DMCU_WERROR=ON)
# shellcheck disable=SC2206
flags+=(${MCU_CMAKE_FLAGS:-})
cmake -S . -B "$BUILD_DIR" "${flags[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
