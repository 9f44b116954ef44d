"""Issue 12, "Hold under hostile input": one test for each hostile input the
audit found (T1–T8, H1–H2, M1, W1–W2, F2–F3, O1, the bulk export), and the
contract's exit statuses around them.

contract.md: "**2** bad input or usage — one clear message on standard error
naming the file and what is wrong with it … no traceback, and no report
written; **3** an internal error … one line on standard error, no report
written; the traceback only with ``--debug``."
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from blinakg.cli import main

from .conftest import EXAMPLES

HOSTILE = Path(__file__).resolve().parent / "hostile"
NDJSON = (EXAMPLES / "pat-023-indeterminate.ndjson").read_text(encoding="utf-8")
TURTLE = (EXAMPLES / "pat-001-eligible.ttl").read_text(encoding="utf-8")
BK = "@prefix bk: <https://w3id.org/blinakg/ontology#> .\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def validate(*paths: Path | str, fmt: str = "json", extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    return run("validate", *map(str, paths), "--as-of", "2025-03-01", "--format", fmt, *extra)


def assert_bad_input(code: int, out: str, err: str, *patterns: str) -> None:
    """Exit 2, nothing on standard output, one line on standard error matching every pattern."""
    assert code == 2, (code, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for pattern in patterns:
        assert re.search(pattern, err), (pattern, err)


def assert_report(code: int, out: str, err: str) -> dict[str, Any]:
    """Exit 0 or 1 with a well-formed JSON report."""
    assert code in (0, 1), (code, err)
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["patients"], report
    for patient in report["patients"]:
        assert len(patient["criteria"]) == 20
    return dict(report)


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def ndjson_with(replacements: dict[str, str]) -> str:
    text = NDJSON
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return text


# ---------------------------------------------------------------------------
#  RDF: T1–T5, H2, F3, W2
# ---------------------------------------------------------------------------

def test_t1_turtle_and_trig_cut_short_are_bad_input_with_a_position(tmp_path: Path) -> None:
    cut = TURTLE[: len(TURTLE) * 2 // 3]
    assert_bad_input(*validate(write(tmp_path / "cut.ttl", cut)), r"cut\.ttl:\d+:\d+: not valid TURTLE")
    trig = "<urn:g> { " + TURTLE.split("\n\n", 1)[1][:200]
    assert_bad_input(*validate(write(tmp_path / "cut.trig", BK + trig)), r"cut\.trig:\d+(:\d+)?: not valid TRIG")


def test_t2_an_unterminated_string_literal(tmp_path: Path) -> None:
    text = BK + '<urn:p> a bk:Patient ; bk:fhirId "p1 .\n'
    assert_bad_input(*validate(write(tmp_path / "open.ttl", text)), r"open\.ttl:2:\d+: not valid TURTLE")


def test_t3_deep_nesting_is_read_or_refused_never_a_crash(tmp_path: Path) -> None:
    from blinakg.readers.rdfio import parse_rdf_file

    depth = 100_000

    def nested(levels: int) -> str:
        return BK + "<urn:p> a bk:Patient ; <urn:x:q> " + "[ <urn:x:q> " * levels + "1" + " ]" * levels + " .\n"

    assert len(parse_rdf_file(write(tmp_path / "deeper.ttl", nested(depth)))) == depth + 2
    started = time.monotonic()
    report = assert_report(*validate(tmp_path / "deeper.ttl"))  # the audit's input, screened whole
    assert report["patients"][0]["id"] == "urn:p"
    assert time.monotonic() - started < 120  # was a hang: a pass per level to find each blank node's patient
    listed = BK + "<urn:p> a bk:Patient ; <urn:x:q> " + "( " * 5000 + ")" * 5000 + " .\n"
    assert_report(*validate(write(tmp_path / "list.ttl", listed)))
    jsonld = '{"@id": "urn:p", "urn:x:q": ' + "[" * depth + "]" * depth + "}"
    assert_bad_input(*validate(write(tmp_path / "deep.jsonld", jsonld)), r"deep\.jsonld:1:\d+: not valid JSON-LD")
    fhir = '{"resourceType": "Patient", "id": "p", "x": ' + "[" * depth + "]" * depth + "}"
    assert_bad_input(*validate(write(tmp_path / "deep.json", fhir)), r"deep\.json: not valid JSON")


@pytest.mark.parametrize("context", ["http://127.0.0.1:9/context.jsonld", "file:///etc/passwd", "context.jsonld",
                                     "/etc/passwd"])
def test_t4_a_json_ld_context_outside_the_file_is_refused_and_not_read(tmp_path: Path, context: str) -> None:
    write(tmp_path / "context.jsonld", '{"@context": {"bk": "https://w3id.org/blinakg/ontology#"}}')
    doc = {"@context": context, "@id": "urn:p", "@type": "https://w3id.org/blinakg/ontology#Patient"}
    code, out, err = validate(write(tmp_path / "remote.jsonld", json.dumps(doc)))
    assert_bad_input(code, out, err, r"remote\.jsonld: refers to a JSON-LD @context that is not in the file")
    assert "not valid JSON" not in err and "root:" not in err


def test_t5_an_invalid_iri_never_reaches_the_turtle_report(tmp_path: Path) -> None:
    doc = [{"@id": "urn:p", "@type": "https://w3id.org/blinakg/ontology#Patient"},
           {"@id": "urn:p{x}", "@type": "https://w3id.org/blinakg/ontology#Patient"}]
    assert_bad_input(*validate(write(tmp_path / "brace.jsonld", json.dumps(doc)), fmt="turtle"),
                     r"brace\.jsonld:1:\d+: not valid JSON-LD: 'urn:p\{x\}' is not an IRI")
    turtle = BK + "<urn:p{x}> a bk:Patient .\n"
    assert_bad_input(*validate(write(tmp_path / "brace.ttl", turtle), fmt="turtle"),
                     r"brace\.ttl:2:\d+: not valid TURTLE: Invalid IRI code point '\{'")


def test_h2_billion_laughs_and_external_entities_are_refused_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    assert_bad_input(*validate(HOSTILE / "billion-laughs.rdf"), r"billion-laughs\.rdf:\d+:\d+: refused: .*entit")
    assert_bad_input(*validate(HOSTILE / "external-entity.rdf"), r"external-entity\.rdf:\d+:\d+: refused: .*external")
    assert time.monotonic() - started < 10


def test_f3_rdf_xml_in_iso_8859_1_is_read(tmp_path: Path) -> None:
    report = assert_report(*validate(HOSTILE / "latin1.rdf"))
    assert [p["id"] for p in report["patients"]] == ["caf\u00e9"]  # its bk:fhirId, read as ISO-8859-1


def test_w2_an_ill_typed_boolean_is_one_line_with_the_value_as_written(tmp_path: Path) -> None:
    text = BK + '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n<urn:p> a bk:Patient ; <urn:x:flag> "yes"^^xsd:boolean .\n'
    assert_bad_input(*validate(write(tmp_path / "yes.ttl", text)), r'yes\.ttl:3:\d+: literal "yes" of .* is not a valid xsd:boolean')


# ---------------------------------------------------------------------------
#  FHIR: T6, H1, M1, W1
# ---------------------------------------------------------------------------

def test_t6_a_lone_surrogate_is_bad_input_with_its_line(tmp_path: Path) -> None:
    text = ndjson_with({'"id": "pat-023"': '"id": "pat-023\\ud800"'})
    assert_bad_input(*validate(write(tmp_path / "surrogate.ndjson", text)),
                     r"surrogate\.ndjson:1:\d+: not valid JSON: a string holds the lone surrogate \\ud800")


@pytest.mark.parametrize("name, text, pattern", [
    ("s.jsonld", '{"@id": "urn:p", "@type": "https://w3id.org/blinakg/ontology#Patient", "urn:x:q": "x\\ud800"}',
     r"s\.jsonld:1:\d+: not valid JSON-LD: a string holds the lone surrogate \\ud800"),
    ("s.ttl", BK + '<urn:p> a bk:Patient ; <urn:x:q> "x\\uD800" .\n', r"s\.ttl:2:\d+: not valid TURTLE: .*D800"),
])
def test_t6_a_lone_surrogate_in_rdf_is_bad_input(tmp_path: Path, name: str, text: str, pattern: str) -> None:
    assert_bad_input(*validate(write(tmp_path / name, text)), pattern)


def test_h1_a_unit_with_an_absurd_exponent_is_unknown_not_a_hang(tmp_path: Path) -> None:
    text = ndjson_with({'"value": 1800, "unit": "/uL", "system": "http://unitsofmeasure.org", "code": "/uL"':
                        '"value": 1800, "unit": "10*99999999/L", "system": "http://unitsofmeasure.org", '
                        '"code": "10*99999999/L"'})
    started = time.monotonic()
    report = assert_report(*validate(write(tmp_path / "unit.ndjson", text)))
    assert time.monotonic() - started < 30
    i5 = next(c for c in report["patients"][0]["criteria"] if c["id"] == "I5")
    assert i5["status"] == "unknown" and "10*99999999/L" in i5["explanation"]


def test_m1_huge_exponents_are_not_numbers_and_nothing_is_dropped_silently(tmp_path: Path) -> None:
    for value in ("1e999999999", "1e9999999999", "1" * 5000):
        text = ndjson_with({'"value": 1800,': f'"value": {value},'})
        report = assert_report(*validate(write(tmp_path / "big.ndjson", text)))
        assert any("anc-pat-023" in w and "not a number" in w for w in report["warnings"]), report["warnings"]


def test_w1_a_patient_without_id_is_bad_input_not_zero_patients_all_eligible(tmp_path: Path) -> None:
    fhir = '{"resourceType": "Patient", "birthDate": "2010-01-01", "gender": "female"}'
    assert_bad_input(*validate(write(tmp_path / "anon.json", fhir)), r"anon\.json: a Patient resource has neither an id")
    rdf = BK + "[] a bk:Patient ; bk:birthDate \"2010-01-01\"^^<http://www.w3.org/2001/XMLSchema#date> .\n"
    assert_bad_input(*validate(write(tmp_path / "anon.ttl", rdf)), r"anon\.ttl: a bk:Patient is a blank node")


# ---------------------------------------------------------------------------
#  Paths: F2, bulk exports; output: T7, T8, O1
# ---------------------------------------------------------------------------

def test_f2_a_symlink_loop_or_a_fifo_on_the_command_line_says_what_it_is(tmp_path: Path) -> None:
    loop = tmp_path / "loop.ttl"
    os.symlink(loop, loop)
    assert_bad_input(*validate(loop), r"loop\.ttl: is a symbolic link loop")
    fifo = tmp_path / "pipe.ndjson"
    os.mkfifo(fifo)
    assert_bad_input(*validate(fifo), r"pipe\.ndjson: is a FIFO \(named pipe\), not a file or folder")


def test_f2_inside_a_folder_loops_fifos_and_links_are_named_in_warnings(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "p.ttl", TURTLE)
    os.symlink(folder / "loop.ttl", folder / "loop.ttl")
    os.mkfifo(folder / "pipe.ndjson")
    os.symlink(folder, folder / "again")
    report = assert_report(*validate(folder))
    warnings = " ".join(report["warnings"])
    assert "loop.ttl: is a symbolic link loop" in warnings
    assert "pipe.ndjson: a FIFO (named pipe), not a file" in warnings
    assert "again: a symbolic link to a folder was not followed" in warnings


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_f2_an_unreadable_subfolder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    write(folder / "p.ttl", TURTLE)
    (folder / "locked").chmod(0)
    try:
        report = assert_report(*validate(folder))
    finally:
        (folder / "locked").chmod(0o755)
    assert any("locked: the folder cannot be read" in w for w in report["warnings"])


def test_f2_an_unreadable_subfolder_is_named_even_for_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every folder reads; the walk's error path is exercised by a walk that reports one."""
    import blinakg.readers.paths as paths_module

    real_walk = os.walk

    def walk(top: Any, onerror: Any = None, **kwargs: Any) -> Iterator[Any]:
        if onerror is not None:
            onerror(PermissionError(13, "Permission denied", str(Path(top) / "locked")))
        yield from real_walk(top, onerror=onerror, **kwargs)

    monkeypatch.setattr(paths_module.os, "walk", walk)
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "p.ttl", TURTLE)
    report = assert_report(*validate(folder))
    assert any("locked: the folder cannot be read (permission denied)" in w for w in report["warnings"])


