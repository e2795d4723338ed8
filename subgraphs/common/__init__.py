"""What the bundled subgraphs share: request context, error codes, pagination, app."""
