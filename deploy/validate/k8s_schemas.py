#!/usr/bin/env python3
"""Copies one Kubernetes version's strict JSON schemas out of the kubernetes-validate
package into a folder kubeconform can read.

    k8s_schemas.py VERSION OUT_DIR      (VERSION like 1.33.0)

kubernetes-validate's "vX.Y.Z-local-strict" schemas (additionalProperties false
throughout) carry an https "$id" and point at their shared definitions as
"/api/_definitions.json#/...", which its own resolver maps to the package's files. For
kubeconform, which reads them from disk, the "$id" is dropped and the references are made
relative ("_definitions.json#/...", the file beside them), so they resolve to the local
files. Nothing else changes.
Writes OUT_DIR/vX.Y.Z-local-strict/*.json.
"""

import json
import os
import sys

import kubernetes_validate


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    version, out_dir = argv[1], argv[2]
    name = f"v{version}-local-strict"
    src = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema", name)
    if not os.path.isdir(src):
        print(f"k8s_schemas.py: kubernetes-validate has no {name}", file=sys.stderr)
        return 1
    dst = os.path.join(out_dir, name)
    os.makedirs(dst, exist_ok=True)
    count = 0
    for entry in os.listdir(src):
        if not entry.endswith(".json"):
            continue
        with open(os.path.join(src, entry), encoding="utf-8") as f:
            text = f.read().replace('"/api/_definitions.json#', '"_definitions.json#')
        schema = json.loads(text)
        schema.pop("$id", None)
        with open(os.path.join(dst, entry), "w", encoding="utf-8") as f:
            json.dump(schema, f)
        count += 1
    print(f"{dst}: {count} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
