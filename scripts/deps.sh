#!/usr/bin/env bash
# Install the Debian packages libpedia needs, only when something is missing
# (clang-format-14 and clang-tidy-14 for the gate_format and gate_tidy tests;
# clang-14 and libfuzzer-14-dev for the fuzz targets, tests/fuzz).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcurl4-openssl-dev libssl-dev
      libjson-c-dev libpq-dev libsqlite3-dev sqlite3 libmicrohttpd-dev
      libgnutls28-dev zlib1g-dev curl openssl
      libcmocka-dev libyaml-dev postgresql python3-pytest python3-kubernetes
      clang-format-14 clang-tidy-14 clang-14 libfuzzer-14-dev python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
