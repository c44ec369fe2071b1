"""Deterministic synthetic county (云溪县) of 部门决算 reports with ground truth, for tests and demos."""

from tools.sample.writers import generate_county, load_truth

__all__ = ["generate_county", "load_truth"]
