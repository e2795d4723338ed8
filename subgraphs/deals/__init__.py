"""The vendor's deal registration, shared with channel partners (default port 4002)."""
