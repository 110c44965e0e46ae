#!/usr/bin/env python3
"""Checks that every CityOps service is deployed everywhere, consistently: a schema says a
file is well formed, not that a new service was added to each place it must be.

    services.py compose COMPOSE_FILE     docker-compose.yml
    services.py rendered FILE            a rendered overlay (`kustomize build` output)

The services are the folders of services/ that build something (a CMakeLists.txt) and
whose database role is listed in deploy/local/services.txt (so city-sim and common are
not), and also any service with such a role that is already deployed before its folder
exists (a folder deploy/k8s/base/<name>/ with a deployment.yaml, or a service of
docker-compose.yml): deployed ahead of its code, it must be deployed everywhere all the
same. For each, the role is the name with '_' for '-'.

compose: a service of that name runs the binary, publishes its gRPC and metrics ports,
has a gRPC health check on its gRPC port and waits for db-init and kafka-topics; its DSN
and schema name its role, and its PGPASSWORD is the one db-init gives that role; db-init
creates the role (CITYOPS_SERVICES, <ROLE>_PASSWORD). A CITYOPS_HTTP_ADDRESS (a service
with an HTTP API) binds 0.0.0.0:<port> too. No two services share a port. Each waits for
kafka and postgres to be healthy. The gateway's HTTP port is published; city-sim is in a
profile of its own, its --scenario-dir is where deploy/Dockerfile puts the scenarios, every
setting whose default in services/city-sim/src/options.h is loopback is set, and each of
its CITYOPS_<X>_ADDRESS names a service's gRPC port that it waits for (healthy), and its
scenario (CITYOPS_SCENARIO's default) is none or a file of services/city-sim/scenarios.

rendered: a Deployment (the binary, gRPC probes on the gRPC port, resources, the
ConfigMap of its name, PGPASSWORD from the Secret cityops-pg-<name>), a Service, a
ServiceAccount and a PodDisruptionBudget of that name; the ConfigMap's addresses, DSN and
schema agree with the Deployment (an HTTP API: a container port named http and
CITYOPS_HTTP_ADDRESS, both or neither); the Service exposes exactly the container's
ports; the Job cityops-db-init creates the role from the same Secret; with
NetworkPolicies rendered, the gRPC and metrics ingress policies open the service's ports,
some ingress policy selecting its pods opens its HTTP port, and each CityOps service it
calls (a CITYOPS_<X>_ADDRESS of <deployment>:<port> in its ConfigMap, e.g. the gateway's
five) is reachable through an egress policy selecting its pods. Every service's pods meet
the restricted Pod Security profile (non-root, seccomp RuntimeDefault, no privilege
escalation, all capabilities dropped, read-only root filesystem); its Deployment (and pod
template), Service, ServiceAccount and PodDisruptionBudget carry the recommended
app.kubernetes.io/ labels (name, instance, version, component, part-of, managed-by), the
version being the image's tag; with
PodMonitors rendered, one of them selects its pods and scrapes the port named metrics.

Both: Kafka and PostgreSQL are the local stack's versions (deploy/local/common.sh's Kafka
release: the apache/kafka image's tag, the Strimzi Kafka's spec.kafka.version; PostgreSQL's
major version of deploy/local/stack.sh, with PostGIS). Every setting of a service whose
default in services/<name>/src/settings.h (or settings.cc) is a loopback address
(127.0.0.1:<port>, right for the local stack only) is set, in docker-compose.yml's
environment and in the ConfigMap.

Exit 0 when consistent, 1 with one line per problem otherwise.
"""

import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SERVICES_DIR = os.path.join(REPO, "services")
ROLES_FILE = os.path.join(REPO, "deploy", "local", "services.txt")
K8S_BASE = os.path.join(REPO, "deploy", "k8s", "base")
COMPOSE_FILE = os.path.join(REPO, "docker-compose.yml")


def has_folder(name):
    return os.path.isfile(os.path.join(SERVICES_DIR, name, "CMakeLists.txt"))


