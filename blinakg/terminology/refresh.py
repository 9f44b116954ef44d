"""Rebuild ``ontology/published-terminology.ttl`` from the published code lists.

``ontology/terminology/manifest.json`` names each source: a trimmed copy
(``sources/*.csv``: system, code, display, and for an RxNorm product its
ingredient) of a public file, with its URL, version and retrieval date. This
script turns them into the model's hierarchy, which the value sets of
``ontology/terminology.ttl`` and ``ontology/trials/terminology.ttl`` already
read (``bk:includesConcept`` follows ``skos:broader``):

- a disorder or procedure code goes under the concept its source was published
  for (``under`` in the manifest: the HIV value set under 86406008 HIV
  infection, the OncoTree primary malignancies under 363346000 malignant
  neoplastic disease, ...);
- a LOINC observation code goes under the most general published code of its
  element (``under``: the VSAC *Ejection Fraction* codes under 10230-1 left
  ventricular ejection fraction, the pulse-oximetry codes under 2708-6 oxygen
  saturation in arterial blood, ...); such a grouping code is accepted as an
  ``under`` target because a source lists it, and a code is never under itself;
- an RxNorm product goes under its ingredient, the ingredient under its ATC
  code, each ATC code under its ATC class (``L01BC01`` < ``L01BC`` < ``L01B`` <
  ``L01`` < ``L``), so that a value set names a class (``atc:L01``) and reaches
  every product;
- every concept and every source carries its provenance (``prov:wasDerivedFrom``,
  ``dct:source``, ``owl:versionInfo``, ``dct:date``).

The output is deterministic: same sources, same bytes. Usage::

    python -m blinakg.terminology.refresh            # rewrite the Turtle file
    python -m blinakg.terminology.refresh --check    # exit 1 if it is out of date
    python -m blinakg.terminology.refresh --import vsac-hiv path/to/ValueSet.json
        # replace a source's CSV with the codes of a newer FHIR ValueSet (JSON,
        # expansion or compose) or FSH file, then rewrite the Turtle file

Bad input (a malformed manifest, CSV or imported file): one message naming the
file, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from ..errors import InputError
from ..namespaces import BK, ONTOLOGY_DIR

TERMINOLOGY_DIR = ONTOLOGY_DIR / "terminology"
MANIFEST = TERMINOLOGY_DIR / "manifest.json"
# The hand-written files whose code systems and labelled concepts the output builds on.
HAND_WRITTEN = (ONTOLOGY_DIR / "terminology.ttl", ONTOLOGY_DIR / "trials" / "terminology.ttl")
SOURCE_NS = "https://w3id.org/blinakg/source/"
SYSTEMS = ("SNOMED", "ICD10CM", "RxNorm", "LOINC", "ATC")
_ATC = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")
_CODE = re.compile(r"^[A-Za-z0-9.\-]+$")


@dataclass(frozen=True)
class Row:
    system: str
    code: str
    display: str
    ingredient: str


@dataclass(frozen=True)
class AtcRow:
    ingredient: str
    rxnorm: str
    atc: str
    cite: str


@dataclass
class Source:
    id: str
    file: Path
    meta: dict[str, object]
    under: tuple[str, ...] = ()
    only: frozenset[str] | None = None
    rows: list[Row] = field(default_factory=list)


@dataclass
class Concept:
    """What the output says of one code."""

    label: str | None = None
    broader: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    notation: str | None = None
    cite: str | None = None


# --------------------------------------------------------------------------- reading


def _text(meta: dict[str, object], key: str, where: Path) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(where, f"source {meta.get('id', '?')!r} needs a non-empty text {key!r}")
    return value


def read_manifest(path: Path | None = None) -> tuple[dict[str, object], list[Source]]:
    """The ATC table's entry and the sources, validated."""
    path = path or MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(path, f"cannot be read as JSON: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list) or not isinstance(data.get("atc"), dict):
        raise InputError(path, "needs an object with an 'atc' object and a 'sources' list")
    atc: dict[str, object] = data["atc"]
    for key in ("id", "file", "title", "url", "version", "retrieved"):
        _text(atc, key, path)
    sources, seen = [], {str(atc["id"])}
    for meta in data["sources"]:
        if not isinstance(meta, dict):
            raise InputError(path, "every entry of 'sources' must be an object")
        for key in ("id", "file", "title", "publisher", "url", "version", "retrieved"):
            _text(meta, key, path)
        if meta["id"] in seen:
            raise InputError(path, f"source id {meta['id']!r} appears twice")
        seen.add(str(meta["id"]))
        under = meta.get("under", [])
        only = meta.get("only")
        if not isinstance(under, list) or not all(isinstance(u, str) for u in under):
            raise InputError(path, f"source {meta['id']!r}: 'under' must be a list of concept IRIs")
        if only is not None and (not isinstance(only, list) or not all(isinstance(c, str) for c in only)):
            raise InputError(path, f"source {meta['id']!r}: 'only' must be a list of codes")
        sources.append(Source(str(meta["id"]), path.parent / str(meta["file"]), meta, tuple(under),
                              frozenset(only) if only is not None else None))
    return atc, sources


def _csv_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != columns:
        raise InputError(path, f"needs the header {','.join(columns)}", line=1)
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            raise InputError(path, f"needs exactly {len(columns)} columns", line=number)
        rows.append({key: value.strip() for key, value in row.items()})
    return rows


def read_source(source: Source) -> list[Row]:
    rows = []
    for number, row in enumerate(_csv_rows(source.file, ("system", "code", "display", "ingredient")), start=2):
        if row["system"] not in SYSTEMS:
            raise InputError(source.file, f"system {row['system']!r} is not one of {', '.join(SYSTEMS)}", line=number)
        if not _CODE.match(row["code"]):
            raise InputError(source.file, f"code {row['code']!r} is not a code", line=number)
        if row["ingredient"] and row["system"] != "RxNorm":
            raise InputError(source.file, "only an RxNorm product has an ingredient", line=number)
        rows.append(Row(row["system"], row["code"], row["display"], row["ingredient"]))
    if not rows:
        raise InputError(source.file, "lists no code")
    return rows


def read_atc(path: Path) -> list[AtcRow]:
    rows = []
    for number, row in enumerate(_csv_rows(path, ("ingredient", "rxnorm", "atc", "cite")), start=2):
        if not _ATC.match(row["atc"]) or len(row["atc"]) != 7:
            raise InputError(path, f"{row['atc']!r} is not a 7-character ATC code", line=number)
        if not row["cite"].startswith("https://"):
            raise InputError(path, "every row cites the public page that lists its code (https://...)", line=number)
        if row["rxnorm"] and not row["rxnorm"].isdigit():
            raise InputError(path, f"RxNorm code {row['rxnorm']!r} is not a number", line=number)
        rows.append(AtcRow(row["ingredient"].lower(), row["rxnorm"], row["atc"], row["cite"]))
    return rows


def _hand_written() -> tuple[dict[str, str], set[str]]:
    """The IRI prefix of each code system, and the concepts the hand-written files already label."""
    graph = Graph()
    for path in HAND_WRITTEN:
        graph.parse(path, format="turtle")
    prefixes = {str(system)[len(str(BK)):]: str(prefix) for system, prefix in graph.subject_objects(BK.iriPrefix)}
    labelled = {str(s) for s in graph.subjects(SKOS.prefLabel, None)}
    return prefixes, labelled


# --------------------------------------------------------------------------- building


def _atc_chain(code: str) -> list[str]:
    """``L01BC01`` -> ``[L01BC01, L01BC, L01B, L01, L]``: the ATC levels are its prefixes."""
    return [code[:n] for n in (7, 5, 4, 3, 1) if n <= len(code)]


class Builder:
    def __init__(self, atc_meta: dict[str, object], atc_rows: list[AtcRow], prefixes: dict[str, str], labelled: set[str]):
        self.prefixes, self.labelled = prefixes, labelled
        self.concepts: dict[str, Concept] = {}
        self.atc_id = str(atc_meta["id"])
        self.by_name = {row.ingredient: row for row in atc_rows}
        self.by_rxnorm = {row.rxnorm: row for row in atc_rows if row.rxnorm}
        for row in atc_rows:
            self._add_atc(row)

    def iri(self, system: str, code: str) -> str:
        return self.prefixes[system] + code

    def concept(self, iri: str, source: str, label: str | None = None) -> Concept:
        concept = self.concepts.setdefault(iri, Concept())
        concept.sources.add(source)
        # A concept the hand-written files label keeps that one label.
        if label and iri not in self.labelled and concept.label is None:
            concept.label = label
        return concept

    def _add_atc(self, row: AtcRow) -> None:
        chain = _atc_chain(row.atc)
        for lower, upper in zip(chain, chain[1:] + [None]):
            node = self.concept(self.iri("ATC", lower), self.atc_id)
            node.notation = lower
            if upper is not None:
                node.broader.add(self.iri("ATC", upper))
        self.concepts[self.iri("ATC", row.atc)].cite = row.cite
        if self.concepts[self.iri("ATC", row.atc)].label is None and self.iri("ATC", row.atc) not in self.labelled:
            self.concepts[self.iri("ATC", row.atc)].label = row.ingredient
        if row.rxnorm:
            ingredient = self.concept(self.iri("RxNorm", row.rxnorm), self.atc_id, row.ingredient)
            ingredient.broader.add(self.iri("ATC", row.atc))

    def add_source(self, source: Source) -> None:
        for row in source.rows:
            concept = self.concept(self.iri(row.system, row.code), source.id, row.display or None)
            if row.system == "RxNorm":
                concept.broader.update(self._drug_parents(source, row))
            elif source.only is None or row.code in source.only:
                concept.broader.update(u for u in source.under if u != self.iri(row.system, row.code))

    def _drug_parents(self, source: Source, row: Row) -> set[str]:
        """An RxNorm product under its ingredient; an ingredient under its ATC code (from the ATC table)."""
        if not row.ingredient:
            if row.code not in self.by_rxnorm:
                raise InputError(source.file, f"RxNorm ingredient {row.code} ({row.display}) has no row in the ATC table")
            return set()  # the ATC table already places it
        if row.ingredient.isdigit():
            if row.ingredient not in self.by_rxnorm:
                raise InputError(source.file, f"ingredient {row.ingredient} of RxNorm {row.code} has no row in the ATC table")
            return {self.iri("RxNorm", row.ingredient)}
        atc = self.by_name.get(row.ingredient.lower())
        if atc is None:
            raise InputError(source.file, f"ingredient {row.ingredient!r} of RxNorm {row.code} has no row in the ATC table")
        return {self.iri("RxNorm", atc.rxnorm) if atc.rxnorm else self.iri("ATC", atc.atc)}


# --------------------------------------------------------------------------- writing

_HEADER = """\
# =============================================================================
#  GENERATED by `python -m blinakg.terminology.refresh` from
#  ontology/terminology/manifest.json and its sources: do not edit by hand.
#  The published code lists the value sets of ontology/terminology.ttl and
#  ontology/trials/terminology.ttl are expanded from, as the model's hierarchy
#  (skos:broader), with the provenance of every concept. docs/terminology.md.
# =============================================================================

@prefix bk:     <https://w3id.org/blinakg/ontology#> .
@prefix bksrc:  <https://w3id.org/blinakg/source/> .
@prefix dct:    <http://purl.org/dc/terms/> .
@prefix owl:    <http://www.w3.org/2002/07/owl#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov:   <http://www.w3.org/ns/prov#> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .
"""


def _lit(text: str) -> str:
    return Literal(text).n3()


def _ref(value: str) -> str:
    return URIRef(value).n3() if value.startswith(("http://", "https://")) else _lit(value)


def _source_block(meta: dict[str, object], count: int) -> str:
    lines = [f"bksrc:{meta['id']} a bk:TerminologySource, owl:NamedIndividual ;",
             f"    dct:title {_lit(str(meta['title']))} ;"]
    if meta.get("publisher"):
        lines.append(f"    dct:publisher {_lit(str(meta['publisher']))} ;")
    lines.append(f"    dct:source {_ref(str(meta['url']))} ;")
    if meta.get("canonical"):
        lines.append(f"    rdfs:seeAlso {_ref(str(meta['canonical']))} ;")
    lines.append(f"    owl:versionInfo {_lit(str(meta['version']))} ;")
    for key in ("trimmed", "note"):
        if meta.get(key):
            lines.append(f"    skos:note {_lit(str(meta[key]))} ;")
    if meta.get("curated"):
        lines.append("    bk:curated true ;")
    lines.append(f"    bk:codeCount {count} ;")
    lines.append(f'    dct:date "{meta["retrieved"]}"^^xsd:date .')
    return "\n".join(lines)


def _concept_block(iri: str, concept: Concept) -> str:
    parts = [f"{URIRef(iri).n3()} a skos:Concept"]
    if concept.label:
        parts.append(f"skos:prefLabel {_lit(concept.label)}")
    if concept.notation:
        parts.append(f"skos:notation {_lit(concept.notation)}")
    if concept.broader:
        parts.append("skos:broader " + " , ".join(URIRef(b).n3() for b in sorted(concept.broader)))
    if concept.cite:
        parts.append(f"dct:source {URIRef(concept.cite).n3()}")
    parts.append("prov:wasDerivedFrom " + " , ".join(f"bksrc:{s}" for s in sorted(concept.sources)))
    return " ;\n    ".join(parts) + " ."


def _published_iris(builder: Builder, sources: list[Source]) -> set[str]:
    """The concepts the sources list themselves: a LOINC grouping code (``https://loinc.org/10230-1``
    left ventricular ejection fraction) is an ``under`` target once a published source lists it."""
    return {builder.iri(row.system, row.code) for source in sources for row in source.rows}


def build(manifest: Path | None = None) -> str:
    """The Turtle text of the published terminology, from the manifest and its sources."""
    manifest = manifest or MANIFEST
    atc_meta, sources = read_manifest(manifest)
    atc_rows = read_atc(manifest.parent / str(atc_meta["file"]))
    prefixes, labelled = _hand_written()
    builder = Builder(atc_meta, atc_rows, prefixes, labelled)
    for source in sources:
        source.rows = read_source(source)
    published = _published_iris(builder, sources)
    for source in sources:
        for target in source.under:
            if target not in labelled and target not in published:
                raise InputError(manifest, f"source {source.id!r} places its codes under {target}, "
                                 "which neither the hand-written terminology declares nor a source lists")
        builder.add_source(source)
    blocks = [_HEADER]
    blocks.append("# ----------------------------------------------------------------------------- sources\n")
    blocks.append(_source_block(atc_meta, len(atc_rows)) + "\n")
    for source in sorted(sources, key=lambda s: s.id):
        blocks.append(_source_block(source.meta, len(source.rows)) + "\n")
    blocks.append("# ----------------------------------------------------------------------------- concepts\n")
    for iri in sorted(builder.concepts):
        blocks.append(_concept_block(iri, builder.concepts[iri]) + "\n")
    return "\n".join(blocks)


def output_path(manifest: Path | None = None) -> Path:
    """The Turtle file the manifest's ``output`` names, relative to the manifest's folder."""
    manifest = manifest or MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(manifest, f"cannot be read as JSON: {error}") from error
    return (manifest.parent / str(data.get("output", "../published-terminology.ttl"))).resolve()


# --------------------------------------------------------------------------- importing

_FSH_LINE = re.compile(r'^\*\s+([$A-Za-z0-9_]+)#([A-Za-z0-9.\-]+)\s+"([^"]*)"')
_FHIR_SYSTEMS = {"http://snomed.info/sct": "SNOMED", "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
                 "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm", "http://loinc.org": "LOINC",
                 "http://www.whocc.no/atc": "ATC"}
_FSH_ALIASES = {"$RXN": "RxNorm", "$RXNORM": "RxNorm", "SCT": "SNOMED", "$SCT": "SNOMED", "SNOMED_CT": "SNOMED",
                "ICD10CM": "ICD10CM", "$ICD10CM": "ICD10CM", "LNC": "LOINC", "$LNC": "LOINC"}


def parse_published(path: Path) -> list[tuple[str, str, str]]:
    """(system, code, display) of a FHIR ValueSet JSON (expansion, else compose) or an FSH value set."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    if path.suffix == ".json":
        try:
            resource = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(path, f"is not JSON: {error}") from error
        found = []
        for entry in (resource.get("expansion") or {}).get("contains", []):
            found.append((entry.get("system"), entry.get("code"), entry.get("display", "")))
        if not found:
            for include in (resource.get("compose") or {}).get("include", []):
                found += [(include.get("system"), c.get("code"), c.get("display", "")) for c in include.get("concept", [])]
        rows = [(_FHIR_SYSTEMS.get(str(s), ""), str(c), str(d)) for s, c, d in found]
    else:
        rows = []
        for line in text.splitlines():
            match = _FSH_LINE.match(line.strip())
            if match:
                rows.append((_FSH_ALIASES.get(match.group(1), ""), match.group(2), match.group(3)))
    unknown = sorted({r[1] for r in rows if not r[0]})
    if unknown:
        raise InputError(path, f"codes of a code system blinakg does not read: {', '.join(unknown[:5])}")
    if not rows:
        raise InputError(path, "holds no code (a FHIR ValueSet with an expansion or compose, or an FSH value set)")
    return rows


def import_source(source_id: str, published: Path, manifest: Path | None = None) -> Path:
    """Replace source ``source_id``'s CSV by the codes of ``published``; an RxNorm product keeps its
    ingredient, and a new one takes the source's single ingredient (else the user must say it)."""
    manifest = manifest or MANIFEST
    _, sources = read_manifest(manifest)
    source = next((s for s in sources if s.id == source_id), None)
    if source is None:
        raise InputError(manifest, f"has no source {source_id!r}")
    old = {(r.system, r.code): r for r in read_source(source)} if source.file.exists() else {}
    ingredients = {r.code for r in old.values() if r.system == "RxNorm" and not r.ingredient}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("system", "code", "display", "ingredient"))
    for system, code, display in parse_published(published):
        ingredient = old[(system, code)].ingredient if (system, code) in old else ""
        if system == "RxNorm" and (system, code) not in old and code not in ingredients:
            if len(ingredients) != 1:
                raise InputError(published, f"RxNorm {code} ({display}) is new and its ingredient cannot be told: "
                                 f"add it to {source.file.name} by hand")
            ingredient = next(iter(ingredients))
        writer.writerow((system, code, display, ingredient))
    return _write(source.file, out.getvalue())


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- command line


