#!/usr/bin/env python3
"""Keeps the Strimzi KafkaTopic resources in step with deploy/topics.json (the single
source of truth for CityOps' topics, also read by `cityops-admin topics`).

    topics.py generate            rewrite deploy/k8s/base/kafka/topics.yaml from topics.json
    topics.py check               fail if topics.yaml is not what `generate` would write
    topics.py check-rendered F    fail if the KafkaTopics in a rendered overlay F (a
                                  `kustomize build` output) do not carry exactly the topics
                                  of topics.json with their partitions and config

Replication is the overlay's business (3 replicas and min.insync.replicas 2 in the base,
1 and 1 in dev); topics.json's `replication` is the local stack's.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SPEC = os.path.join(REPO, "deploy", "topics.json")
OUT = os.path.join(REPO, "deploy", "k8s", "base", "kafka", "topics.yaml")
CLUSTER = "cityops-kafka"
BASE_REPLICAS = 3
BASE_MIN_ISR = "2"


def load_spec():
    with open(SPEC, encoding="utf-8") as f:
        topics = json.load(f)["topics"]
    names = [t["name"] for t in topics]
    if len(set(names)) != len(names):
        raise SystemExit(f"topics.py: duplicate topic names in {SPEC}")
    return topics


def resource_name(topic):
    # Kubernetes names: lower case, digits, '-' and '.'; dots are kept out for readability
    # and the real name is spelt in spec.topicName.
    return topic.replace(".", "-").replace("_", "-").lower()


def render(topics):
    q = json.dumps  # a JSON string is a valid YAML scalar
    lines = [
        "# GENERATED from deploy/topics.json by deploy/validate/topics.py generate: do not edit.",
        "# deploy/validate.sh fails when this file and topics.json disagree.",
        f"# Replicas {BASE_REPLICAS} and min.insync.replicas {BASE_MIN_ISR} here (production);"
        " the dev overlay lowers both to 1.",
    ]
    for t in topics:
        config = dict(t.get("config", {}))
        config.setdefault("min.insync.replicas", BASE_MIN_ISR)
        lines += [
            "---",
            "apiVersion: kafka.strimzi.io/v1beta2",
            "kind: KafkaTopic",
            "metadata:",
            f"  name: {resource_name(t['name'])}",
            "  labels:",
            f"    strimzi.io/cluster: {CLUSTER}",
            "  annotations:",
            f"    cityops.io/key: {q(t.get('key', ''))}",
            f"    cityops.io/value-type: {q(t.get('value_type', ''))}",
            "spec:",
            f"  topicName: {q(t['name'])}",
            f"  partitions: {int(t['partitions'])}",
            f"  replicas: {BASE_REPLICAS}",
            "  config:",
        ]
        for key in sorted(config):
            lines.append(f"    {key}: {q(str(config[key]))}")
    return "\n".join(lines) + "\n"


def check_file(topics):
    want = render(topics)
    try:
        with open(OUT, encoding="utf-8") as f:
            have = f.read()
    except FileNotFoundError:
        have = ""
    if have != want:
        print(f"topics.py: {os.path.relpath(OUT, REPO)} is out of date with deploy/topics.json;"
              " run: python3 deploy/validate/topics.py generate", file=sys.stderr)
        return 1
    print(f"{os.path.relpath(OUT, REPO)} matches deploy/topics.json ({len(topics)} topics)")
    return 0


def check_rendered(topics, path):
    import yaml  # only this command needs PyYAML (deploy/validate.sh's environment has it)

    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "KafkaTopic"]
    found = {}
    for d in docs:
        name = d["spec"].get("topicName", d["metadata"]["name"])
        if name in found:
            print(f"topics.py: {path}: topic {name} declared twice", file=sys.stderr)
            return 1
        found[name] = d
    errors = []
    wanted = {t["name"]: t for t in topics}
    for name in sorted(set(wanted) - set(found)):
        errors.append(f"topic {name} is in topics.json but not in the manifests")
    for name in sorted(set(found) - set(wanted)):
        errors.append(f"topic {name} is in the manifests but not in topics.json")
    for name in sorted(set(wanted) & set(found)):
        t, d = wanted[name], found[name]
        if d["spec"].get("partitions") != int(t["partitions"]):
            errors.append(f"{name}: partitions {d['spec'].get('partitions')} != {t['partitions']}")
        if d["metadata"].get("labels", {}).get("strimzi.io/cluster") != CLUSTER:
            errors.append(f"{name}: not labelled strimzi.io/cluster={CLUSTER}")
        config = d["spec"].get("config", {})
        for key, value in t.get("config", {}).items():
            if str(config.get(key)) != str(value):
                errors.append(f"{name}: config {key}={config.get(key)!r}, topics.json says {value!r}")
        replicas = d["spec"].get("replicas")
        min_isr = int(config.get("min.insync.replicas", 1))
        if not replicas or min_isr > replicas or (replicas > 1 and min_isr >= replicas):
            errors.append(f"{name}: replicas {replicas} with min.insync.replicas {min_isr}"
                          " cannot keep acks=all writes going through one broker's loss")
    if errors:
        for e in errors:
            print(f"topics.py: {path}: {e}", file=sys.stderr)
        return 1
    print(f"{path}: {len(found)} KafkaTopics match deploy/topics.json")
    return 0


def main(argv):
    topics = load_spec()
    if argv[1:] == ["generate"]:
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(render(topics))
        print(f"wrote {os.path.relpath(OUT, REPO)} ({len(topics)} topics)")
        return 0
    if argv[1:] == ["check"]:
        return check_file(topics)
    if len(argv) == 3 and argv[1] == "check-rendered":
        return check_rendered(topics, argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