def services():
    with open(ROLES_FILE, encoding="utf-8") as f:
        roles = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    names = {n for n in os.listdir(SERVICES_DIR) if has_folder(n)}
    if not names:
        raise SystemExit(f"services.py: no service folder in {SERVICES_DIR}")
    # Deployed ahead of its code (the folder is being written): checked all the same.
    if os.path.isdir(K8S_BASE):
        names |= {n for n in os.listdir(K8S_BASE) if os.path.isfile(os.path.join(K8S_BASE, n, "deployment.yaml"))}
    if os.path.isfile(COMPOSE_FILE):
        with open(COMPOSE_FILE, encoding="utf-8") as f:
            names |= set((yaml.safe_load(f) or {}).get("services", {}) or {})
    found = sorted(n for n in names if n.replace("-", "_") in roles)
    if not found:
        raise SystemExit(f"services.py: no service folder of {SERVICES_DIR} has a role in {ROLES_FILE}")
    return found


def origin(name):
    return f"services/{name} exists" if has_folder(name) else f"{name} is deployed elsewhere; services/{name} not yet"


def port_of(address):
    m = re.fullmatch(r"0\.0\.0\.0:(\d+)", str(address or ""))
    return int(m.group(1)) if m else None


def env_map(env):
    # Compose accepts a mapping or a list of NAME=value.
    if isinstance(env, dict):
        return {k: ("" if v is None else str(v)) for k, v in env.items()}
    out = {}
    for item in env or []:
        name, _, value = str(item).partition("=")
        out[name] = value
    return out


SCENARIOS = os.path.join(REPO, "services", "city-sim", "scenarios")
DOCKERFILE = os.path.join(REPO, "deploy", "Dockerfile")
SIM_OPTIONS = os.path.join(REPO, "services", "city-sim", "src", "options.h")


def scenario_problem(where, value):
    # The scenario the simulator plays: "none" or one of the shipped files (by name).
    if not os.path.isdir(SCENARIOS) or value == "none":
        return []
    names = sorted(f[:-5] for f in os.listdir(SCENARIOS) if f.endswith(".json"))
    if value not in names:
        return [f"{where}: scenario {value!r} is not one of services/city-sim/scenarios ({', '.join(names)}) nor none"]
    return []


def local_versions():
    # The local stack's Kafka release and PostgreSQL major version: docker-compose.yml and
    # the Kubernetes manifests run the same.
    with open(os.path.join(REPO, "deploy", "local", "common.sh"), encoding="utf-8") as f:
        kafka = re.search(r'^CITYOPS_KAFKA_VERSION_DEFAULT="([^"]+)"', f.read(), re.M)
    with open(os.path.join(REPO, "deploy", "local", "stack.sh"), encoding="utf-8") as f:
        pg = re.search(r'^PG_BIN="/usr/lib/postgresql/(\d+)/bin"', f.read(), re.M)
    return (kafka.group(1) if kafka else None), (pg.group(1) if pg else None)


def check_versions_compose(compose):
    kafka, pg = local_versions()
    problems = []
    image = str((compose.get("kafka") or {}).get("image", ""))
    if image != f"apache/kafka:{kafka}":
        problems.append(f"services.kafka: image {image!r}, not apache/kafka:{kafka} (the local stack's Kafka)")
    for name in ("postgres", "db-init"):
        image = str((compose.get(name) or {}).get("image", ""))
        if not re.fullmatch(rf"postgis/postgis:{pg}-[0-9.]+", image):
            problems.append(f"services.{name}: image {image!r} is not PostgreSQL {pg} with PostGIS (the local stack's)")
    return problems


def check_versions_rendered(by_kind):
    kafka, pg = local_versions()
    problems = []
    for name, d in by_kind.get("Kafka", {}).items():
        if str(d["spec"]["kafka"].get("version")) != kafka:
            problems.append(f"Kafka {name}: version {d['spec']['kafka'].get('version')}, not the local stack's {kafka}")
    for name, d in by_kind.get("Cluster", {}).items():
        image = str(d["spec"].get("imageName", ""))
        if not re.search(rf"/postgis:{pg}(\b|$)", image):
            problems.append(f"Cluster {name}: image {image!r} is not PostgreSQL {pg} with PostGIS (the local stack's)")
    return problems


