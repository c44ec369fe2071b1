"""Fixtures shared by the robustness tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.county import Published, make_county, publish


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Published]:
    """Two good reports, published once per test module: what a planted case is compared with."""
    root = tmp_path_factory.mktemp("clean")
    make_county(root / "raw")
    return root / "raw", publish(root / "raw", root / "warehouse")
