"""Random but reproducible subgraph sets for the differential test: entities with keys
(sometimes not resolvable), shareable (and now and then unshareable) fields whose types and
nullability vary across subgraphs, value types, enums used as input and/or output with
differing values, optional and required arguments, input types whose fields differ, unions
whose members differ, `@override` (with and without labels), `@external` + `@requires`,
entity interfaces and `@interfaceObject`s.
Some compose; most fail for a variety of reasons (enum values, satisfiability, sharing,
types), which exercises both the merge rules and the errors."""

from __future__ import annotations

import random

from gateway.composition import SubgraphSource

HEADER = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", '
    '"@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible", "@tag", '
    '"@interfaceObject"])\n'
)
SCALARS = ("Int", "String", "Float", "Boolean", "ID")
ENUM_VALUES = ("A", "B", "C", "D")


def generated_set(seed: int) -> tuple[SubgraphSource, ...]:
    rng = random.Random(seed)
    entities = [f"E{i}" for i in range(rng.randint(1, 3))]
    values = [f"V{i}" for i in range(rng.randint(0, 2))]
    field_types = {f"f{i}": rng.choice(SCALARS) for i in range(6)}
    return tuple(
        SubgraphSource(
            f"s{n}",
            f"http://s{n}.example/graphql",
            _subgraph(rng, n, entities, values, field_types),
        )
        for n in range(rng.randint(2, 3))
    )


def _subgraph(
    rng: random.Random, n: int, entities: list[str], values: list[str], field_types: dict[str, str]
) -> str:
    present_entities = [e for e in entities if rng.random() < 0.7] or [entities[0]]
    present_values = [v for v in values if rng.random() < 0.6]
    use_enum = rng.random() < 0.5
    parts = [HEADER]
    roots = []
    candidates = present_entities + present_values
    for i, target in enumerate(rng.sample(candidates, k=min(2, len(candidates)))):
        argument = ""
        if rng.random() < 0.5:
            argument = "(x: Int" + ("!" if rng.random() < 0.3 else "") + ")"
        if use_enum and rng.random() < 0.5:
            argument = "(e: En)"
        wrapped = rng.choice(("{}", "[{}!]!", "{}!")).format(target)
        roots.append(f"  q{n}_{i}{argument}: {wrapped}")
    parts.append("type Query {\n" + "\n".join(roots) + "\n}\n")
    abstract = rng.choice((None, None, "interface", "interface", "object"))
    implementers = [e for e in present_entities if abstract == "interface" and rng.random() < 0.7]
    if abstract == "interface":
        parts.append('interface I @key(fields: "id") {\n  id: ID!\n}\n')
        parts.append(f"extend type Query {{\n  nodes{n}: [I!]!\n}}\n")
    elif abstract == "object":
        parts.append(f'type I @key(fields: "id") @interfaceObject {{\n  id: ID!\n  x{n}: Int\n}}\n')
        parts.append(f"extend type Query {{\n  io{n}: [I!]!\n}}\n")
    for entity in present_entities:
        resolvable = "" if rng.random() < 0.95 else ", resolvable: false"
        fields = ["  id: ID!"]
        for name, scalar in field_types.items():
            if rng.random() < 0.35:
                bang = "!" if rng.random() < 0.5 else ""
                shareable = " @shareable" if rng.random() < 0.97 else ""
                if n > 0 and rng.random() < 0.1:
                    label = ', label: "percent(50)"' if rng.random() < 0.5 else ""
                    shareable = f' @override(from: "s0"{label})'
                fields.append(f"  {name}: {scalar}{bang}{shareable}")
        if rng.random() < 0.2:
            name = rng.choice(list(field_types))
            if not any(f.startswith(f"  {name}:") for f in fields):
                fields.append(f"  {name}: {field_types[name]} @external")
                fields.append(f'  needs_{name}: Int @requires(fields: "{name}")')
        if use_enum and rng.random() < 0.5:
            fields.append("  status: En @shareable")
        if values and rng.random() < 0.3:
            value = rng.choice(values)
            if value in present_values:
                fields.append(f"  val: {value} @shareable")
        implements = " implements I" if entity in implementers else ""
        parts.append(
            f'type {entity}{implements} @key(fields: "id"{resolvable}) {{\n'
            + "\n".join(fields)
            + "\n}\n"
        )
    for value in present_values:
        fields = [
            f"  {name}: {scalar}{'!' if rng.random() < 0.5 else ''}"
            for name, scalar in list(field_types.items())[:4]
            if rng.random() < 0.5
        ] or [f"  f0: {field_types['f0']}"]
        parts.append(f"type {value} @shareable {{\n" + "\n".join(fields) + "\n}\n")
    if use_enum:
        chosen = list(ENUM_VALUES)
        if rng.random() < 0.4:
            chosen = [v for v in ENUM_VALUES if rng.random() < 0.7] or ["A"]
        parts.append("enum En {\n" + "\n".join(f"  {v}" for v in chosen) + "\n}\n")
    if rng.random() < 0.5:
        inputs = [
            f"  i{i}: {scalar}{'!' if rng.random() < 0.15 else ''}"
            for i, scalar in enumerate(("Int", "String", "Boolean"))
            if rng.random() < 0.7
        ] or ["  i0: Int"]
        parts.append("input In {\n" + "\n".join(inputs) + "\n}\n")
        parts.append(f"extend type Query {{\n  find{n}(where: In): [ID!]!\n}}\n")
    if len(present_entities) > 1 and rng.random() < 0.5:
        members = rng.sample(present_entities, k=rng.randint(1, len(present_entities)))
        parts.append("union U = " + " | ".join(members) + "\n")
        parts.append(f"extend type Query {{\n  any{n}: [U!]!\n}}\n")
    return "\n".join(parts)