def loopback_settings(path):
    # CITYOPS_<NAME> of each setting whose default is a loopback address (127.0.0.1:<port>,
    # right for the local stack, wrong in a container or a pod), so docker-compose.yml and
    # the ConfigMaps must set them. Found in the settings/options header (a field
    # `std::string name = "127.0.0.1:..."`) and in its .cc beside it (such a field, or a
    # default read as `config.GetString("name", "127.0.0.1:...")`).
    found = []
    for file in (path, os.path.splitext(path)[0] + ".cc"):
        try:
            with open(file, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        found += ["CITYOPS_" + field.upper() for field in re.findall(r'std::string (\w+) = "127\.0\.0\.1:', text)]
        found += ["CITYOPS_" + flag.upper().replace("-", "_")
                  for flag in re.findall(r'Get\w*\(\s*"([a-z0-9-]+)"\s*,\s*"127\.0\.0\.1:', text)]
    return sorted(set(found))


def service_loopback_settings(name):
    return loopback_settings(os.path.join(REPO, "services", name, "src", "settings.h"))


def check_compose_tools(compose):
    # The gateway's HTTP port published; the simulator in a profile of its own, reading the
    # scenario files from the folder the image ships them in.
    problems = []
    gateway = compose.get("gateway")
    if gateway is not None:
        http = port_of(env_map(gateway.get("environment")).get("CITYOPS_HTTP_ADDRESS"))
        if http is None or not any(str(p).endswith(f":{http}") for p in gateway.get("ports", [])):
            problems.append("services.gateway: its HTTP port is not published")
    sim = compose.get("city-sim")
    if sim is None:
        return problems + ["no service 'city-sim' (the simulator, profile sim)"]
    if not sim.get("profiles"):
        problems.append("services.city-sim: not in a profile of its own (it must not start by default)")
    command = [str(c) for c in sim.get("command") or []]
    sim_env = env_map(sim.get("environment"))
    # Settings whose built-in default is loopback (right for deploy/run.sh, wrong in a
    # container) must be set; each CITYOPS_<X>_ADDRESS names a service's gRPC port, and
    # the simulator waits for that service to be healthy.
    scenario = re.fullmatch(r"\$\{[A-Z0-9_]+:-([^}]*)\}|([^$]*)", str(sim_env.get("CITYOPS_SCENARIO", "none")))
    problems += scenario_problem("services.city-sim: CITYOPS_SCENARIO", (scenario.group(1) or scenario.group(2)) if scenario else "")
    for var in loopback_settings(SIM_OPTIONS):
        if not sim_env.get(var):
            problems.append(f"services.city-sim: {var} not set (its default is loopback)")
    depends = sim.get("depends_on") or {}
    for var, value in sorted(sim_env.items()):
        called = re.fullmatch(r"([a-z][a-z0-9-]*):(\d+)", str(value)) if var.endswith("_ADDRESS") else None
        if called is None:
            continue
        target, port = called.group(1), int(called.group(2))
        if port_of(env_map((compose.get(target) or {}).get("environment")).get("CITYOPS_GRPC_ADDRESS")) != port:
            problems.append(f"services.city-sim: {var}={value} is no service's gRPC port")
        elif (depends.get(target) or {}).get("condition") != "service_healthy":
            problems.append(f"services.city-sim: does not wait for {target} to be healthy ({var})")
    if os.path.isdir(SCENARIOS) or "--scenario-dir" in command:
        folder = command[command.index("--scenario-dir") + 1] if "--scenario-dir" in command[:-1] else None
        with open(DOCKERFILE, encoding="utf-8") as f:
            dockerfile = f.read()
        if folder is None:
            problems.append("services.city-sim: no --scenario-dir (services/city-sim/scenarios exists)")
        elif not re.search(rf"^COPY --from=build /out/scenarios/ {re.escape(folder.rstrip('/'))}/?$", dockerfile, re.M):
            problems.append(f"services.city-sim: --scenario-dir {folder} is not where deploy/Dockerfile copies the scenarios")
    return problems


def check_compose(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    compose = doc.get("services", {})
    problems = []
    used_ports = {}
    init_env = env_map(compose.get("db-init", {}).get("environment"))
    init_roles = init_env.get("CITYOPS_SERVICES", "").split()
    if "db-init" not in compose:
        problems.append("no service 'db-init'")
    for name in services():
        role = name.replace("-", "_")
        pw_var = f"{role.upper()}_PASSWORD"
        if role not in init_roles:
            problems.append(f"services.db-init: CITYOPS_SERVICES does not create role {role}")
        if not init_env.get(pw_var):
            problems.append(f"services.db-init: no {pw_var}")
        svc = compose.get(name)
        if svc is None:
            problems.append(f"no service '{name}' ({origin(name)})")
            continue
        where = f"services.{name}"
        env = env_map(svc.get("environment"))
        if (svc.get("command") or [None])[0] != name:
            problems.append(f"{where}.command does not run {name}")
        grpc = port_of(env.get("CITYOPS_GRPC_ADDRESS"))
        metrics = port_of(env.get("CITYOPS_METRICS_ADDRESS"))
        if grpc is None or metrics is None:
            problems.append(f"{where}: CITYOPS_GRPC_ADDRESS and CITYOPS_METRICS_ADDRESS must bind 0.0.0.0:<port>")
        for port in (grpc, metrics):
            if port is None:
                continue
            if port in used_ports:
                problems.append(f"{where}: port {port} is also {used_ports[port]}'s")
            used_ports[port] = name
            if not any(str(p).endswith(f":{port}:{port}") for p in svc.get("ports", [])):
                problems.append(f"{where}.ports does not publish {port}")
        # An HTTP API: bound like the others; publishing it is the service's own choice
        # (it may be reached through the gateway only).
        if "CITYOPS_HTTP_ADDRESS" in env:
            http = port_of(env["CITYOPS_HTTP_ADDRESS"])
            if http is None:
                problems.append(f"{where}: CITYOPS_HTTP_ADDRESS must bind 0.0.0.0:<port>")
            elif http in used_ports:
                problems.append(f"{where}: port {http} is also {used_ports[http]}'s")
            else:
                used_ports[http] = name
        test = (svc.get("healthcheck") or {}).get("test") or []
        if grpc is not None and (len(test) < 3 or test[1] != "grpc-health-check" or not test[2].endswith(f":{grpc}")):
            problems.append(f"{where}.healthcheck is not grpc-health-check on port {grpc}")
        depends = svc.get("depends_on") or {}
        for dep, condition in (("kafka", "service_healthy"), ("postgres", "service_healthy"),
                               ("db-init", "service_completed_successfully"),
                               ("kafka-topics", "service_completed_successfully")):
            got = depends.get(dep, {}).get("condition") if isinstance(depends, dict) else None
            if got != condition:
                problems.append(f"{where}.depends_on: needs {dep} with condition {condition}")
        for var in service_loopback_settings(name):
            if not env.get(var):
                problems.append(f"{where}: {var} not set (its default is loopback)")
        if env.get("CITYOPS_PG_SCHEMA") != role:
            problems.append(f"{where}: CITYOPS_PG_SCHEMA is not {role}")
        if not env.get("CITYOPS_PG_DSN", "").startswith(f"postgresql://{role}@"):
            problems.append(f"{where}: CITYOPS_PG_DSN does not log in as {role}")
        if init_env.get(pw_var) and env.get("PGPASSWORD") != init_env[pw_var]:
            problems.append(f"{where}: PGPASSWORD is not db-init's {pw_var}")
    problems += check_compose_tools(compose)
    problems += check_versions_compose(compose)
    for p in problems:
        print(f"{path}: {p}")
    if not problems:
        print(f"{path}: {len(services())} services deployed consistently ({', '.join(services())})")
    return 1 if problems else 0


RECOMMENDED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
                      "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by")


def restricted_problems(where, pod_spec):
    # The restricted Pod Security Standard's rules that a pod template decides.
    problems = []
    psc = pod_spec.get("securityContext") or {}
    if pod_spec.get("hostNetwork") or pod_spec.get("hostPID") or pod_spec.get("hostIPC"):
        problems.append(f"{where}: host namespaces")
    for c in pod_spec.get("initContainers", []) + pod_spec.get("containers", []):
        csc = c.get("securityContext") or {}
        cname = f"{where} container {c.get('name')}"
        if not (csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True):
            problems.append(f"{cname}: runAsNonRoot is not true")
        if csc.get("runAsUser", psc.get("runAsUser")) == 0:
            problems.append(f"{cname}: runs as uid 0")
        seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{cname}: seccompProfile is not RuntimeDefault")
        if csc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{cname}: allowPrivilegeEscalation is not false")
        if csc.get("privileged"):
            problems.append(f"{cname}: privileged")
        caps = csc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []) or set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"{cname}: capabilities not all dropped")
        if csc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{cname}: readOnlyRootFilesystem is not true")
    return problems


