#!/usr/bin/env python3
"""Checks scenario files against the scenario format's JSON Schema (Python's jsonschema).

  check-scenarios.py FILE...            each file's problems, exit 1 if any
  check-scenarios.py --mutants FILE...  for each mapping in each file, the file with an unknown
                                        key added there, and whether the schema accepts it (JSON
                                        on stdout: the test compares that with the loader's verdict)
"""
import copy
import json
import os
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """YAML 1.2 booleans, as the YAML language server and Firedrill read them: `on:` is a key, not True."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                             list("tTfF"))

UNKNOWN = "zz_not_a_firedrill_key"


def validator():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "firedrill-scenario-v1.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def mappings(node, path=()):
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from mappings(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from mappings(value, path + (index,))


def with_unknown_key(doc, path):
    mutant = copy.deepcopy(doc)
    node = mutant
    for step in path:
        node = node[step]
    node[UNKNOWN] = "x"
    return mutant


def main(argv):
    check = validator()
    if argv[:1] == ["--mutants"]:
        out = []
        for name in argv[1:]:
            with open(name) as f:
                doc = yaml.load(f, Loader=Loader)
            for path in mappings(doc):
                mutant = with_unknown_key(doc, path)
                out.append({"file": name, "path": "/".join(map(str, path)), "schemaAccepts": check.is_valid(mutant),
                            "yaml": yaml.safe_dump(mutant, sort_keys=False, allow_unicode=True)})
        json.dump(out, sys.stdout)
        return 0
    failed = False
    for name in argv:
        with open(name) as f:
            doc = yaml.load(f, Loader=Loader)
        for error in sorted(check.iter_errors(doc), key=lambda e: list(map(str, e.path))):
            failed = True
            print(f"{name}: /{'/'.join(map(str, error.path))}: {error.message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
