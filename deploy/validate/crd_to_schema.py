#!/usr/bin/env python3
"""Turns CustomResourceDefinition files into strict JSON schemas for kubeconform.

    crd_to_schema.py OUT_DIR CRD.yaml...

For each served version of each CRD, writes OUT_DIR/<group>/<kind>_<version>.json (the
layout of kubeconform's {{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json template).

The CRD's openAPIV3Schema is kept as it is, with these changes so that JSON Schema
validators read it the way the Kubernetes API server does, and strictly:
  - an object with declared properties and no `additionalProperties` and no
    `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false` (the API server
    would silently prune an unknown field: here a misspelt field name is an error);
  - `nullable: true` adds "null" to the type;
  - `x-kubernetes-int-or-string: true` becomes "integer or string";
  - apiVersion and kind must be this CRD's.
"""

import json
import os
import sys

import yaml


def strict(node):
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict(value) for key, value in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = kinds + ["null"]
    preserve = out.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def convert(crd, out_dir):
    spec = crd["spec"]
    group = spec["group"]
    kind = spec["names"]["kind"]
    written = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        schema = strict(version["schema"]["openAPIV3Schema"])
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        props["kind"] = {"type": "string", "enum": [kind]}
        schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
        schema["$schema"] = "http://json-schema.org/draft-04/schema#"
        folder = os.path.join(out_dir, group)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{kind.lower()}_{version['name']}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(schema, f, indent=1, sort_keys=True)
            f.write("\n")
        written.append(path)
    return written


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = argv[1]
    count = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                for written in convert(doc, out_dir):
                    print(written)
                    count += 1
    if count == 0:
        print("crd_to_schema: no CustomResourceDefinition found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
