"""Federation v2 composition: subgraph SDLs in, a supergraph SDL and the API schema out.

The pipeline, one module per step:

- `subgraph.py`: parse one subgraph's SDL, resolve `@link` names, drop the federation
  machinery, upgrade Federation 1 subgraphs;
- `validate.py` (per subgraph): key / `@requires` / `@provides` field sets, unused
  `@external`;
- `merge.py`: the merge rules (types, fields, arguments, enums, inputs, `@override`, ...);
- `validate.py` (merged): sharing, `@external` with no owner, `@inaccessible` references,
  interface fields;
- `satisfiability.py`: every field can be fetched wherever a query can select it;
- `supergraph_printer.py`: link v1.0 + join v0.5 supergraph SDL, loaded back through
  `gateway.supergraph.Supergraph` (which derives the API schema);
- `registry.py`: the subgraph list (`partnergraph.toml`), `compose_registry()` for the CLI,
  `partnergraph dev` and live reloads; `breaking.py`: what a new API schema breaks.

Every error is a `CompositionError` (stable `code`, message, hint, subgraph, type, field);
`compose()` raises `CompositionFailed` with all of them and writes nothing.
"""

from gateway.composition.compose import Composition, SubgraphSource, compose
from gateway.composition.errors import CompositionError, CompositionFailed

__all__ = [
    "Composition",
    "CompositionError",
    "CompositionFailed",
    "SubgraphSource",
    "compose",
]
