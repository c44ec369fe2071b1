"""The statement extractor: every number a report states, with its label, metric and quote."""

from pipelines.extract.extractor import extract_document, extract_statements
from pipelines.extract.statement import Statement

__all__ = ["Statement", "extract_document", "extract_statements"]
