"""jieba with GreenWhistle's own dictionary: loaded once, lazily, thread-safe, and quietly.

Only the polluter extractor needs word boundaries; places and pollution words are matched against
dictionaries directly. The tokenizer is a private `jieba.Tokenizer`, so the global `jieba`
dictionary of any other component in the same process (Rasa's JiebaTokenizer) is left alone.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from typing import TYPE_CHECKING

from bot.nlp.extraction._data import data_path, lexicon_file, polluters_file

if TYPE_CHECKING:
    import jieba

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _extra_words() -> list[str]:
    """Lexicon words and polluter suffixes also become jieba words (偷排, 渗滤液, 养殖场)."""
    words: list[str] = []
    for phenomena in lexicon_file().types.values():
        words.extend(phenomena)
    words.extend(polluters_file().suffixes)
    return [w for w in words if len(w) >= 2]


def user_dictionary() -> str:
    """Every word added to jieba's own dictionary, as one jieba user dictionary (`word [freq]
    [tag]` a line, in the order added): userdict.txt, then the extra words at 2000. `tokenizer()`
    loads exactly this text, so the spaCy pipeline can save it and segment the same elsewhere."""
    lines = data_path("userdict.txt").read_text(encoding="utf-8").splitlines()
    lines.extend(f"{word} 2000" for word in _extra_words())
    return "\n".join(lines) + "\n"


def tokenizer() -> jieba.Tokenizer:
    """The shared tokenizer, built on first use (about a second), then reused by every thread."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # jieba's pkg_resources deprecation warning
                import jieba

            # jieba logs "Building prefix dict…" at DEBUG on its own logger and stderr handler.
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            tok.load_userdict(io.BytesIO(user_dictionary().encode("utf-8")))
            _tokenizer = tok
            logger.debug("jieba tokenizer ready")
    return _tokenizer


def cut(text: str) -> list[str]:
    """Words of `text` (precise mode, HMM on for unknown names); joined they give `text` back."""
    return list(tokenizer().cut(text, HMM=True))
