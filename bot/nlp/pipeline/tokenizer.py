"""The pipeline's tokenizer: jieba with the project's dictionary, saved with the pipeline.

spaCy's own Chinese tokenizer can use jieba too, but only jieba's global dictionary, and it saves
none of it: a pipeline loaded on another machine (another jieba, another userdict.txt) would cut
words differently from the one that was built, and a trained component would see other tokens
than it learnt from. This one writes the dictionary it used (jieba's main dictionary and the
project's user words, `bot.nlp.extraction.segment.user_dictionary`) into the saved pipeline and
reads it back from there.

While the saved dictionary is the one the rules use (the usual case: same jieba, same data), the
tokenizer shares the rules' jieba instance (`segment.tokenizer()`) rather than building a second
half-million-word prefix dictionary in the same process.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import spacy
import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from bot.nlp.extraction import segment

if TYPE_CHECKING:
    import jieba

logger = logging.getLogger(__name__)

MAIN_DICT = "dict.txt"
USER_DICT = "userdict.txt"
CFG = "cfg"
_FORMAT = 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _main_dict_bytes(tok: jieba.Tokenizer) -> bytes:
    with tok.get_dict_file() as fh:
        return bytes(fh.read())


@lru_cache(maxsize=1)
def _project_dictionary() -> tuple[str, str]:
    """(sha256 of jieba's main dictionary, the user words) of the rules' own tokenizer."""
    return _sha256(_main_dict_bytes(segment.tokenizer())), segment.user_dictionary()


def _build_private(main_dict: Path, user_dict: Path, cache_dir: Path | None) -> jieba.Tokenizer:
    """A jieba tokenizer of its own over a saved dictionary (a pipeline built elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jieba's pkg_resources deprecation warning
        import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer(dictionary=str(main_dict))
    if cache_dir is not None:
        tok.tmp_dir = str(cache_dir)
    tok.initialize()
    tok.load_userdict(str(user_dict))
    logger.info("pipeline tokenizer: a saved dictionary other than the rules' (%s)", main_dict)
    return tok


class JiebaTokenizer:
    """Text → Doc with jieba's words; `doc.text == text`, whitespace kept as spaCy keeps it."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        #: A jieba tokenizer of its own over a loaded dictionary; None: the rules' tokenizer.
        self._private: jieba.Tokenizer | None = None
        self._private_user = ""

    @property
    def segmenter(self) -> jieba.Tokenizer:
        """The jieba tokenizer in use: the rules' own unless a different dictionary was loaded."""
        return self._private if self._private is not None else segment.tokenizer()

    def __call__(self, text: str) -> Doc:
        words = [w for w in self.segmenter.cut(text, HMM=True) if w]
        words, spaces = util.get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    # -- the dictionary: what was used, saved and loaded -----------------------------------------
    def dictionary(self) -> tuple[bytes, str]:
        """(jieba's main dictionary file, the user words as a jieba user dictionary)."""
        if self._private is None:
            return _main_dict_bytes(segment.tokenizer()), segment.user_dictionary()
        return _main_dict_bytes(self._private), self._private_user

    def _use(self, main: bytes, user: str, saved: Path | None) -> None:
        """Takes a loaded dictionary: the rules' tokenizer when it is theirs, else one of its own,
        built from the files in `saved` (or from temporary copies, for `from_bytes`)."""
        if (_sha256(main), user) == _project_dictionary():
            self._private, self._private_user = None, ""
            return
        if saved is not None:
            self._private = _build_private(saved / MAIN_DICT, saved / USER_DICT, cache_dir=None)
        else:
            with tempfile.TemporaryDirectory(prefix="gw-jieba-") as tmp:
                folder = Path(tmp)
                (folder / MAIN_DICT).write_bytes(main)
                (folder / USER_DICT).write_text(user, encoding="utf-8")
                # jieba's prefix-dictionary cache goes with the copies, not into /tmp for good
                self._private = _build_private(
                    folder / MAIN_DICT, folder / USER_DICT, cache_dir=folder
                )
        self._private_user = user

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        main, user = self.dictionary()
        (path / MAIN_DICT).write_bytes(main)
        (path / USER_DICT).write_text(user, encoding="utf-8")
        cfg = {
            "format": _FORMAT,
            "main_sha256": _sha256(main),
            "user_sha256": _sha256(user.encode()),
        }
        srsly.write_json(path / CFG, cfg)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> JiebaTokenizer:
        path = Path(path)
        cfg = srsly.read_json(path / CFG)
        if cfg.get("format") != _FORMAT:
            raise ValueError(f"{path}: tokenizer format {cfg.get('format')}, expected {_FORMAT}")
        main = (path / MAIN_DICT).read_bytes()
        user = (path / USER_DICT).read_text(encoding="utf-8")
        if _sha256(main) != cfg["main_sha256"] or _sha256(user.encode()) != cfg["user_sha256"]:
            raise ValueError(f"{path}: the saved jieba dictionary does not match its checksum")
        self._use(main, user, saved=path)
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        main, user = self.dictionary()
        return bytes(srsly.msgpack_dumps({"format": _FORMAT, "main": main, "user": user}))

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> JiebaTokenizer:
        msg: dict[str, Any] = srsly.msgpack_loads(data)
        if msg.get("format") != _FORMAT:
            raise ValueError(f"tokenizer format {msg.get('format')}, expected {_FORMAT}")
        self._use(msg["main"], msg["user"], saved=None)
        return self


@spacy.registry.tokenizers("greenwhistle.jieba_tokenizer.v1")
def create_jieba_tokenizer() -> Callable[[Language], JiebaTokenizer]:
    """The `[nlp.tokenizer]` of bot/nlp/pipeline/config.cfg (also a `spacy_tokenizers` entry
    point, so a saved pipeline loads without importing this module first)."""

    def make(nlp: Language) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab)

    return make
