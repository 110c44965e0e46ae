#!/usr/bin/env bash
# Installs what the CityOps build and local stack need on Debian 12, then fetches
# Apache Kafka's jars from Maven Central into the cache folder. Idempotent: installs
# only what is missing and skips the jar download when that version is already cached.
#
# Env: CITYOPS_CACHE_DIR (default <repo>/.state/cache), CITYOPS_KAFKA_VERSION.
set -euo pipefail

# shellcheck source=deploy/local/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev libpqxx-dev prometheus-cpp-dev catch2 libspdlog-dev libabsl-dev
  nlohmann-json3-dev libboost-dev libargon2-dev libssl-dev
  postgresql-15 postgresql-15-postgis-3
  clang-format clang-tidy shellcheck
  maven openjdk-17-jre-headless
  procps
  chromium
)

# Node.js and npm build the operator console; a machine that already has them
# (any version from 18 on) keeps its own.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

install_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg -s "${pkg}" >/dev/null 2>&1; then
      missing+=("${pkg}")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return
  fi
  log "Debian packages missing: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${missing[*]} by hand"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q "${missing[@]}"
  log "Debian packages: installed ${missing[*]}"
}

fetch_kafka() {
  if kafka_libs_ready; then
    log "Kafka ${CITYOPS_KAFKA_VERSION} jars: cached in ${KAFKA_LIBS}"
    return
  fi
  log "Kafka ${CITYOPS_KAFKA_VERSION} jars: fetching with Maven into ${KAFKA_LIBS}"
  local tmp="${KAFKA_LIBS}.tmp"
  rm -rf "${tmp}"
  mkdir -p "${tmp}" "${CITYOPS_CACHE_DIR}/m2"
  local mvn_log="${CITYOPS_CACHE_DIR}/kafka-${CITYOPS_KAFKA_VERSION}.mvn.log"
  if ! mvn -B -Dstyle.color=never -f "${LOCAL_DIR}/kafka/pom.xml" \
    -Dmaven.repo.local="${CITYOPS_CACHE_DIR}/m2" \
    -Dkafka.version="${CITYOPS_KAFKA_VERSION}" \
    -DincludeScope=runtime \
    -DoutputDirectory="${tmp}" \
    dependency:copy-dependencies >"${mvn_log}" 2>&1; then
    tail -n 40 "${mvn_log}" >&2
    die "Maven could not fetch Kafka ${CITYOPS_KAFKA_VERSION} (full log: ${mvn_log})"
  fi
  [[ -f "${tmp}/kafka_2.13-${CITYOPS_KAFKA_VERSION}.jar" ]] \
    || die "Maven finished but kafka_2.13-${CITYOPS_KAFKA_VERSION}.jar is not in ${tmp}"
  touch "${tmp}/.complete"
  rm -rf "${KAFKA_LIBS}"
  mv "${tmp}" "${KAFKA_LIBS}"
  log "Kafka ${CITYOPS_KAFKA_VERSION} jars: $(find "${KAFKA_LIBS}" -name '*.jar' | wc -l) jars ready"
}

install_packages
fetch_kafka
