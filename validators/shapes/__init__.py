"""Nested JSON shapes declared as data (see base.py): the single source of a nested field's
rules, its messages, its catalog entries and its compiled decoder."""

from validators.shapes.base import NotCompiled, Problem, Rules, Shape, json_type_name, shown
from validators.shapes.containers import Either, ListOf, MapOf, Obj, Tagged
from validators.shapes.scalars import AnyJson, Bool, Int, Num, Str

__all__ = [
    "AnyJson",
    "Bool",
    "Either",
    "Int",
    "ListOf",
    "MapOf",
    "NotCompiled",
    "Num",
    "Obj",
    "Problem",
    "Rules",
    "Shape",
    "Str",
    "Tagged",
    "json_type_name",
    "shown",
]
