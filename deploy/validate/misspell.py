#!/usr/bin/env python3
"""Writes a copy of one document of a YAML file with one field name misspelt, for the
negative checks of deploy/validate.sh (a validator that accepts the copy is broken).

    misspell.py IN OUT KIND NAME PATH NEW_KEY

Takes the document of kind KIND named NAME (metadata.name; for a Compose file give KIND
and NAME as "-" and the whole file is used), renames the key at PATH (dot-separated, list
indexes as numbers, e.g. spec.template.spec.containers.0.readinessProbe) to NEW_KEY, and
writes that one document to OUT. Fails if the key is not there, so the check cannot pass
by renaming nothing.
"""

import sys

import yaml


def main(argv):
    if len(argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    src, out, kind, name, path, new_key = argv[1:]
    with open(src, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if kind == "-":
        doc = docs[0]
    else:
        matches = [d for d in docs if d.get("kind") == kind and d.get("metadata", {}).get("name") == name]
        if len(matches) != 1:
            print(f"misspell.py: {len(matches)} documents of kind {kind} named {name} in {src}", file=sys.stderr)
            return 1
        doc = matches[0]
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if not isinstance(node, dict) or last not in node:
        print(f"misspell.py: no key {path} in {kind} {name}", file=sys.stderr)
        return 1
    # Same place in the mapping, new name.
    items = [(new_key if k == last else k, v) for k, v in node.items()]
    node.clear()
    node.update(items)
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