def test_a_bulk_export_with_its_log_is_screened_and_the_log_named(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "Patient.ndjson", NDJSON)
    write(folder / "log.ndjson", (HOSTILE / "bulk-log.ndjson").read_text(encoding="utf-8"))
    write(folder / "manifest.json", '{"transactionTime": "2025-03-01T00:00:00Z", "output": []}')
    report = assert_report(*validate(folder))
    assert [p["id"] for p in report["patients"]] == ["pat-023"]
    assert any("log.ndjson: holds no FHIR resource" in w for w in report["warnings"])
    assert any("manifest.json: holds no FHIR resource" in w for w in report["warnings"])
    assert_bad_input(*validate(folder / "log.ndjson"), r"log\.ndjson:1:1: not FHIR NDJSON")


def test_t7_output_is_a_folder(tmp_path: Path) -> None:
    assert_bad_input(*validate(EXAMPLES / "pat-001-eligible.ttl", extra=("--output", str(tmp_path))),
                     r"is a folder; name a file")


def test_t8_output_where_nothing_can_be_written(tmp_path: Path) -> None:
    assert_bad_input(*validate(EXAMPLES / "pat-001-eligible.ttl", extra=("--output", "/proc/blinakg-report.json")),
                     r"/proc/blinakg-report\.json: (cannot write the report|the output folder cannot be written)")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        assert_bad_input(*validate(EXAMPLES / "pat-001-eligible.ttl", extra=("--output", str(locked / "r.json"))),
                         r"the output folder cannot be written")


