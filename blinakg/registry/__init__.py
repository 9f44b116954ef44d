"""The shared registry of trials (issue 9): ClinicalTrials.gov records and trial
models in Turtle, one named graph per trial (docs/registry.md).

Modules: :mod:`.record` (a study record, whatever its format), :mod:`.ctgov_xml`
and :mod:`.ctgov_json` (the readers), :mod:`.eligibility` (the text as criterion
nodes), :mod:`.trial_rdf` (a record as RDF), :mod:`.definitions` (SHACL checks
of trial models), :mod:`.importer` (files, folders, .zip into a store),
:mod:`.cli` (``blinakg registry import`` / ``list``).
"""
