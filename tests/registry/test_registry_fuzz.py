"""Fuzzing the registry import (issue 19: "extend the fuzzers to the registry import (Turtle models, XML,
JSON, zips)"), as ``tests/test_fuzz.py`` does the patient readers: every mutation of a valid record, model or
.zip either reads or is an :class:`~blinakg.errors.InputError` naming the input — never another exception.

The readers are called directly (what ``registry import`` runs before the store is opened); the command line
is covered by ``test_registry_hostile.py``. Sized for CI: a few seconds.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blinakg.errors import InputError
from blinakg.registry.entries import Source
from blinakg.registry.importer import collect, read_records
from blinakg.registry.models import model_entry, parse_turtle

from ..test_fuzz import TOKENS
from .conftest import DATA

SEEDS = {
    ".xml": (DATA / "xml" / "NCT00077493.xml").read_bytes(),
    ".json": (DATA / "v2" / "NCT99999901.json").read_bytes(),
    ".ttl": (DATA / "models" / "NCT99999902.ttl").read_bytes(),
}
REGISTRY_TOKENS = TOKENS + [b"99999999999999999999999999999999999999999", b'"id": "../x"', b"&#xD800;", b"\\ud800",
                            b"<enrollment>", b"NCT0000000", b"<https://w3id.org/blinakg/trial/NCT04604691/I5-anc>",
                            b"[ ", b"( (", b"_:b1", b"\xc2\x85", b"<!DOCTYPE x [<!ENTITY a \"b\">]>"]


@st.composite
def mutated(draw: Any, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "delete", "token", "replace", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(REGISTRY_TOKENS))
        elif kind == "replace":
            data[at:at + 1] = bytes([draw(st.integers(0, 255))])
        else:
            data[at:at] = bytes(data[at:at + draw(st.integers(1, 200))])
    return bytes(data)


def _reads_or_refuses(source: Source) -> None:
    try:
        if source.suffix == ".ttl":
            from blinakg.model import load_model

            model_entry(parse_turtle(source), source.label, load_model(), [])
        else:
            read_records(source)
    except InputError as err:
        assert str(err).startswith(source.label.split("!")[0]) and "\n" not in str(err).strip()


FAST = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(data=st.one_of(mutated(SEEDS[".xml"]), mutated(SEEDS[".json"])), suffix=st.sampled_from([".xml", ".json"]))
def test_a_mutated_record_reads_or_is_bad_input(data: bytes, suffix: str) -> None:
    _reads_or_refuses(Source(label=f"fuzzed{suffix}", suffix=suffix, data=data))


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated(SEEDS[".ttl"]))
def test_a_mutated_model_reads_or_is_bad_input(data: bytes) -> None:
    _reads_or_refuses(Source(label="archive.zip!NCT99999902.ttl", suffix=".ttl", data=data))


def _zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("r/NCT00077493.xml", SEEDS[".xml"])
        archive.writestr("r/NCT99999901.json", SEEDS[".json"])
    return buffer.getvalue()


@FAST
@given(data=mutated(_zipped()))
def test_a_mutated_zip_reads_or_is_bad_input(tmp_path_factory: Any, data: bytes) -> None:
    path: Path = tmp_path_factory.mktemp("zip") / "records.zip"
    path.write_bytes(data)
    try:
        sources = collect([path])
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    for source in sources:
        _reads_or_refuses(source)