def test_o1_output_is_never_an_input_nor_written_through_a_link(tmp_path: Path) -> None:
    source = write(tmp_path / "p.ttl", TURTLE)
    assert_bad_input(*validate(source, extra=("--output", str(source))), r"p\.ttl: is one of the input files")
    assert source.read_text(encoding="utf-8") == TURTLE
    target = write(tmp_path / "kept.json", "kept\n")
    link = tmp_path / "link.json"
    os.symlink(target, link)
    assert_bad_input(*validate(source, extra=("--output", str(link))), r"link\.json: is a symbolic link")
    assert link.is_symlink() and target.read_text() == "kept\n"
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "p.ttl", TURTLE)
    assert_bad_input(*validate(folder, extra=("--output", str(folder / "p.ttl"))), r"one of the input files|inside")


# ---------------------------------------------------------------------------
#  A crash is never an answer: exit 3
# ---------------------------------------------------------------------------

def test_an_internal_error_exits_3_with_one_line_and_the_traceback_only_with_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import blinakg.engine.screen as screen_module

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise IndexError("list index out of range")

    monkeypatch.setattr(screen_module, "screen_paths", broken)
    target = write(tmp_path / "out.json", "previous\n")
    code, out, err = validate(EXAMPLES / "pat-001-eligible.ttl", extra=("--output", str(target)))
    assert code == 3 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error" in err and "IndexError" in err and "report it" in err and "--debug" in err
    assert target.read_text() == "previous\n"
    code, _, err = validate(EXAMPLES / "pat-001-eligible.ttl", extra=("--debug",))
    assert code == 3 and "Traceback (most recent call last)" in err and "IndexError" in err
    code, _, err = run("--debug", "validate", str(EXAMPLES / "pat-001-eligible.ttl"))
    assert code == 3 and "Traceback (most recent call last)" in err


