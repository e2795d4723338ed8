"""The vendor's subgraph: partners and the product catalog (default port 4001)."""
