"""``blinakg registry import``: trials into the store, one named graph each (issue 9, parts 1, 2, 5).

contract.md, "The registry":

    import — ClinicalTrials.gov study records (the classic XML, or the API v2
    JSON; files, folders or .zip) and trial models in Turtle. Each trial
    becomes one named graph of the store with its provenance. An unchanged
    trial is left as it is; a changed one needs --replace. Exit 0 when all were
    added or unchanged; 2 on bad input, and then nothing is added.

Layout (beside the screening runs of :mod:`blinakg.sparql.store`)::

    <https://w3id.org/blinakg/graph/trial/NCT…>   one trial: registration facts,
                                                  links, criteria; provenance on
                                                  the graph IRI
    <https://w3id.org/blinakg/graph/terminology/…> one terminology file that trial
                                                  models read value sets from
                                                  (:mod:`blinakg.registry.models`)
    <https://w3id.org/blinakg/graph/model>        the ontology (added when absent)
    <https://w3id.org/blinakg/graph/shapes>       the SHACL shapes (added when absent)

Provenance on the graph IRI: ``a prov:Entity``; ``dct:source`` (the file, and
the member of a .zip); ``bk:sourceFormat``; ``bk:recordDate`` (the date of the
record: the export's processing date, or the v2 version date);
``prov:generatedAtTime`` (the import); ``bk:contentHash`` (sha256 of the
content, provenance left out); ``prov:wasDerivedFrom`` (the ClinicalTrials.gov
page); ``prov:wasAttributedTo`` (blinakg); ``dct:requires`` (the terminology
graphs a trial model reads).

An embedded store gets the whole import in one transaction; an endpoint one
Graph Store Protocol ``PUT`` a graph. Every input is read and checked before the store is touched, so bad input adds
nothing. NCT04604691's registration facts (``ontology/registry/*.ttl``) are
added to every store written, so the trial blinakg computes is always listed;
being blinakg's own, they are replaced without ``--replace`` when a newer
blinakg states them otherwise.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from .. import __version__
from ..errors import InputError, UsageError
from ..namespaces import BK, ONTOLOGY_DIR
from .entries import (GRAPH_BASE, REGISTRATION_GRAPH_BASE, TERMINOLOGY_FORMAT, TERMINOLOGY_GRAPH_BASE,
                      TRIAL_GRAPH_BASE, TURTLE_FORMAT, Source, TrialEntry, trial_graph_iri)
from .registration import settle
from .trial_rdf import Triple, as_graph, content_hash, record_graph, trial_iri

SOFTWARE = URIRef(f"https://w3id.org/blinakg/software/blinakg/{__version__}")
BUILTIN_DIR = ONTOLOGY_DIR / "registry"
RECORD_SUFFIXES = (".xml", ".json")
MODEL_SUFFIXES = (".ttl",)
MAX_MEMBER_BYTES = 64 << 20
MAX_ZIP_BYTES = 1 << 30


@dataclass
class ImportSummary:
    """What an import did, trial by trial (terminology graphs counted apart)."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def describe(self) -> str:
        # A trial with a record and a model is two graphs: counted once, by what happened to the most.
        replaced_keys = set(self.replaced)
        added_keys = set(self.added) - replaced_keys
        kept_keys = set(self.unchanged) - replaced_keys - added_keys

        def counts(terminology: bool) -> list[int]:
            return [sum(1 for key in keys if key.startswith("terminology/") == terminology)
                    for keys in (added_keys, replaced_keys, kept_keys)]

        added, replaced, unchanged = counts(False)
        text = f"{added} added, {replaced} replaced, {unchanged} unchanged"
        added, replaced, unchanged = counts(True)
        if added or replaced or unchanged:
            text += f"; terminology: {added} added, {replaced} replaced, {unchanged} unchanged"
        return text


# ---------------------------------------------------------------------------
#  Collecting inputs: files, folders, .zip
# ---------------------------------------------------------------------------

def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read the file ({err.strerror})") from None


