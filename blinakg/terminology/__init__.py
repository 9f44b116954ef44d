"""Published terminology: the code lists the value sets are expanded from (``ontology/terminology/``)."""
