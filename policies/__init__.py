"""Visibility policies: who may see which types, fields and records of the graph.

In pipeline order: `principal` (who is calling), `model` (rules and rule sets),
`conditions` (the record-condition language), `check` (rules against the API schema),
`view` (one caller's decisions, cached), `store` (MongoDB: versions, history, audit),
`propagation` (live updates across replicas over Redis), `yaml_io` (policies as code).
"""
