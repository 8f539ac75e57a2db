"""Token counts of many texts at once, with a Hugging Face `tokenizer.json`.

Encoding every text with `tokenizers` runs at about 3 MB/s a core here, several times the cost
of validating the same rows. Most tokenizers of chat models (GPT-2's family: Claude's,
Cohere's Command) are byte-level BPE: the text is normalized, cut into words by one regex, and
each word is encoded on its own. So a text's count is the sum of its words' counts, and a word
is encoded once per process (`_words`): polars cuts the words (Rust, one call per chunk), and
only words never seen before go to the tokenizer. polars cuts ASCII texts only: its Unicode
tables (normalization, letters) are newer than the tokenizer's (U+1E030 is rewritten by one
NFKC and not the other). A text with other characters, one holding an added token (such as
`<EOT>`), and any text of a tokenizer of another kind, are encoded whole by the tokenizer
itself: cutting them word by word in Python was measured no faster (3.2 s against 3.1 s for
6.5 MB of accented text). The counts are the tokenizer's own, exactly
(tests/validators/test_tokens.py compares them on random Unicode).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# GPT-2's word regex without its look-ahead (`\s+(?!\S)`), which polars' regex engine lacks:
# the marker is put before the last blank of a run of blanks that a word follows, so that a
# plain `\s+` stops where the look-ahead would have; no word takes the marker in.
_MARKER = "\ufdd0"  # a Unicode noncharacter: never in text meant for a model
_CONTRACTIONS = r"'s|'t|'re|'ve|'m|'ll|'d"
_WORDS = _CONTRACTIONS + r"| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}\x{FDD0}]+|\s+"
_WORDS_DIGITS = _CONTRACTIONS + r"| ?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}\x{FDD0}]+|\s+"
_BEFORE_WORD = r"(\s+)(\s\S)"
_BEFORE_WORD_DIGITS = r"(\s+)(\s[^\s\p{N}])"  # a digit ends a piece: blanks before it stay whole
_NORMAL_FORMS = {"NFC", "NFKC", "NFD", "NFKD"}
MAX_CACHED_WORDS = 2_000_000
# BPE's cost grows faster than a word's length, and one word can be a whole 100 MB line (a
# base64 blob, a run of one character): longer words, and longer texts the tokenizer encodes
# whole, are counted in slices of this many characters (within a token or so of a slice).
MAX_WORD_CHARS = 1_000
MAX_TEXT_CHARS = 100_000
DEFAULT_NAME = "claude"


@dataclass(frozen=True)
class _WordCutter:
    """How a byte-level BPE tokenizer cuts a text into words, in polars' terms."""

    word_pattern: str
    before_word: str
    added: tuple[str, ...]  # added tokens' texts: a text holding one is encoded whole

    @classmethod
    def of(cls, config: dict) -> _WordCutter | None:
        """The cutter for this tokenizer.json, or None when its pipeline is another one (a
        normalizer other than Unicode's forms, which leave ASCII as it is, included)."""
        normalizer = config.get("normalizer")
        form = normalizer["type"] if normalizer else None
        if form is not None and form not in _NORMAL_FORMS:
            return None
        steps = _pre_tokenizer_steps(config.get("pre_tokenizer"))
        digits = steps[:1] == [{"type": "Digits", "individual_digits": True}]
        byte_level = steps[-1:] and steps[-1].get("type") == "ByteLevel"
        if len(steps) != 1 + digits or not byte_level or not _plain_byte_level(steps[-1]):
            return None
        if (config.get("model") or {}).get("type") != "BPE":
            return None
        added = tuple(token["content"] for token in config.get("added_tokens") or ())
        if digits:
            return cls(_WORDS_DIGITS, _BEFORE_WORD_DIGITS, added)
        return cls(_WORDS, _BEFORE_WORD, added)

    def fits(self, texts: pl.Series) -> pl.Series:
        """Which texts the cut is exact for: ASCII ones (polars' Unicode tables are not the
        tokenizer's) holding no added token."""
        fits = ~texts.str.contains(r"[^\x00-\x7F]")
        return fits & ~texts.str.contains_any(list(self.added)) if self.added else fits

    def words(self, texts: pl.Series) -> pl.DataFrame:
        """Every word of every text (ASCII texts: already normal in every form): `text` (the
        text's index) and `word`, in order."""
        marked = texts.str.replace_all(self.before_word, "${1}" + _MARKER + "${2}")
        words = pl.DataFrame({"text": pl.int_range(texts.len(), eager=True), "word": marked})
        cut = pl.col("word").str.extract_all(self.word_pattern)
        words = words.with_columns(cut).explode("word").drop_nulls("word")
        return _long_ones_sliced(words, MAX_WORD_CHARS)


def _long_ones_sliced(words: pl.DataFrame, size: int) -> pl.DataFrame:
    """`words` (columns `text`, `word`) with each word over `size` characters cut into
    slices of `size` (rare: cut one by one, never copied whole per slice)."""
    long = pl.col("word").str.len_chars() > size
    if not words.select(long.any()).item():
        return words
    slices = [
        (text, word[start : start + size])
        for text, word in words.filter(long).iter_rows()
        for start in range(0, len(word), size)
    ]
    sliced = pl.DataFrame(slices, schema=words.schema, orient="row")
    return pl.concat([words.filter(~long), sliced])


def _pre_tokenizer_steps(pre_tokenizer: dict | None) -> list[dict]:
    if not pre_tokenizer:
        return []
    if pre_tokenizer.get("type") == "Sequence":
        return list(pre_tokenizer.get("pretokenizers") or [])
    return [pre_tokenizer]


