"""Federation v2 composition: subgraph SDLs in, a supergraph SDL and the API schema out."""

from gateway.composition.compose import Composition, SubgraphSource, compose
from gateway.composition.errors import CompositionError, CompositionFailed

__all__ = [
    "Composition",
    "CompositionError",
    "CompositionFailed",
    "SubgraphSource",
    "compose",
]
