"""The check suites: every family has one, and a family without its suite stops the run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines.quality.runner import FAMILIES
from pipelines.quality.validator import (
    REPOSITORY_SUITES,
    SuiteMissing,
    Validator,
    load_suite_files,
    suites_dir,
)


def test_every_family_has_its_suite_in_expectations() -> None:
    assert suites_dir() == REPOSITORY_SUITES  # a source checkout reads expectations/ in place
    suites = load_suite_files(FAMILIES)
    assert set(suites) == set(FAMILIES)


def test_a_family_without_its_suite_is_an_error_naming_it(tmp_path: Path) -> None:
    for suite in REPOSITORY_SUITES.glob("*.json"):
        if suite.name != "yoy.json":
            shutil.copy2(suite, tmp_path / suite.name)
    with pytest.raises(SuiteMissing, match=r"yoy\.json") as caught:
        load_suite_files(FAMILIES, tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_validating_a_family_without_a_suite_never_passes() -> None:
    suites = load_suite_files(FAMILIES)
    suites.pop("share")
    frame = pd.DataFrame({"row_id": ["share-0"], "observed": [1.0]})
    with pytest.raises(SuiteMissing, match="share"):
        Validator(suites, None).run({"share": frame})
