"""Issue 12: "a hypothesis property test in the suite (sized for CI) that
mutates FHIR and RDF inputs and asserts either exit 0/1 with a well-formed
report or exit 2 with one line, never a traceback; a truncation sweep over a
Turtle file."

Screening a file that still reads costs a second or two (pySHACL), so the
property is checked on two levels: the readers on many mutations (every
mutation must read or be an ``InputError``), and ``blinakg validate`` whole on
fewer, with the contract's exit statuses and output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blinakg.cli import main
from blinakg.errors import InputError
from blinakg.model import load_model
from blinakg.readers.loader import load_inputs
from blinakg.readers.rdfio import parse_rdf_file

from .conftest import EXAMPLES

SEEDS = {
    ".ttl": (EXAMPLES / "pat-001-eligible.ttl").read_bytes(),
    ".json": (EXAMPLES / "pat-017-ineligible.json").read_bytes(),
    ".ndjson": (EXAMPLES / "pat-023-indeterminate.ndjson").read_bytes(),
}
# Other RDF syntaxes of the same patient, made once from the Turtle seed.
_GRAPH = parse_rdf_file(EXAMPLES / "pat-001-eligible.ttl")
SEEDS[".nt"] = _GRAPH.serialize(format="nt", encoding="utf-8")
SEEDS[".jsonld"] = _GRAPH.serialize(format="json-ld", encoding="utf-8")
SEEDS[".rdf"] = _GRAPH.serialize(format="xml", encoding="utf-8")
SEEDS[".trig"] = b"<urn:x:g> {\n" + SEEDS[".nt"] + b"}\n"

TOKENS = [b"{", b"}", b"[", b"]", b'"', b"\\", b"\\u", b"\\ud800", b"<", b">", b"&", b"<!ENTITY", b"^^", b"@", b".",
          b";", b",", b"(", b")", b"_:", b"1e999999999", b"-0", b"NaN", b"null", b"\x00", b"\xff", b"\xed\xa0\x80",
          b"\n", b"\r", b"#", b"'", b'"""', b"10*99999999/L", b"@context", b"http://127.0.0.1:9/x", b"file:///etc/passwd"]

MODEL = load_model()


@st.composite
def mutated(draw: Any, suffix: str) -> bytes:
    """A seed file with a few byte-level mutations: cuts, insertions, replacements, duplications."""
    data = bytearray(SEEDS[suffix])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "delete", "insert", "token", "replace", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at: at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 256)))
            data[at:at] = data[at:end] * draw(st.integers(1, 3))
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["", "x\ud800", "10*99999999/L", "Patient/", "urn:uuid:", "2025-13-45", "1e999999999"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, prefix + (index,))
    return found


@st.composite
def mutated_fhir(draw: Any) -> bytes:
    """The FHIR seed with JSON values replaced or keys removed: valid JSON, odd FHIR."""
    document = json.loads(SEEDS[".json"])
    paths = _paths(document)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths[1:]))
        parent = document
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def read_or_refuse(path: Path) -> None:
    """The readers' side of the property: the file reads, or an InputError says why."""
    try:
        load_inputs([path], MODEL)
    except InputError as err:
        assert err.path and err.message
        assert "\n" not in str(err).strip() or len(str(err).splitlines()) == 1


def check_validate(path: Path) -> None:
    """The whole property, as a caller sees it."""
    result = CliRunner().invoke(main, ["validate", str(path), "--as-of", "2025-03-01", "--format", "json"])
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert path.name in result.stderr
    else:
        assert "Warning:" not in result.stderr, result.stderr  # no library warning leaks (the audit's W2)
        report = json.loads(result.stdout)
        assert report["trial"] == "NCT04604691" and report["patients"]
        for patient in report["patients"]:
            assert patient["verdict"] in ("eligible", "ineligible", "indeterminate")
            assert len(patient["criteria"]) == 20


