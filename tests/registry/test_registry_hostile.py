"""Hostile registry input (issue 19.5, 19.1): the attacks are data, ``tests/hostile/registry/`` with the message
each must give in ``expected.json``. Each is exit 2, one line naming the file and what is wrong, no traceback,
and no store written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import run

HOSTILE = Path(__file__).resolve().parent.parent / "hostile" / "registry"
EXPECTED: dict[str, str] = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))


def test_every_attack_file_has_its_expected_message() -> None:
    files = {p.name for p in HOSTILE.iterdir() if p.name != "expected.json"}
    assert files == set(EXPECTED) and len(EXPECTED) == 13


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_hostile_input_is_bad_input_and_adds_nothing(tmp_path: Path, name: str) -> None:
    path = HOSTILE / name
    store = tmp_path / "store"
    code, out, err = run("registry", "import", str(path), "--store", str(store))
    assert code == 2 and out == "", err
    assert "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1 and len(err) < 1000
    assert err.startswith(f"blinakg: {path}"), err
    assert re.search(EXPECTED[name], err), err
    assert not store.exists()


def test_inside_a_zip_the_member_is_named(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "records.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in ("mesh-id-path.json", "huge-enrollment.xml", "rewrites-another-trial.ttl"):
            out.writestr(f"in/{name}", (HOSTILE / name).read_bytes())
    code, _, err = run("registry", "import", str(archive), "--store", str(tmp_path / "store"))
    assert code == 2 and re.match(rf"blinakg: {re.escape(str(archive))}!in/[a-z-]+\.(json|xml|ttl)", err), err
    assert not (tmp_path / "store").exists()
