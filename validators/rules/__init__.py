"""Dataset rules: checks over whole files, each one object with small hooks (base.py)."""

from validators.rules.base import DatasetRule, Settling
from validators.rules.duplicates import EvalLeakage, ExactDuplicates
from validators.rules.examples import MinExamples
from validators.rules.labels import LabelRules
from validators.rules.tokens import TokenCounts, TokenLimits
from validators.rules.unique import DistinctAtLeast, UniqueValues

__all__ = [
    "DatasetRule",
    "DistinctAtLeast",
    "EvalLeakage",
    "ExactDuplicates",
    "LabelRules",
    "MinExamples",
    "Settling",
    "TokenCounts",
    "TokenLimits",
    "UniqueValues",
]