def _plain_byte_level(step: dict) -> bool:
    return step.get("use_regex", True) and not step.get("add_prefix_space", False)


class TokenCounter:
    """Counts tokens as the tokenizer file does; `name` says which tokenizer that is."""

    def __init__(self, tokenizer: Tokenizer, name: str) -> None:
        self.name = name
        self._tokenizer = tokenizer
        self._cutter = _WordCutter.of(json.loads(tokenizer.to_str()))
        self._known = _NO_WORDS  # ASCII words as cut by polars (`word`) and their tokens (`n`)

    def count(self, texts: pl.Series) -> pl.Series:
        """Tokens in each text (null: 0), as UInt32, without the special tokens a model adds."""
        texts = texts.cast(pl.String).fill_null("")
        if self._cutter is None:
            return self._encoded(texts)
        fits = self._cutter.fits(texts)
        counts = self._cut_counts(texts.filter(fits))
        if fits.all():
            return counts
        whole = self._encoded(texts.filter(~fits))
        merged = pl.zeros(texts.len(), pl.UInt32, eager=True).alias("tokens")
        return merged.scatter(fits.arg_true(), counts).scatter((~fits).arg_true(), whole)

    def _encoded(self, texts: pl.Series) -> pl.Series:
        """Each text encoded whole by the tokenizer (a very long one, slice by slice)."""
        whole = pl.DataFrame({"text": pl.int_range(texts.len(), eager=True), "word": texts})
        pieces = _long_ones_sliced(whole, MAX_TEXT_CHARS)
        words = pieces["word"].to_list()
        encoded = self._tokenizer.encode_batch_fast(words, add_special_tokens=False)
        counts = pieces.with_columns(pl.Series("n", [len(e.ids) for e in encoded], pl.UInt32))
        return self._per_text(counts, texts.len())

    def _cut_counts(self, texts: pl.Series) -> pl.Series:
        """Every word joined to its count; only the words this process has never seen go to
        the tokenizer (a join in polars: no Python loop over the chunk's distinct words)."""
        words = self._cutter.words(texts)  # type: ignore[union-attr]
        counted = words.join(self._known, on="word", how="left")
        unseen = counted.filter(pl.col("n").is_null())["word"].unique()
        if unseen.len():  # joined once more, to the words just learnt only
            learnt = self._learn(unseen).rename({"n": "learnt"})
            counted = counted.join(learnt, on="word", how="left").select(
                "text", pl.coalesce("n", "learnt").alias("n")
            )
        return self._per_text(counted, texts.len())

    def _learn(self, unseen: pl.Series) -> pl.DataFrame:
        """Count these new words (the model's own BPE, word by word: the normalizer leaves
        ASCII as it is and the word cut is the pre-tokenizer's, so only its byte map is left
        to do) and keep them, forgetting all once MAX_CACHED_WORDS would be passed; them with
        their counts (`word`, `n`)."""
        words = unseen.to_list()
        tokenize = self._tokenizer.model.tokenize
        counts = [len(tokenize(word.translate(_BYTE_LEVEL))) for word in words]
        learnt = pl.DataFrame({"word": words, "n": counts}, schema=_NO_WORDS.schema)
        if self._known.height + learnt.height > MAX_CACHED_WORDS:
            self._known = _NO_WORDS
        self._known = pl.concat([self._known, learnt], rechunk=False)
        if self._known.n_chunks() > 64:
            self._known = self._known.rechunk()
        return learnt

    @staticmethod
    def _per_text(counts: pl.DataFrame, texts: int) -> pl.Series:
        """Counts per piece (`text`, `n`) summed per text, in the texts' order (0: none)."""
        per_text = counts.group_by("text").agg(pl.col("n").sum())
        every = pl.DataFrame({"text": pl.int_range(texts, eager=True)})
        counted = every.join(per_text, on="text", how="left", maintain_order="left")
        return counted["n"].fill_null(0).cast(pl.UInt32).alias("tokens")


def _byte_level_map() -> dict[int, str]:
    """GPT-2's byte-to-character map, which a ByteLevel pre-tokenizer applies to each word
    before the model sees it (printable bytes stand for themselves, the others are moved
    past U+0100); ASCII words need only its first 128 entries."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    moved = [b for b in range(256) if b not in printable]
    mapping = {b: chr(b) for b in printable}
    mapping.update({b: chr(256 + i) for i, b in enumerate(moved)})
    return {b: mapping[b] for b in range(128)}


_BYTE_LEVEL = str.maketrans(_byte_level_map())
_NO_WORDS = pl.DataFrame(schema={"word": pl.String, "n": pl.UInt32})


def default_tokenizer_file() -> tuple[Path, str]:
    """The offline default: the tokenizer.json that the `anthropic` package (0.37) ships, the
    published tokenizer of Claude 1 and 2 (a byte-level BPE of 65 000 tokens). It is not
    Cohere's: counts are an estimate until SIEVE_TOKENIZER names Cohere's file."""
    spec = importlib.util.find_spec("anthropic")  # located, not imported (slow, not needed)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the anthropic package (its tokenizer.json) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "tokenizer.json"
    version = importlib.metadata.version("anthropic")
    return path, f"{DEFAULT_NAME} (tokenizer.json of the anthropic {version} package)"


@lru_cache(maxsize=4)
def token_counter(tokenizer_file: str = "") -> TokenCounter:
    """The counter for a tokenizer.json (the default one for ""), one per process."""
    from tokenizers import Tokenizer  # here: only processes that count tokens load it

    if tokenizer_file:
        path, name = Path(tokenizer_file), Path(tokenizer_file).name
    else:
        path, name = default_tokenizer_file()
    return TokenCounter(Tokenizer.from_file(str(path)), name)
