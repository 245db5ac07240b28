"""Self-service change requests from practices and the authority's case work."""
