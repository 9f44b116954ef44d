"""Shared fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from blinakg.readers.loader import load_inputs
from blinakg.model import load_model
from blinakg.engine.screen import Screening, screen
from blinakg.reports.next_step import annotate

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT.parent / "shared" / "spec"
EXAMPLES = ROOT / "examples" / "patients"
AS_OF = dt.date(2025, 3, 1)


@pytest.fixture(scope="session")
def example_screening() -> Screening:
    """The bundled example patients, screened once at 2025-03-01 and annotated as `validate` does."""
    model = load_model()
    inputs = load_inputs([EXAMPLES], model)
    screening = screen(inputs.graph, AS_OF, model=model, warnings=inputs.warnings)
    annotate(screening, model)
    return screening
