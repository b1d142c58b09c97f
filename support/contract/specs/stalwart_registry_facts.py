#!/usr/bin/env python3
"""Writes the Stalwart registry facts table from Stalwart's registry schema.

The table keeps only what a client test needs to check JMAP management calls:
object names and their kind, schema variants (single or tagged union), each
property's type description (kind, format, nullability, enum/object/class
references) and whether the server sets it, and the names of enum values.
Descriptions, labels, defaults, forms, lists and dashboards are left out.

Usage:
    python3 stalwart_registry_facts.py SCHEMA.json > stalwart-v0.16.18.registry-facts.json

SCHEMA.json is `resources/schema/schema.json.gz` of the Stalwart repository at
the release tag, decompressed (the server also serves it at `GET /api/schema`).
"""

import json
import sys

# Keys of a property type that carry structure; anything else (labels,
# placeholders, descriptions) is prose and stays out of the table.
TYPE_KEYS = (
    "type", "format", "nullable", "enumName", "objectName", "min", "max", "minItems", "maxLength",
)
NESTED_TYPE_KEYS = ("class", "keyClass", "valueClass")


def property_type(spec):
    out = {key: spec[key] for key in TYPE_KEYS if key in spec}
    for key in NESTED_TYPE_KEYS:
        if key in spec:
            out[key] = property_type(spec[key])
    return out


def facts(schema):
    objects = {
        name: {key: value for key, value in spec.items() if key in ("type", "permissionPrefix")}
        for name, spec in schema["objects"].items()
    }
    schemas = {}
    for name, spec in schema["schemas"].items():
        if spec["type"] == "single":
            schemas[name] = {"type": "single", "schemaName": spec["schemaName"]}
        else:
            schemas[name] = {
                "type": spec["type"],
                "variants": [
                    {key: v[key] for key in ("name", "schemaName") if key in v}
                    for v in spec["variants"]
                ],
            }
    fields = {
        name: {
            "properties": {
                prop: {"type": property_type(p["type"]), "update": p["update"]}
                for prop, p in spec["properties"].items()
            }
        }
        for name, spec in schema["fields"].items()
    }
    enums = {name: [{"name": v["name"]} for v in values] for name, values in schema["enums"].items()}
    return {"objects": objects, "schemas": schemas, "fields": fields, "enums": enums}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    json.dump(facts(schema), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
