"""A study record as RDF: the trial, its links, its criteria (issue 9, parts 1 and 3).

IRIs (docs/registry.md):

* the trial ``https://w3id.org/blinakg/trial/<NCT>`` (NCT04604691's is the one
  its computable model already uses, so model and registry entry are one node);
* its criteria ``<trial>/I1``, ``<trial>/E2.1``, ``<trial>/C3`` (kind unstated)
  and header lines ``<trial>/S1``; interventions ``<trial>/intervention/1``;
  registered age and sex checks ``<trial>/registered-age``, ``<trial>/registered-sex``;
* shared nodes: MeSH terms ``https://w3id.org/blinakg/mesh/<term as a slug>``
  (skos:Concept, labelled with the term), sponsors
  ``https://w3id.org/blinakg/org/<name as a slug>`` (bk:Organisation, a
  schema:Organization). The same term or sponsor name is the same node in
  every trial's graph, which is what links the trials.

No blank nodes: a trial's graph has one canonical N-Triples form, whose hash
says whether a trial changed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable, Protocol

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ..namespaces import BK
from .eligibility import EXCLUSION, INCLUSION, split_criteria
from .record import StudyRecord, age_bound, iso_date, registered_age

TRIAL_BASE = "https://w3id.org/blinakg/trial/"
MESH_BASE = "https://w3id.org/blinakg/mesh/"
ORG_BASE = "https://w3id.org/blinakg/org/"
MESH_SCHEME = URIRef("https://w3id.org/blinakg/mesh")
NLM_MESH = "http://id.nlm.nih.gov/mesh/"
SCHEMA = Namespace("http://schema.org/")


Triple = tuple[Node, Node, Node]


class TripleSink(Protocol):
    """Where triples go: an rdflib ``Graph`` or a plain ``set`` (several times faster to fill)."""

    def add(self, triple: Triple, /) -> object:
        """Add one triple."""


def as_graph(triples: Iterable[Triple]) -> Graph:
    """A set of triples as an rdflib graph."""
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def trial_iri(nct: str) -> URIRef:
    """The trial's IRI."""
    return URIRef(TRIAL_BASE + nct)


def slug(text: str) -> str:
    """A name as an IRI segment: ASCII, lower case, words joined by ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"


def mesh_iri(term: str) -> URIRef:
    """The concept node of a MeSH term (by its label: the classic XML gives no IDs)."""
    return URIRef(MESH_BASE + slug(term))


def org_iri(name: str) -> URIRef:
    """The organisation node of a sponsor or collaborator."""
    return URIRef(ORG_BASE + slug(name))


def add_organisation(graph: TripleSink, name: str) -> URIRef:
    """Add a sponsor's node (type, label) and return it."""
    node = org_iri(name)
    graph.add((node, RDF.type, BK.Organisation))
    graph.add((node, RDF.type, SCHEMA.Organization))
    graph.add((node, RDFS.label, Literal(name)))
    return node


def add_mesh(graph: TripleSink, term: str, mesh_id: str | None = None) -> URIRef:
    """Add a MeSH term's concept node (type, label, scheme, NLM IRI when known) and return it."""
    node = mesh_iri(term)
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.prefLabel, Literal(term, lang="en")))
    graph.add((node, SKOS.inScheme, MESH_SCHEME))
    if mesh_id:
        graph.add((node, SKOS.notation, Literal(mesh_id)))
        graph.add((node, SKOS.exactMatch, URIRef(NLM_MESH + mesh_id)))
    return node


def _date(graph: TripleSink, subject: URIRef, predicate: URIRef, text: str | None) -> None:
    parsed = iso_date(text)
    if parsed is not None:
        graph.add((subject, predicate, Literal(parsed[0], datatype=XSD[parsed[1]])))


def add_age_and_sex_checks(graph: TripleSink, trial: URIRef, minimum: str | None, maximum: str | None,
                           sex: str | None) -> None:
    """The registered age range and sex as checks on the trial (bk:registeredCheck).

    A maximum is kept as the bound below which the age in completed units must
    stay (the way NCT04604691's I2 states "< 18 years"): "30 Years" -> 31.
    """
    low, high = age_bound(minimum), age_bound(maximum)
    if low or high:
        check = URIRef(f"{trial}/registered-age")
        graph.add((trial, BK.registeredCheck, check))
        graph.add((check, RDF.type, BK.AgeCheck))
        graph.add((check, BK.label, Literal("registered age range")))
        if low:
            graph.add((check, {"Years": BK.minAgeYears, "Months": BK.minAgeMonths, "Days": BK.minAgeDays}[low[0]],
                       Literal(low[1])))
        if high:
            graph.add((check, {"Years": BK.maxAgeYears, "Months": BK.maxAgeMonths, "Days": BK.maxAgeDays}[high[0]],
                       Literal(high[1] + 1)))
    if sex and sex.lower() in ("female", "male"):
        check = URIRef(f"{trial}/registered-sex")
        graph.add((trial, BK.registeredCheck, check))
        graph.add((check, RDF.type, BK.SexCheck))
        graph.add((check, BK.label, Literal("registered sex")))
        graph.add((check, BK.requiredGender, Literal(sex.lower())))


