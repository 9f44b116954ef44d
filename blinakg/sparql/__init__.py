"""SPARQL access: the query catalogue, the store (embedded or external), the endpoint and their commands."""
