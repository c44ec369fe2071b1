"""Text normalization shared by readers, extractor and resolver.

Quotes kept for the bureau are always the original text; these helpers produce the
normalized form used for matching only.
"""

from __future__ import annotations

import re
import unicodedata

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# Word and PDF debris that carries no meaning for extraction.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)


def strip_debris(text: str) -> str:
    """Remove Word bookmark markers and zero-width characters, keep everything else."""
    return _BOOKMARK.sub("", text).translate(_ZERO_WIDTH)


def normalize(text: str) -> str:
    """NFKC (full-width digits, brackets, punctuation become half-width) without debris.

    Ideographic space and no-break space become plain spaces; CJK quotes are unified.
    """
    text = unicodedata.normalize("NFKC", strip_debris(text))
    return (
        text.replace("\u3000", " ")
        .replace("\xa0", " ")
        .replace("“", '"')
        .replace("”", '"')
        .replace("‘", "'")
        .replace("’", "'")
    )


_SPACES = re.compile(r"\s+")


def compact(text: str) -> str:
    """Normalized text without any whitespace: the form used to compare names."""
    return _SPACES.sub("", normalize(text))