def _zip_sources(path: Path) -> list[Source]:
    """The records and models in a .zip (folders, dot files and other files passed over)."""
    sources: list[Source] = []
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                parts = Path(name).parts
                if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                    continue
                suffix = Path(name).suffix.lower()
                if suffix not in RECORD_SUFFIXES + MODEL_SUFFIXES:
                    continue
                label = f"{path}!{name}"
                if info.file_size > MAX_MEMBER_BYTES:
                    raise InputError(label, f"larger than {MAX_MEMBER_BYTES >> 20} MiB unpacked; not a study record")
                with archive.open(info) as handle:
                    data = handle.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    raise InputError(label, f"larger than {MAX_MEMBER_BYTES >> 20} MiB unpacked; not a study record")
                total += len(data)
                if total > MAX_ZIP_BYTES:
                    raise InputError(path, f"holds more than {MAX_ZIP_BYTES >> 30} GiB of records unpacked; "
                                           "import it in parts")
                sources.append(Source(label=label, suffix=suffix, data=data))
    except zipfile.BadZipFile as err:
        raise InputError(path, f"not a readable .zip ({err})") from None
    except (OSError, RuntimeError, NotImplementedError, EOFError, zlib.error) as err:
        # zlib.error: a member whose compressed data is damaged ("invalid distance too far back")
        raise InputError(path, f"cannot read the .zip ({err})") from None
    if not sources:
        raise InputError(path, "the .zip holds no study record (.xml, .json) or trial model (.ttl)")
    return sources


def collect(paths: Iterable[Path]) -> list[Source]:
    """Every input the paths name: files, every record/model in a folder (recursively) or a .zip.

    Raises:
        InputError: a path does not exist, a file named on the command line is
            neither a record, a model nor a .zip, or a folder holds none.
    """
    sources: list[Source] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(path).parts)
                           and p.suffix.lower() in RECORD_SUFFIXES + MODEL_SUFFIXES + (".zip",))
            if not found:
                raise InputError(path, "the folder holds no study record (.xml, .json), trial model (.ttl) or .zip")
            for found_path in found:
                sources.extend(_file_sources(found_path))
            continue
        if not path.exists():
            raise InputError(path, "no such file or folder")
        sources.extend(_file_sources(path))
    return sources


def _file_sources(path: Path) -> list[Source]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _zip_sources(path)
    if suffix not in RECORD_SUFFIXES + MODEL_SUFFIXES:
        raise InputError(path, "not a study record or trial model: expected ClinicalTrials.gov XML (.xml), "
                               "API v2 JSON (.json), a Turtle trial model (.ttl) or a .zip of them")
    return [Source(label=str(path), suffix=suffix, data=_read(path), path=path)]


# ---------------------------------------------------------------------------
#  Reading and checking
# ---------------------------------------------------------------------------

def _model_triples() -> Graph:
    from ..model import load_model

    return load_model()


def read_records(source: Source) -> list[TrialEntry]:
    """The trials of one ClinicalTrials.gov record file (XML, or API v2 JSON).

    Raises:
        InputError: naming the input and what is wrong with it.
    """
    from .ctgov_json import parse_json
    from .ctgov_xml import looks_like_xml, parse_xml

    if source.suffix == ".xml":
        if not looks_like_xml(source.data):
            raise InputError(source.label, "not a study record: the file is not XML")
        records = [parse_xml(source.data, source.label)]
    else:
        records = parse_json(source.data, source.label)
    entries = []
    for record in records:
        content = record_graph(record)
        entries.append(TrialEntry(nct=record.nct_id, trial=trial_iri(record.nct_id), content=content,
                                  hash=content_hash(content), source=source.label,
                                  source_format=record.source_format, record_date=record.record_date))
    return entries


def read_all(paths: Iterable[Path], builtin: bool = True) -> list[TrialEntry]:
    """Read and check every input; NCT04604691's built-in entry added unless given.

    Records first, then terminology files, then the trial models checked
    against the model and that terminology (:mod:`blinakg.registry.models`);
    blinakg's own terminology a model reads is added unless given.

    Raises:
        InputError: bad input (nothing has been written).
    """
    from .models import builtin_terminology, defines_trial, model_entry, parse_turtle, terminology_entry

    model = _model_triples()
    entries: list[TrialEntry] = []
    seen: dict[str, str] = {}

    def admit(entry: TrialEntry, label: str) -> None:
        # A record and a model of one trial go together (docs/registry.md, "One trial, one set of
        # criteria"); two records, two models or two terminology files of one name do not.
        key = ("model " if entry.source_format == TURTLE_FORMAT else "") + entry.nct
        if key in seen:
            what = "give each terminology file a name of its own" if entry.trial is None else \
                "import one model per trial" if entry.source_format == TURTLE_FORMAT else "import one record per trial"
            raise InputError(label, f"{entry.nct} is also given by {seen[key]}; {what}")
        seen[key] = entry.source
        entries.append(entry)

    models: list[tuple[Source, Graph]] = []
    terminology: list[tuple[TrialEntry, Graph]] = []
    for source in collect(paths):
        if source.suffix not in MODEL_SUFFIXES:
            for entry in read_records(source):
                admit(entry, source.label)
            continue
        graph = parse_turtle(source)
        if defines_trial(graph):
            models.append((source, graph))
            continue
        entry = terminology_entry(graph, source.label, model)
        admit(entry, source.label)
        terminology.append((entry, graph))
    pool = terminology
    if models:  # blinakg's own terminology is read only for the models that may need it
        pool = terminology + builtin_terminology(model, {entry.nct for entry, _ in terminology})
    for source, graph in models:
        admit(model_entry(graph, source.label, model, pool), source.label)
    needed = {name for entry in entries for name in entry.requires}
    entries.extend(entry for entry, _ in pool if entry.builtin and entry.graph_iri in needed)
    if builtin:
        given = {entry.nct: entry for entry in entries if entry.source_format == TURTLE_FORMAT}
        for path in sorted(BUILTIN_DIR.glob("*.ttl")):
            source = Source(label=str(path), suffix=".ttl", data=b"", path=path)
            own = model_entry(parse_turtle(source), source.label, model, [], builtin=True)
            other = given.get(own.nct)
            if other is None:
                own.builtin = True
                entries.append(own)
            else:
                # A model of the trial (ontology/nct04604691.ttl) keeps blinakg's registration facts.
                other.content |= own.content
                other.hash = content_hash(other.content)
    return entries


