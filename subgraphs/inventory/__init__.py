"""A manufacturer's stock, shared with its suppliers (default port 4003)."""
