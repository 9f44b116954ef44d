"""blinakg: the eligibility criteria of trial NCT04604691 as a knowledge graph.

The OWL ontology (``ontology/``) models the trial, its criteria and the patient
facts they read; SHACL shapes (``shapes/``) express every criterion; patient
RDF (or FHIR R4 JSON, lifted to RDF) is validated against them with pySHACL;
SPARQL queries (``queries/``) turn the validation report into per-criterion
statuses, explanations and evidence.
"""

__version__ = "0.1.0"