def builtin_model(nct: str) -> tuple[TrialEntry, list[TrialEntry]] | None:
    """blinakg's own model of a trial (``ontology/trials/<NCT>.ttl``) as an entry, with the terminology
    entries it reads; None when blinakg has none."""
    from .models import TRIALS_DIR, builtin_terminology, model_entry, parse_turtle

    path = TRIALS_DIR / f"{nct}.ttl"
    if not path.is_file():
        return None
    model = _model_triples()
    pool = builtin_terminology(model, set())
    source = Source(label=str(path), suffix=".ttl", data=b"", path=path)
    entry = model_entry(parse_turtle(source), source.label, model, pool, builtin=True)
    entry.builtin = True
    return entry, [e for e, _ in pool if e.graph_iri in entry.requires]


def provenance(entry: TrialEntry, created: dt.datetime) -> set[Triple]:
    """The provenance triples on a trial's graph IRI."""
    graph: set[Triple] = set()
    node = entry.graph_iri
    graph.add((node, RDF.type, PROV.Entity))
    if entry.trial is not None:
        graph.add((node, DCTERMS.subject, entry.trial))
    for required in entry.requires:
        graph.add((node, DCTERMS.requires, required))
    graph.add((node, DCTERMS.source, Literal(entry.source)))
    graph.add((node, BK.sourceFormat, Literal(entry.source_format)))
    if entry.record_date is not None:
        graph.add((node, BK.recordDate, Literal(entry.record_date.isoformat(), datatype=XSD.date)))
    stamp = created.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    graph.add((node, PROV.generatedAtTime, Literal(stamp, datatype=XSD.dateTime)))
    graph.add((node, BK.contentHash, Literal(entry.hash)))
    if entry.source_format not in (TURTLE_FORMAT, TERMINOLOGY_FORMAT):
        graph.add((node, PROV.wasDerivedFrom, URIRef(f"https://clinicaltrials.gov/study/{entry.nct}")))
    graph.add((node, PROV.wasAttributedTo, SOFTWARE))
    graph.add((SOFTWARE, RDF.type, PROV.SoftwareAgent))
    graph.add((SOFTWARE, RDFS.label, Literal(f"blinakg {__version__}")))
    return graph


# ---------------------------------------------------------------------------
#  Writing to a store
# ---------------------------------------------------------------------------

_HASHES = (
    "SELECT ?g ?hash WHERE { GRAPH ?g { ?g <https://w3id.org/blinakg/ontology#contentHash> ?hash } "
    f'FILTER (STRSTARTS(STR(?g), "{TRIAL_GRAPH_BASE}") || STRSTARTS(STR(?g), "{TERMINOLOGY_GRAPH_BASE}") '
    f'|| STRSTARTS(STR(?g), "{REGISTRATION_GRAPH_BASE}")) }}'
)


def stored_hashes(store: Any) -> dict[str, str]:
    """The content hash of every trial and terminology graph in a store, by graph IRI."""
    result = store.query(_HASHES)
    return {str(row[0]): str(row[1]) for row in result.rows if row[0] is not None and row[1] is not None}


def _has_graph(store: Any, name: URIRef) -> bool:
    return bool(store.query(f"ASK WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}").boolean)


