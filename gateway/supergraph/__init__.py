"""Supergraph loading: `@link` specs, join metadata and the API schema."""

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.join import (
    FieldInGraph,
    FieldMeta,
    JoinMetadata,
    Key,
    Subgraph,
    TypeInGraph,
    TypeMeta,
)
from gateway.supergraph.supergraph import Supergraph

__all__ = [
    "FieldInGraph",
    "FieldMeta",
    "JoinMetadata",
    "Key",
    "Subgraph",
    "Supergraph",
    "SupergraphError",
    "TypeInGraph",
    "TypeMeta",
]
