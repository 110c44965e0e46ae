# shellcheck shell=bash
# Shared settings of deploy/local/*.sh. Sourced, never run.

# Apache Kafka release run by the local stack (keep in step with kafka.version in kafka/pom.xml).
CITYOPS_KAFKA_VERSION_DEFAULT="4.1.1"

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${LOCAL_DIR}/../.." && pwd)"

CITYOPS_KAFKA_VERSION="${CITYOPS_KAFKA_VERSION:-${CITYOPS_KAFKA_VERSION_DEFAULT}}"
CITYOPS_CACHE_DIR="${CITYOPS_CACHE_DIR:-${REPO_ROOT}/.state/cache}"
KAFKA_LIBS="${CITYOPS_CACHE_DIR}/kafka-${CITYOPS_KAFKA_VERSION}/libs"

log() { printf '[cityops-local] %s\n' "$*" >&2; }
die() { printf '[cityops-local] ERROR: %s\n' "$*" >&2; exit 1; }

# True when the jars of CITYOPS_KAFKA_VERSION are complete in the cache.
kafka_libs_ready() {
  [[ -f "${KAFKA_LIBS}/.complete" ]] \
    && [[ -f "${KAFKA_LIBS}/kafka_2.13-${CITYOPS_KAFKA_VERSION}.jar" ]]
}
