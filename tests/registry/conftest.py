"""Shared fixtures of the registry tests: the 196 records of the shared zip, and
an embedded store they are imported into once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from blinakg.cli import main

from ..conftest import ROOT

DATA = Path(__file__).resolve().parent / "data"
REGISTRY_ZIP = ROOT.parent / "shared" / "registry" / "ctgov-pediatric-acute-leukemia-2021-05-11.zip"


def run(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: exit code, standard output, standard error."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def registry_zip() -> Path:
    if not REGISTRY_ZIP.is_file():
        pytest.skip(f"{REGISTRY_ZIP} is not there (the shared specification folder)")
    return REGISTRY_ZIP


@pytest.fixture(scope="session")
def registry_store(tmp_path_factory: pytest.TempPathFactory, registry_zip: Path) -> Path:
    """An embedded store holding the 196 records (and NCT04604691), imported once."""
    store = tmp_path_factory.mktemp("registry") / "store"
    code, _, err = run("registry", "import", str(registry_zip), "--store", str(store))
    assert code == 0, err
    return store
