"""Pure validation: dataset-type specs as data, chunk parsing, rules, reports and verdicts.

Imports polars and the standard library only — nothing else of Sieve's.
"""
