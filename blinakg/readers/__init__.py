"""Readers: files and folders of FHIR R4 JSON/NDJSON and patient RDF into the bk: patient vocabulary."""