def check_rendered_simulator(by_kind, deployments, policies, egress_allows):
    # The simulator (components/simulator), where rendered: its scenario folder is the
    # image's, its loopback settings are set, it calls Deployments that exist, through
    # egress policies when there are policies, and it meets the restricted profile.
    dep = deployments.get("city-sim")
    if dep is None:
        return []
    problems = []
    where = "Deployment city-sim"
    pod = dep["spec"]["template"]
    problems += restricted_problems(where, pod["spec"])
    if dep["spec"].get("replicas", 1) != 1:
        problems.append(f"{where}: more than one replica would simulate the city twice")
    labels = pod.get("metadata", {}).get("labels", {})
    missing = [k for k in RECOMMENDED_LABELS if not labels.get(k)]
    if missing:
        problems.append(f"{where}: pod template misses recommended labels {', '.join(missing)}")
    c = pod["spec"]["containers"][0]
    command = [str(x) for x in c.get("command") or []]
    with open(DOCKERFILE, encoding="utf-8") as f:
        dockerfile = f.read()
    folder = command[command.index("--scenario-dir") + 1] if "--scenario-dir" in command[:-1] else None
    if folder is None or not re.search(rf"^COPY --from=build /out/scenarios/ {re.escape(folder.rstrip('/'))}/?$",
                                       dockerfile, re.M):
        problems.append(f"{where}: --scenario-dir is not where deploy/Dockerfile copies the scenarios")
    cms = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
    data = next((by_kind.get("ConfigMap", {})[n].get("data", {}) for n in cms
                 if re.fullmatch(r"city-sim(-[a-z0-9]+)?", n) and n in by_kind.get("ConfigMap", {})), None)
    if data is None:
        return problems + [f"{where}: no ConfigMap city-sim in envFrom"]
    problems += scenario_problem("ConfigMap city-sim: CITYOPS_SCENARIO", data.get("CITYOPS_SCENARIO", "none"))
    for var in loopback_settings(SIM_OPTIONS):
        if not data.get(var):
            problems.append(f"ConfigMap city-sim: {var} not set (its default is loopback)")
    for key, value in sorted(data.items()):
        called = re.fullmatch(r"([a-z][a-z0-9-]*):(\d+)", str(value)) if key.endswith("_ADDRESS") else None
        if called is None:
            continue
        target, port = called.group(1), int(called.group(2))
        if target not in deployments:
            problems.append(f"ConfigMap city-sim: {key} names {target}, which is no Deployment here")
        elif policies and not egress_allows(labels, deployments[target]["spec"]["template"]["metadata"]["labels"], port):
            problems.append(f"no NetworkPolicy lets city-sim's pods call {target} on port {port} ({key})")
    return problems