# ---------------------------------------------------------------------------
#  No network at run time
# ---------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every outgoing connection and name lookup refused, and recorded."""
    attempts: list[Any] = []

    def refuse(*args: Any, **_kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket.socket, "connect", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, *a: refuse(*a))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts


def test_nothing_tries_the_network_while_screening_hostile_inputs(tmp_path: Path, no_network: list[Any]) -> None:
    doc = {"@context": "http://127.0.0.1:9/context.jsonld", "@id": "urn:p",
           "@type": "https://w3id.org/blinakg/ontology#Patient"}
    inputs = [write(tmp_path / "remote.jsonld", json.dumps(doc)),
              write(tmp_path / "remote2.jsonld", json.dumps({**doc, "@context": ["https://schema.org/"]})),
              HOSTILE / "external-entity.rdf", HOSTILE / "external-http-entity.rdf", HOSTILE / "billion-laughs.rdf",
              HOSTILE / "latin1.rdf", EXAMPLES / "pat-001-eligible.ttl"]
    for path in inputs:
        code, _, err = validate(path)
        assert code in (0, 1, 2) and "Traceback" not in err, (path, err)
    assert no_network == []


def test_blinakg_query_refuses_service_on_local_stores(tmp_path: Path, no_network: list[Any]) -> None:
    query = write(tmp_path / "federated.rq", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    code, out, err = run("query", str(query), "--data", str(EXAMPLES / "pat-001-eligible.ttl"))
    assert_bad_input(code, out, err, r"federated\.rq: the query uses SERVICE")
    assert no_network == []


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on loopback that records every connection made to it (Rust code included)."""
    import threading

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(1)
                try:
                    hits.append(connection.recv(200) or b"(connected)")
                except OSError:
                    hits.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1]), hits
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_no_connection_reaches_a_listener_the_hostile_inputs_point_at(
        tmp_path: Path, listener: tuple[int, list[bytes]]) -> None:
    """The same, seen from the other end: whatever library would fetch (Python or Rust), nothing arrives."""
    port, hits = listener
    base = f"http://127.0.0.1:{port}"
    jsonld = write(tmp_path / "ctx.jsonld", json.dumps({"@context": f"{base}/context.jsonld", "@id": "urn:p",
                                                        "@type": "https://w3id.org/blinakg/ontology#Patient"}))
    xml = write(tmp_path / "entity.rdf", (HOSTILE / "external-http-entity.rdf").read_text(encoding="utf-8")
                .replace("http://127.0.0.1:9", base))
    imports = write(tmp_path / "imports.ttl", TURTLE + f"\n<urn:x:o> a <http://www.w3.org/2002/07/owl#Ontology> ; "
                                                      f"<http://www.w3.org/2002/07/owl#imports> <{base}/o.ttl> .\n")
    for path in (jsonld, xml, imports):
        code, _, err = validate(path)
        assert code in (0, 1, 2) and "Traceback" not in err, (path, err)
    federated = write(tmp_path / "federated.rq", f"SELECT * WHERE {{ SERVICE <{base}/sparql> {{ ?s ?p ?o }} }}")
    code, _, _ = run("query", str(federated), "--data", str(EXAMPLES / "pat-001-eligible.ttl"))
    assert code == 2
    store = tmp_path / "store"
    code, _, err = validate(EXAMPLES / "pat-001-eligible.ttl", extra=(f"--store={store}",))
    assert code in (0, 1), err
    code, _, _ = run("query", str(federated), "--store", str(store))
    assert code == 2
    load = write(tmp_path / "load.rq", f"LOAD <{base}/data.ttl> INTO GRAPH <urn:x:g>")
    code, _, err = run("query", str(load), "--store", str(store))
    assert code == 2 and "update" in err
    time.sleep(0.5)
    assert hits == []


@pytest.mark.parametrize("name, pattern", [
    ("control-character-in-id.ndjson", r'control-character-in-id\.ndjson:2: the Observation id "anc\\u0085-1" holds U\+0085'),
    ("raw-c1-character-in-patient-id.ndjson", r'raw-c1-character-in-patient-id\.ndjson:1: the Patient id "pat-c1\\u009b" holds U\+009B'),
    ("control-character-in-full-url.json", r'control-character-in-full-url\.json: Patient in Bundle entry 1: the fullUrl .* holds U\+0007'),
])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_issue_19_5_a_control_character_in_an_id_is_bad_input_naming_file_line_and_id(
        tmp_path: Path, name: str, pattern: str, jobs: str) -> None:
    """Issue 19.5: a C1 (or C0) control character in a FHIR id or fullUrl ended in exit 3
    (the IRI reached the store); now exit 2, naming the file, the NDJSON line and the id,
    in a worker or not, and nothing written."""
    bad = Path(__file__).resolve().parent / "fhir" / "bad" / name
    target = tmp_path / name
    target.write_bytes(bad.read_bytes())
    out = tmp_path / "report.json"
    code, stdout, err = run("validate", str(target), str(EXAMPLES / "pat-017-ineligible.json"), "--as-of", "2025-03-01",
                            "--format", "json", "--jobs", jobs, "-o", str(out))
    assert_bad_input(code, stdout, err, pattern)
    assert not out.exists()
