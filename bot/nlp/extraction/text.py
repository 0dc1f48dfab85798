"""Text normalisation that keeps character offsets: full-width ASCII → half-width, one for one."""

from __future__ import annotations

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
# Keep the Chinese clause punctuation as is: it is what the splitters look for.
for _ch in "，。；：！？（）":
    _FULLWIDTH.pop(ord(_ch), None)
_TABLE = str.maketrans(_FULLWIDTH)

#: Characters that end a clause.
CLAUSE_PUNCT = "，。；;！!？?\n\r\t、,"


def normalise(text: str) -> str:
    """Same length as `text`: digits and Latin letters half-width, Chinese punctuation untouched."""
    return (text or "").translate(_TABLE)
