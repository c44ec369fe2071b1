"""Extraction against ground truth: the shipped sample county and a freshly generated one."""

from __future__ import annotations

from pathlib import Path

from tools.sample import generate_county
from tools.sample.score import score_extraction

PROJECT = Path(__file__).resolve().parents[2]


def _report(score) -> str:
    worst = sorted(score.truth, key=lambda m: score.found[m] / score.truth[m])[:8]
    lines = [f"{m}: {score.found[m]}/{score.truth[m]}" for m in worst]
    return "\n".join(lines + [str(m) for m in score.misses[:20]])


def test_shipped_sample_is_fully_extracted():
    score = score_extraction(PROJECT / "raw")
    assert sum(score.truth.values()) > 2000
    assert not score.identity_errors
    assert score.recall >= 0.99, _report(score)


def test_other_seed_is_extracted(tmp_path: Path):
    generate_county(tmp_path, n_departments=12, years=(2022, 2023), seed=7)
    score = score_extraction(tmp_path)
    assert not score.identity_errors
    assert score.recall >= 0.99, _report(score)
