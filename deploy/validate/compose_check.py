#!/usr/bin/env python3
"""Checks a docker-compose file against the Compose specification's JSON schema.

    compose_check.py SCHEMA COMPOSE_FILE [ENV_EXAMPLE]

SCHEMA is compose-spec.json (from the Go module github.com/compose-spec/compose-go/v2,
folder schema/). The file is read as Compose reads it (YAML anchors and merge keys
resolved, `x-` extensions allowed by the schema) and validated with the schema's own draft.
With ENV_EXAMPLE, every ${VARIABLE} the file uses without a default must be named in it,
so that a copy of the example is enough to start.
Exit 0 when valid, 1 with one line per error otherwise.
"""

import json
import re
import sys

import jsonschema
import yaml

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+x}
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?")


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        text = f.read()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        print(f"{argv[2]}: not YAML: {e}")
        return 1
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        print(f"{argv[2]}: {where}: {e.message}")
    if len(argv) == 4:
        with open(argv[3], encoding="utf-8") as f:
            declared = set(re.findall(r"^#?\s*([A-Za-z_][A-Za-z0-9_]*)=", f.read(), re.MULTILINE))
        for name, operator in sorted(set(VARIABLE.findall(text))):
            if operator in ("", "?", ":?") and name not in declared:
                print(f"{argv[2]}: ${{{name}}} has no default and is not in {argv[3]}")
                errors.append(name)
    if errors:
        return 1
    print(f"{argv[2]}: valid against the Compose specification ({len(doc.get('services', {}))} services)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