def plan(entries: list[TrialEntry], hashes: dict[str, str], replace: bool, label: str) -> ImportSummary:
    """Which trials are added, replaced or left unchanged.

    Raises:
        InputError: a trial is stored with other content and ``replace`` is false.
    """
    summary = ImportSummary()
    changed = []
    for entry in entries:
        stored = hashes.get(str(entry.graph_iri))
        if stored is None:
            summary.added.append(entry.nct)
        elif stored == entry.hash:
            summary.unchanged.append(entry.nct)
        else:
            summary.replaced.append(entry.nct)
            # blinakg's own entries follow the installed version; a moved record or relinked text is no change
            if not entry.builtin and not entry.unasked:
                changed.append(entry)
    if changed and not replace:
        shown = ", ".join(f"{e.nct} (from {e.source})" for e in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        raise InputError(label, f"already holds {shown}{more} with other content; pass --replace to replace "
                                "them (nothing was added)")
    return summary


_READERS = (
    "SELECT DISTINCT ?g ?node WHERE {{ GRAPH ?g {{ ?g <http://purl.org/dc/terms/requires> <{t}> . ?s ?p ?node "
    "FILTER (?s != ?g) }} GRAPH <{t}> {{ ?node ?q ?v }} FILTER (?node != <{t}>) }}"
)


def check_terminology_kept(store: Any, entries: list[TrialEntry], replaced: set[str]) -> None:
    """A terminology graph replaced must still describe every node the stored trials that read it use.

    A trial imported again in the same import is checked against the new
    terminology when it is read, so only the others are looked at here.

    Raises:
        InputError: naming the terminology file, what it no longer describes and who reads it.
    """
    given = {str(entry.graph_iri) for entry in entries}
    for entry in entries:
        if not entry.is_terminology or entry.nct not in replaced:
            continue
        described = {str(s) for s, _, _ in entry.content}
        lost = sorted({(str(row[1]), str(row[0]).rpartition("/")[2])
                       for row in store.query(_READERS.format(t=entry.graph_iri)).rows
                       if str(row[0]) not in given and str(row[1]) not in described})
        if lost:
            shown = "; ".join(f"<{node}> (read by {trial})" for node, trial in lost[:5])
            more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
            raise InputError(entry.source, f"replaces {entry.nct} but no longer describes {shown}{more}, which "
                                           "stored trials read; import those trials too, changed to do without "
                                           "(nothing was added)")


def import_trials(target: Any, paths: Iterable[Path], created: dt.datetime | None = None) -> ImportSummary:
    """Read, check and store trials: all or nothing.

    Args:
        target: a :class:`blinakg.sparql.store.StoreTarget` (``replace`` taken from it).
        paths: files, folders, .zip.
        created: the import time (default: now).

    Raises:
        InputError: bad input, a changed trial without ``--replace``, or the
            store cannot be written; nothing is added.
        UsageError: an endpoint without a Graph Store Protocol URL.
    """
    from ..sparql.store import MODEL_GRAPH, SHAPES_GRAPH, EmbeddedStore, RemoteStore

    if target.endpoint is not None and target.graph_store is None:
        raise UsageError("importing into an endpoint needs --graph-store URL "
                         "(its SPARQL 1.1 Graph Store Protocol service)")
    entries = read_all(paths)
    created = created or dt.datetime.now(dt.timezone.utc)
    store = target.open(writable=True)
    try:
        entries = settle(entries, store, _model_triples(), builtin_model)
        summary = plan(entries, stored_hashes(store), target.replace, target.describe())
        check_terminology_kept(store, entries, set(summary.replaced))
        todo = set(summary.added) | set(summary.replaced)
        # Terminology before the trials that read it (an endpoint gets one PUT a graph).
        graphs: list[tuple[URIRef, Iterable[Triple]]] = []
        for entry in sorted((e for e in entries if e.nct in todo), key=lambda e: not e.is_terminology):
            graphs.append((entry.graph_iri, entry.content | provenance(entry, created)))
        if not _has_graph(store, MODEL_GRAPH):
            from ..model import load_model, load_shapes

            graphs.append((MODEL_GRAPH, load_model()))
            if not _has_graph(store, SHAPES_GRAPH):
                graphs.append((SHAPES_GRAPH, load_shapes()))
        if isinstance(store, EmbeddedStore):
            # One transaction for the whole import: a writer killed at any moment leaves
            # the store as it was or with every graph of the import (issue 12, D1).
            store.replace_graphs(graphs)
        elif isinstance(store, RemoteStore):
            for name, graph in graphs:  # a PUT replaces its graph whole: old or new, never half
                store.put_graph(name, as_graph(graph))
    finally:
        store.close()
    return summary


__all__ = ["import_trials", "check_terminology_kept", "read_all", "read_records", "collect", "provenance", "plan", "stored_hashes",
           "trial_graph_iri", "TrialEntry", "ImportSummary", "Source", "GRAPH_BASE", "TRIAL_GRAPH_BASE",
           "TERMINOLOGY_GRAPH_BASE"]