def add_criteria(graph: TripleSink, trial: URIRef, text: str, wrapped: bool) -> int:
    """The eligibility text as section and criterion nodes; returns how many criteria."""
    items = split_criteria(text, wrapped)
    nodes = {item.order: URIRef(f"{trial}/{item.identifier}") for item in items}
    criteria = 0
    for item in items:
        node = nodes[item.order]
        if item.is_section:
            graph.add((trial, BK.section, node))
            graph.add((node, RDF.type, BK.CriterionSection))
        else:
            criteria += 1
            graph.add((trial, BK.criterion, node))
            kind = {INCLUSION: BK.InclusionCriterion, EXCLUSION: BK.ExclusionCriterion}.get(
                item.kind, BK.UnclassifiedCriterion)
            graph.add((node, RDF.type, kind))
            graph.add((node, BK.criterionId, Literal(item.identifier)))
        graph.add((node, BK.order, Literal(item.order)))
        graph.add((node, BK.verbatimText, Literal(item.text)))
        if item.marker:
            graph.add((node, BK.listMarker, Literal(item.marker)))
        if item.parent is not None:
            graph.add((node, DCTERMS.isPartOf, nodes[item.parent]))
    return criteria


def record_graph(record: StudyRecord) -> set[Triple]:
    """The trial graph's content for one study record (provenance is added on import)."""
    graph: set[Triple] = set()
    trial = trial_iri(record.nct_id)
    graph.add((trial, RDF.type, BK.ClinicalTrial))
    graph.add((trial, RDF.type, SCHEMA.MedicalTrial))
    graph.add((trial, DCTERMS.identifier, Literal(record.nct_id)))
    graph.add((trial, BK.registryPage, URIRef(f"https://clinicaltrials.gov/study/{record.nct_id}")))
    if record.brief_title:
        graph.add((trial, DCTERMS.title, Literal(record.brief_title, lang="en")))
    if record.official_title:
        graph.add((trial, BK.officialTitle, Literal(record.official_title, lang="en")))
    if record.org_study_id:
        graph.add((trial, BK.orgStudyId, Literal(record.org_study_id)))
    for other in record.secondary_ids:
        graph.add((trial, BK.secondaryId, Literal(other)))
    for predicate, value in ((BK.phase, record.phase), (BK.overallStatus, record.overall_status),
                             (BK.studyType, record.study_type), (BK.enrollmentType, record.enrollment_type),
                             (BK.completionDateType, record.completion_date_type), (BK.sex, record.sex),
                             (BK.minimumAge, registered_age(record.minimum_age)),
                             (BK.maximumAge, registered_age(record.maximum_age))):
        if value:
            graph.add((trial, predicate, Literal(value)))
    if record.enrollment is not None:
        graph.add((trial, BK.enrollment, Literal(record.enrollment)))
    _date(graph, trial, BK.startDate, record.start_date)
    _date(graph, trial, BK.primaryCompletionDate, record.primary_completion_date)
    _date(graph, trial, BK.completionDate, record.completion_date)
    if record.lead_sponsor:
        graph.add((trial, BK.sponsor, add_organisation(graph, record.lead_sponsor)))
    for name in record.collaborators:
        graph.add((trial, BK.collaborator, add_organisation(graph, name)))
    for condition in record.conditions:
        graph.add((trial, BK.registeredCondition, Literal(condition)))
    for mesh in record.condition_mesh:
        graph.add((trial, BK.condition, add_mesh(graph, mesh.term, mesh.id)))
    for mesh in record.intervention_mesh:
        graph.add((trial, BK.interventionConcept, add_mesh(graph, mesh.term, mesh.id)))
    for number, intervention in enumerate(record.interventions, start=1):
        node = URIRef(f"{trial}/intervention/{number}")
        graph.add((trial, BK.intervention, node))
        graph.add((node, RDF.type, BK.Intervention))
        graph.add((node, RDFS.label, Literal(intervention.name)))
        if intervention.type:
            graph.add((node, BK.interventionType, Literal(intervention.type)))
    add_age_and_sex_checks(graph, trial, record.minimum_age, record.maximum_age, record.sex)
    if record.criteria_text:
        add_criteria(graph, trial, record.criteria_text, record.criteria_wrapped)
    return graph


def content_hash(triples: Iterable[Triple]) -> str:
    """``sha256:`` of the triples' sorted N-Triples-like lines: the same content gives the same hash."""
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)
    return "sha256:" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


__all__ = ["trial_iri", "mesh_iri", "org_iri", "slug", "record_graph", "content_hash", "add_criteria",
           "add_age_and_sex_checks", "add_mesh", "add_organisation", "TRIAL_BASE", "SCHEMA", "Triple", "as_graph"]