def check_rendered(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), {})[d.get("metadata", {}).get("name")] = d
    problems = []
    job = by_kind.get("Job", {}).get("cityops-db-init")
    job_env = {}
    if job is None:
        problems.append("no Job cityops-db-init")
    else:
        problems += restricted_problems("Job cityops-db-init", job["spec"]["template"]["spec"])
        for e in job["spec"]["template"]["spec"]["containers"][0].get("env", []):
            job_env[e["name"]] = e
    policies = by_kind.get("NetworkPolicy", {})
    podmonitors = by_kind.get("PodMonitor", {})

    def policy_ports(name):
        pol = policies.get(name)
        if pol is None:
            problems.append(f"NetworkPolicies rendered but no {name}")
            return set()
        return {p.get("port") for rule in pol["spec"].get("ingress", []) for p in rule.get("ports", [])}

    grpc_open = policy_ports("cityops-grpc-ingress") if policies else None
    metrics_open = policy_ports("cityops-metrics-ingress") if policies else None

    def ingress_ports_for(labels):
        # Ports opened by the ingress rules of every policy whose podSelector (matchLabels
        # only; a selector with matchExpressions is not counted) selects these labels.
        opened = set()
        for pol in policies.values():
            sel = pol["spec"].get("podSelector") or {}
            if sel.get("matchExpressions"):
                continue
            if all(labels.get(k) == v for k, v in (sel.get("matchLabels") or {}).items()):
                for rule in pol["spec"].get("ingress", []):
                    opened |= {p.get("port") for p in rule.get("ports", [])}
        return opened

    def labels_match(selector, labels):
        # matchLabels only; a selector with matchExpressions is not counted.
        if (selector or {}).get("matchExpressions"):
            return False
        return all(labels.get(k) == v for k, v in ((selector or {}).get("matchLabels") or {}).items())

    def egress_allows(labels, target_labels, port):
        # Some policy selecting these pods has an egress rule to the target's pods (a
        # podSelector of this namespace) on this port (or on every port).
        for pol in policies.values():
            if "Egress" not in pol["spec"].get("policyTypes", []) or not labels_match(pol["spec"].get("podSelector"), labels):
                continue
            for rule in pol["spec"].get("egress", []):
                ports = {p.get("port") for p in rule.get("ports", [])}
                if ports and port not in ports:
                    continue
                for peer in rule.get("to", []):
                    if "podSelector" in peer and "namespaceSelector" not in peer and \
                            labels_match(peer["podSelector"], target_labels):
                        return True
        return False

    deployments = by_kind.get("Deployment", {})
    for name in services():
        role = name.replace("-", "_")
        secret = f"cityops-pg-{name}"
        for kind in ("Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"):
            if name not in by_kind.get(kind, {}):
                problems.append(f"no {kind} {name} ({origin(name)})")
        dep = by_kind.get("Deployment", {}).get(name)
        if dep is None:
            continue
        where = f"Deployment {name}"
        pod = dep["spec"]["template"]
        if pod.get("metadata", {}).get("labels", {}).get("cityops.io/workload") != "true":
            problems.append(f"{where}: pods not labelled cityops.io/workload=true (network policies)")
        if pod["spec"].get("serviceAccountName") != name:
            problems.append(f"{where}: serviceAccountName is not {name}")
        problems += restricted_problems(where, pod["spec"])
        for kind, meta in [(k, by_kind.get(k, {}).get(name, {}).get("metadata")) for k in
                           ("Deployment", "Service", "ServiceAccount", "PodDisruptionBudget")] + \
                [("Deployment's pod template", pod.get("metadata"))]:
            labels = (meta or {}).get("labels") or {}
            if meta is not None and any(not labels.get(k) for k in RECOMMENDED_LABELS):
                missing = [k for k in RECOMMENDED_LABELS if not labels.get(k)]
                problems.append(f"{kind} {name}: missing recommended labels {', '.join(missing)}")
            elif meta is not None and labels.get("app.kubernetes.io/name") != name:
                problems.append(f"{kind} {name}: app.kubernetes.io/name is not {name}")
        if podmonitors:
            pod_labels = pod.get("metadata", {}).get("labels", {})
            if not any(labels_match(pm["spec"].get("selector"), pod_labels) and
                       "metrics" in {e.get("port") for e in pm["spec"].get("podMetricsEndpoints", [])}
                       for pm in podmonitors.values()):
                problems.append(f"no PodMonitor scrapes {name}'s port named metrics")
        c = pod["spec"]["containers"][0]
        tag = str(c.get("image", "")).rpartition(":")[2] if ":" in str(c.get("image", "")).rpartition("/")[2] else "latest"
        version = pod.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/version")
        if version is not None and version != tag:
            problems.append(f"{where}: label app.kubernetes.io/version {version} is not the image's tag {tag}")
        if (c.get("command") or [None])[0] != name:
            problems.append(f"{where}: command does not run {name}")
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
        grpc, metrics, http = ports.get("grpc"), ports.get("metrics"), ports.get("http")
        if grpc is None or metrics is None:
            problems.append(f"{where}: needs container ports named grpc and metrics")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if (c.get(probe) or {}).get("grpc", {}).get("port") != grpc:
                problems.append(f"{where}: {probe} is not a gRPC probe on port {grpc}")
        res = c.get("resources") or {}
        if not res.get("requests") or not res.get("limits"):
            problems.append(f"{where}: needs resource requests and limits")
        cms = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
        cm = next((by_kind.get("ConfigMap", {}).get(n) for n in cms if re.fullmatch(rf"{name}(-[a-z0-9]+)?", n)), None)
        if cm is None:
            problems.append(f"{where}: no ConfigMap {name} in envFrom")
        else:
            data = cm.get("data", {})
            if port_of(data.get("CITYOPS_GRPC_ADDRESS")) != grpc:
                problems.append(f"ConfigMap {name}: CITYOPS_GRPC_ADDRESS is not 0.0.0.0:{grpc}")
            if port_of(data.get("CITYOPS_METRICS_ADDRESS")) != metrics:
                problems.append(f"ConfigMap {name}: CITYOPS_METRICS_ADDRESS is not 0.0.0.0:{metrics}")
            if http is not None and port_of(data.get("CITYOPS_HTTP_ADDRESS")) != http:
                problems.append(f"ConfigMap {name}: CITYOPS_HTTP_ADDRESS is not 0.0.0.0:{http}")
            if http is None and "CITYOPS_HTTP_ADDRESS" in data:
                problems.append(f"ConfigMap {name}: CITYOPS_HTTP_ADDRESS set but {where} has no container port named http")
            for var in service_loopback_settings(name):
                if not data.get(var):
                    problems.append(f"ConfigMap {name}: {var} not set (its default is loopback)")
            if data.get("CITYOPS_PG_SCHEMA") != role:
                problems.append(f"ConfigMap {name}: CITYOPS_PG_SCHEMA is not {role}")
            if not data.get("CITYOPS_PG_DSN", "").startswith(f"postgresql://{role}@"):
                problems.append(f"ConfigMap {name}: CITYOPS_PG_DSN does not log in as {role}")
            # The CityOps services it calls: each needs an egress policy (default deny).
            for key, value in sorted(data.items()):
                called = re.fullmatch(r"([a-z][a-z0-9-]*):(\d+)", str(value)) if key.endswith("_ADDRESS") else None
                if called is None:
                    continue
                target, target_port = called.group(1), int(called.group(2))
                if target not in deployments:
                    problems.append(f"ConfigMap {name}: {key} names {target}, which is no Deployment here")
                    continue
                target_labels = deployments[target]["spec"]["template"].get("metadata", {}).get("labels", {})
                if policies and not egress_allows(pod.get("metadata", {}).get("labels", {}), target_labels, target_port):
                    problems.append(f"no NetworkPolicy lets {name}'s pods call {target} on port {target_port} ({key})")
        pw = next((e for e in c.get("env", []) if e.get("name") == "PGPASSWORD"), None)
        if (pw or {}).get("valueFrom", {}).get("secretKeyRef", {}).get("name") != secret:
            problems.append(f"{where}: PGPASSWORD is not from the Secret {secret}")
        svc = by_kind.get("Service", {}).get(name)
        if svc is not None:
            want = {p for p in (grpc, metrics, http) if p is not None}
            if {p.get("port") for p in svc["spec"].get("ports", [])} != want:
                problems.append(f"Service {name}: ports are not {sorted(want)} (the container's)")
            if svc["spec"].get("selector", {}).get("app.kubernetes.io/name") != name:
                problems.append(f"Service {name}: does not select app.kubernetes.io/name={name}")
        if job is not None:
            if role not in job_env.get("CITYOPS_SERVICES", {}).get("value", "").split():
                problems.append(f"Job cityops-db-init: CITYOPS_SERVICES does not create role {role}")
            ref = job_env.get(f"{role.upper()}_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef", {})
            if ref.get("name") != secret:
                problems.append(f"Job cityops-db-init: {role.upper()}_PASSWORD is not from the Secret {secret}")
        if grpc_open is not None and grpc not in grpc_open:
            problems.append(f"NetworkPolicy cityops-grpc-ingress does not open {name}'s port {grpc}")
        if metrics_open is not None and metrics not in metrics_open:
            problems.append(f"NetworkPolicy cityops-metrics-ingress does not open {name}'s port {metrics}")
        if policies and http is not None and http not in ingress_ports_for(pod.get("metadata", {}).get("labels", {})):
            problems.append(f"no NetworkPolicy selecting {name}'s pods opens its HTTP port {http}")
    problems += check_rendered_simulator(by_kind, deployments, policies, egress_allows)
    problems += check_versions_rendered(by_kind)
    for p in problems:
        print(f"{path}: {p}")
    if not problems:
        extra = (" and network policies" if policies else "") + (" and PodMonitors" if podmonitors else "")
        print(f"{path}: {len(services())} services with every resource, the db-init role{extra}")
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "compose":
        return check_compose(argv[2])
    if len(argv) == 3 and argv[1] == "rendered":
        return check_rendered(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
