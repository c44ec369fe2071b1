"""The functional subject catalogue (支出功能分类科目) and the resolver of names to codes."""

from pipelines.catalogue.catalogue import Catalogue, Subject, level_of
from pipelines.catalogue.resolver import Resolution, Resolver

__all__ = ["Catalogue", "Resolution", "Resolver", "Subject", "level_of"]
