"""Issue 19, point 5: bad command-line values and file names that ended as internal
errors (exit 3) are usage errors or are read, never a crash.

The option cases are data (``hostile/cli-options.json``): each is refused by the
option itself with exit 2, one ``Error:`` line naming the option, and nothing run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from blinakg.cli import main
from blinakg.engine.screen import screen, screen_paths
from blinakg.errors import UsageError
from blinakg.limits import EARLIEST_D, LATEST_D, MAX_JOBS
from blinakg.namespaces import BK

from .conftest import EXAMPLES

HOSTILE = Path(__file__).resolve().parent / "hostile"
OPTION_CASES: list[dict[str, Any]] = json.loads((HOSTILE / "cli-options.json").read_text(encoding="utf-8"))
ONE_PATIENT = EXAMPLES / "pat-017-ineligible.json"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_option_cases_are_all_there() -> None:
    assert len(OPTION_CASES) == 10


@pytest.mark.parametrize("case", OPTION_CASES, ids=lambda c: " ".join(c["args"])[:40])
def test_an_option_out_of_range_is_a_usage_error(tmp_path: Path, case: dict[str, Any]) -> None:
    output = tmp_path / "report.json"
    args = {"--as-of": "2025-03-01", "--format": "json"}
    args.update(dict(zip(case["args"][::2], case["args"][1::2])))
    code, out, err = run("validate", str(ONE_PATIENT), "-o", str(output), *[x for kv in args.items() for x in kv])
    assert code == 2, (code, err)
    assert out == "" and "Traceback" not in err and not output.exists()
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and re.search(case["error"], errors[0]), err


@pytest.mark.parametrize("as_of", [EARLIEST_D, LATEST_D])
def test_the_first_and_last_d_are_screened(as_of: dt.date) -> None:
    code, out, err = run("validate", str(EXAMPLES), "--as-of", as_of.isoformat(), "--format", "json")
    assert code in (0, 1), err
    assert json.loads(out)["as_of"] == as_of.isoformat()


def test_the_library_refuses_them_too(tmp_path: Path) -> None:
    """The CLI is not the only way in: screen() and screen_paths() check before any work or fork."""
    with pytest.raises(UsageError, match="--as-of: 0001-01-01 is outside"):
        screen(Graph(), dt.date(1, 1, 1))
    with pytest.raises(UsageError, match=f"--jobs: 1000000000 is not between 1 and {MAX_JOBS}"):
        screen_paths([ONE_PATIENT], dt.date(2025, 3, 1), jobs=10**9)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.dates(max_value=EARLIEST_D - dt.timedelta(days=1)),
                 st.dates(min_value=LATEST_D + dt.timedelta(days=1)),
                 st.sampled_from([EARLIEST_D, LATEST_D])))
def test_any_d_is_screened_or_refused_never_a_crash(as_of: dt.date) -> None:
    code, _, err = run("validate", str(ONE_PATIENT), "--as-of", as_of.isoformat(), "--format", "json", "--jobs", "1")
    assert "Traceback" not in err
    assert code == (1 if EARLIEST_D <= as_of <= LATEST_D else 2), (as_of, code, err)


# File names that are not UTF-8 reach Python as lone surrogates; FHIR's bk:sourceFile and a
# stored run's dct:source recorded them as they were and the store refused them (exit 3).
NOT_UTF8 = [b"pat-\xff.json", b"pat-\xed\xa0\x80.json", b"latin1-caf\xe9.ndjson"]


@pytest.mark.parametrize("raw", NOT_UTF8, ids=lambda raw: raw.decode("ascii", "backslashreplace"))
def test_a_file_name_that_is_not_utf8_is_read_and_named(tmp_path: Path, raw: bytes) -> None:
    seed = EXAMPLES / ("pat-023-indeterminate.ndjson" if raw.endswith(b".ndjson") else "pat-017-ineligible.json")
    try:
        path = Path(os.fsdecode(bytes(tmp_path) + b"/" + raw))
        path.write_bytes(seed.read_bytes())
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such a name")
    store = str(tmp_path / "store")
    code, out, err = run("validate", str(path), "--as-of", "2025-03-01", "--format", "json", "--store", store)
    assert code == 1 and json.loads(out)["patients"], err
    query = tmp_path / "sources.rq"
    query.write_text(f"SELECT DISTINCT ?name WHERE {{ GRAPH ?g {{ {{ ?x <{BK.sourceFile}> ?name }} UNION "
                     "{ ?x <http://purl.org/dc/terms/source> ?name FILTER (STRSTARTS(STR(?x), 'https://w3id.org/blinakg/run/')) } } }",
                     encoding="utf-8")
    code, out, err = run("query", str(query), "--store", store)
    assert code == 0, err
    names = out.splitlines()[2:-1]  # below the header and its rule, above "(N rows)"
    shown = raw.decode("utf-8", "backslashreplace")  # the name, its undecodable bytes as \xff escapes
    assert names and all(name.strip().endswith(shown) for name in names), out


@pytest.mark.parametrize("name, text", [
    ("big.nt", '<urn:p> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/blinakg/ontology#Patient> .\n'
               '<urn:p> <https://w3id.org/blinakg/ontology#value> "' + "9" * 5000 + '"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'),
    ("big.ttl", "@prefix bk: <https://w3id.org/blinakg/ontology#> .\n<urn:p> a bk:Patient ; bk:value " + "9" * 5000 + " .\n"),
    ("big.rdf", '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:bk="https://w3id.org/blinakg/ontology#"><bk:Patient rdf:about="urn:p"><bk:value '
                'rdf:datatype="http://www.w3.org/2001/XMLSchema#integer">' + "9" * 5000 + "</bk:value></bk:Patient></rdf:RDF>"),
])
def test_a_5000_digit_integer_in_rdf_is_one_short_line(tmp_path: Path, name: str, text: str) -> None:
    """Python will not read an integer of more than 4,300 digits; the file is refused, and the
    message cites the literal cut short, not all 5,000 digits."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run("validate", str(path), "--as-of", "2025-03-01", "--format", "json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert re.search(r'literal "9{30}…9{10}" \(5,000 characters\) of .* is not a valid xsd:integer', err), err
    assert len(err) < 300, err