READER_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CLI_SETTINGS = settings(max_examples=4, deadline=None, derandomize=True,
                        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_mutated_files_read_or_are_refused(tmp_path: Path, suffix: str) -> None:
    @READER_SETTINGS
    @given(mutated(suffix))
    def check(data: bytes) -> None:
        path = tmp_path / f"mutant{suffix}"
        path.write_bytes(data)
        read_or_refuse(path)

    check()


def test_mutated_fhir_values_read_or_are_refused(tmp_path: Path) -> None:
    @settings(max_examples=100, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(mutated_fhir())
    def check(data: bytes) -> None:
        path = tmp_path / "mutant.json"
        path.write_bytes(data)
        read_or_refuse(path)

    check()


@pytest.mark.parametrize("suffix", [".ttl", ".ndjson", ".rdf", ".jsonld"])
def test_validate_on_mutated_files_keeps_the_contract(tmp_path: Path, suffix: str) -> None:
    @CLI_SETTINGS
    @given(mutated(suffix))
    def check(data: bytes) -> None:
        path = tmp_path / f"mutant{suffix}"
        path.write_bytes(data)
        check_validate(path)

    check()


def test_validate_on_mutated_fhir_values_keeps_the_contract(tmp_path: Path) -> None:
    @CLI_SETTINGS
    @given(mutated_fhir())
    def check(data: bytes) -> None:
        path = tmp_path / "mutant.json"
        path.write_bytes(data)
        check_validate(path)

    check()


def test_every_truncation_of_a_turtle_file_reads_or_is_refused_with_a_position(tmp_path: Path) -> None:
    """The audit's T1: 3,513 of 5,534 truncations of one .ttl file crashed rdflib.

    Every byte of a compact Turtle file (prefixes, base, long strings, language
    tags, blank nodes, lists, numbers, escapes), then a few cuts of an example
    patient through the whole command.
    """
    seed = (Path(__file__).resolve().parent / "hostile" / "sweep.ttl").read_bytes()
    path = tmp_path / "cut.ttl"
    refused = 0
    for end in range(len(seed) + 1):
        path.write_bytes(seed[:end])
        try:
            parse_rdf_file(path)
        except InputError as err:
            refused += 1
            assert err.line is not None or "UTF-8" in err.message, (end, str(err))
            assert re.match(r"(not valid TURTLE|literal|the file is not UTF-8)", err.message), (end, str(err))
    assert 0 < refused < len(seed) + 1
    example = SEEDS[".ttl"]
    for end in (len(example) // 3, len(example) - 2):
        path.write_bytes(example[:end])
        check_validate(path)


SMALL_FHIR = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:0b6e3c1c-1", "resource": {"resourceType": "Patient", "id": "p9", "birthDate": "2013-06-14",
                                                    "gender": "male"}},
    {"resource": {"resourceType": "Observation", "id": "anc-9", "status": "final",
                  "code": {"coding": [{"system": "http://loinc.org", "code": "751-8"}]},
                  "subject": {"reference": "Patient/p9"}, "effectiveDateTime": "2025-02-26",
                  "valueQuantity": {"value": 1.8e3, "unit": "/uL", "system": "http://unitsofmeasure.org",
                                    "code": "/uL"}}}]}, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("suffix", [".nt", ".trig", ".json"])
def test_every_truncation_of_trig_n_triples_and_json_reads_or_is_refused(tmp_path: Path, suffix: str) -> None:
    """The audit's other truncation sweeps, on compact files."""
    if suffix == ".json":
        seed = SMALL_FHIR
    else:
        graph = parse_rdf_file(Path(__file__).resolve().parent / "hostile" / "sweep.ttl")
        nt = graph.serialize(format="nt", encoding="utf-8")
        seed = nt if suffix == ".nt" else b"<urn:x:g> {\n" + nt + b"}\n"
    path = tmp_path / f"cut{suffix}"
    for end in range(len(seed) + 1):
        path.write_bytes(seed[:end])
        read_or_refuse(path)