def _import_and_build(imported: list[str]) -> str:
    """Import, then build; a failure puts the source's old CSV back, so nothing is left written."""
    source_id, published = imported
    _, sources = read_manifest()
    source = next((s for s in sources if s.id == source_id), None)
    if source is None:
        raise InputError(MANIFEST, f"has no source {source_id!r}")
    parse_published(Path(published))  # a bad file is refused before anything is touched
    before = source.file.read_text(encoding="utf-8") if source.file.exists() else None
    try:
        import_source(source_id, Path(published))
        return build()
    except InputError:
        if before is None:
            source.file.unlink(missing_ok=True)
        else:
            _write(source.file, before)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blinakg.terminology.refresh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the Turtle file is not what the sources give")
    parser.add_argument("--import", dest="imported", nargs=2, metavar=("SOURCE_ID", "FILE"),
                        help="replace a source's codes with those of a newer published FHIR ValueSet or FSH file")
    args = parser.parse_args(argv)
    try:
        text = _import_and_build(args.imported) if args.imported else build()
        target = output_path()
        if args.check:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                print(f"{target}: out of date; run python -m blinakg.terminology.refresh", file=sys.stderr)
                return 1
            print(f"{target}: up to date")
            return 0
        _write(target, text)
        print(f"wrote {target}")
        return 0
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
