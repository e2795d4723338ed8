"""The demo graph: the bundled subgraphs' composed supergraph and how to regenerate it."""
