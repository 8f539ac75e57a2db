"""What each type's rows say to a model, as texts to count (`TokenSource`), and the token
facts a chunk's valid rows carry from then on: columns named `FACT_PREFIX…`, kept beside each
row's hashes (validators.settle) and read by the token rules (validators.rules.tokens), never
stored with the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import polars as pl

from validators.tokens.counter import token_counter

FACT_PREFIX = "__sieve_"
TOKENS = FACT_PREFIX + "tokens"  # the row's tokens
TOKENIZER = FACT_PREFIX + "tokenizer"  # which tokenizer counted them (a categorical)
OVER_LIMIT = FACT_PREFIX + "over_limit"  # why a conversation is over a token limit, or null
POSITION = "position"  # a row's index among the chunk's valid rows


@dataclass(frozen=True)
class TokenOptions:
    """The tokenizer (a tokenizer.json; "" is the default) and Cohere's chat limits."""

    tokenizer: str = ""
    max_turn_tokens: int = 16_384
    max_preamble_tokens: int = 2_048


class TokenSource:
    """`pieces(frame)`: the texts of each row (`position`, `text`, and what the facts need);
    `facts(pieces)`: per row, from the pieces with their `tokens`."""

    def pieces(self, frame: pl.DataFrame) -> pl.DataFrame:
        raise NotImplementedError

    def facts(self, pieces: pl.DataFrame, options: TokenOptions) -> pl.DataFrame:
        return pieces.group_by(POSITION).agg(pl.col("tokens").sum().alias(TOKENS))


def _positions(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(POSITION), pl.col(name))


@dataclass(frozen=True)
class Fields(TokenSource):
    """Text fields and lists of texts (`text`; `query`, `relevant_passages`, …)."""

    names: tuple[str, ...]

    def pieces(self, frame: pl.DataFrame) -> pl.DataFrame:
        parts = []
        for name in self.names:
            if name not in frame.columns:
                continue
            texts = _positions(frame, name)
            if isinstance(texts.schema[name], pl.List):
                texts = texts.explode(name)
            parts.append(texts.select(POSITION, pl.col(name).cast(pl.String).alias("text")))
        return pl.concat(parts) if parts else _no_pieces()


def _no_pieces() -> pl.DataFrame:
    return pl.DataFrame(schema={POSITION: pl.UInt32, "text": pl.String})


@dataclass(frozen=True)
class Turns(TokenSource):
    """A conversation's turns (`{role, content}`), with Cohere's limits per turn and for the
    System preamble: a conversation over either is named in OVER_LIMIT (and dropped)."""

    name: str
    preamble_role: str = "System"

    def pieces(self, frame: pl.DataFrame) -> pl.DataFrame:
        turns = _positions(frame, self.name).with_columns(
            pl.col(self.name).list.eval(pl.int_range(1, pl.len() + 1)).alias("turn")
        )
        turn = pl.col(self.name)
        return turns.explode(self.name, "turn").select(
            POSITION,
            "turn",
            turn.struct.field("role").alias("role"),
            turn.struct.field("content").alias("text"),
        )

    def facts(self, pieces: pl.DataFrame, options: TokenOptions) -> pl.DataFrame:
        tokens = pl.col("tokens")
        preamble = (pl.col("turn") == 1) & (pl.col("role") == self.preamble_role)
        per_row = pieces.group_by(POSITION).agg(
            tokens.sum().alias(TOKENS),
            tokens.max().alias("longest"),
            pl.col("turn").get(tokens.arg_max()).alias("longest_at"),
            tokens.filter(preamble).sum().alias("preamble"),
        )
        turn_limit, preamble_limit = options.max_turn_tokens, options.max_preamble_tokens
        over = (
            pl.when(pl.col("longest") > turn_limit)
            .then(
                pl.format(
                    f"turn {{}} has {{}} tokens, over the limit of {turn_limit} a turn",
                    "longest_at",
                    "longest",
                )
            )
            .when(pl.col("preamble") > preamble_limit)
            .then(
                pl.format(
                    f"the System preamble (turn 1) has {{}} tokens, over the limit of "
                    f"{preamble_limit}",
                    "preamble",
                )
            )
        )
        return per_row.select(POSITION, TOKENS, over.alias(OVER_LIMIT))


@dataclass(frozen=True)
class JsonTexts(TokenSource):
    """The texts inside a JSON field (a batch request's `body`), at paths such as
    `messages[].content` (a string there counts; a list of blocks is another path's job:
    `messages[].content[].text`)."""

    name: str
    paths: tuple[str, ...]

    def pieces(self, frame: pl.DataFrame) -> pl.DataFrame:
        positions, texts = [], []
        steps = [path.split(".") for path in self.paths]
        for position, body in enumerate(frame[self.name].to_list()):
            value = _decoded(body)
            for path in steps:
                for text in _strings(value, path):
                    positions.append(position)
                    texts.append(text)
        return pl.DataFrame(
            {POSITION: positions, "text": texts}, schema={POSITION: pl.UInt32, "text": pl.String}
        )


def _decoded(body: object) -> object:
    if isinstance(body, str | bytes):
        try:
            return msgspec.json.decode(body)
        except msgspec.DecodeError:  # refused by the row rules already
            return None
    return body


def _strings(value: object, path: list[str]) -> list[str]:
    """The strings at `path` in a decoded JSON value (`key[]` walks a list)."""
    if not path:
        return [value] if isinstance(value, str) else []
    step, rest = path[0], path[1:]
    key = step.removesuffix("[]")
    inner = value.get(key) if isinstance(value, dict) else None
    if not step.endswith("[]"):
        return _strings(inner, rest)
    items = inner if isinstance(inner, list) else []
    return [text for item in items for text in _strings(item, rest)]


def with_token_facts(
    source: TokenSource | None, frame: pl.DataFrame, options: TokenOptions
) -> pl.DataFrame:
    """`frame` (a chunk's valid rows) with its token facts, row by row."""
    if source is None or frame.height == 0:
        return frame
    counter = token_counter(options.tokenizer)
    pieces = source.pieces(frame)
    pieces = pieces.with_columns(counter.count(pieces["text"]))
    facts = source.facts(pieces, options)
    every = pl.DataFrame({POSITION: pl.int_range(frame.height, dtype=pl.UInt32, eager=True)})
    facts = every.join(facts, on=POSITION, how="left", maintain_order="left").drop(POSITION)
    named = pl.lit(counter.name, dtype=pl.Categorical).alias(TOKENIZER)
    return frame.hstack(facts.with_columns(pl.col(TOKENS).fill_null(0), named))


def fact_columns(frame: pl.DataFrame) -> list[str]:
    return [name for name in frame.columns if name.startswith(FACT_PREFIX)]


def without_facts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop(fact_columns(frame))
