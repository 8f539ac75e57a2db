"""Field kinds: each owns what its values look like in polars, in Avro, in raw JSON text, in a
CSV cell, and how a JSON value of the wrong shape is told apart.

A new kind of field is a new small class here; nothing else branches on kinds.
"""

from validators.kinds.base import FieldKind, raw_given
from validators.kinds.lists import TextList, Turns
from validators.kinds.scalars import Text, Whole
from validators.kinds.shaped import Shaped

__all__ = [
    "INTEGER",
    "MESSAGES",
    "STRING",
    "STRING_LIST",
    "FieldKind",
    "Shaped",
    "Text",
    "TextList",
    "Turns",
    "Whole",
    "raw_given",
]

INTEGER = Whole()
STRING = Text()
STRING_LIST = TextList()
MESSAGES = Turns()
