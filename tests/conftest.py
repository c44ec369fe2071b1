"""Shared fixtures. Real reports are read from ../shared/corpus/real and never copied."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.catalogue import Catalogue, Resolver

# Tests write reports and run at once: nothing they plant is a copy in progress (the tests of
# deferral set their own value).
os.environ["COUNTY_SETTLE_SECONDS"] = "0"

PROJECT = Path(__file__).resolve().parents[1]
REAL_CORPUS = PROJECT.parent / "shared" / "corpus" / "real"
SEED_REPORT = REAL_CORPUS / "000_f74364cef28d07a0.txt"


def real_file(name: str) -> Path:
    path = REAL_CORPUS / name
    if not path.exists():
        pytest.skip(
            f"real corpus file {path} is not available (../shared/corpus/real is team-only)"
        )
    return path


@pytest.fixture(scope="session")
def resolver() -> Resolver:
    return Resolver(Catalogue.load())


@pytest.fixture
def seed_raw(tmp_path: Path) -> Path:
    """A raw/ folder holding the seed report as raw/2023/泸县人民政府办公室.txt."""
    raw = tmp_path / "raw"
    (raw / "2023").mkdir(parents=True)
    shutil.copyfile(real_file(SEED_REPORT.name), raw / "2023" / "泸县人民政府办公室.txt")
    return raw
