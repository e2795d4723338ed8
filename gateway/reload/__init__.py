"""Live reload: recompose the subgraphs and swap the gateway's supergraph without dropping
anyone.

    generation  everything built from one supergraph; the gateway swaps one attribute
    reloader    re-fetches SDLs on an interval or on demand, recomposes, swaps on change

`Gateway.swap(supergraph)` is the swap itself; `SupergraphReloader` decides when.
"""
