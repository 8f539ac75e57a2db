"""The rule catalog: every dataset type with its formats, fields and rules, read off the same
specs the workers and `sieve check` run. Served at GET /v1/dataset-types; the README's type
table is checked against it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from validators.parsing import FORMAT_RULES
from validators.registry import SPECS
from validators.spec import DatasetSpec


@dataclass(frozen=True)
class CatalogField:
    name: str
    kind: str
    required: bool
    description: str


@dataclass(frozen=True)
class CatalogRule:
    code: str  # stable: what findings carry
    level: str  # "format" | "field" | "row" | "dataset"
    checks: str
    message: str  # how a finding reads (N stands for a number)


@dataclass(frozen=True)
class CatalogType:
    name: str
    description: str
    formats: list[str]
    fields: list[CatalogField]
    rules: list[CatalogRule]
    eval_split: float | None
    example: dict

    def to_dict(self) -> dict:
        return asdict(self)


def catalog() -> list[CatalogType]:
    return [describe(spec) for _, spec in sorted(SPECS.items())]


def describe(spec: DatasetSpec) -> CatalogType:
    fields = [CatalogField(f.name, f.kind.name, f.required, f.kind.describe()) for f in spec.fields]
    return CatalogType(
        name=spec.name,
        description=spec.description,
        formats=sorted(spec.formats),
        fields=fields,
        rules=_format_rules(spec) + _field_rules(spec) + _row_rules(spec) + _dataset_rules(spec),
        eval_split=spec.eval_split,
        example=spec.example(0),
    )


def _format_rules(spec: DatasetSpec) -> list[CatalogRule]:
    seen: dict[str, CatalogRule] = {}
    for file_format in sorted(spec.formats):
        for code, checks, message in FORMAT_RULES[file_format]:
            seen.setdefault(code, CatalogRule(code, "format", checks, message))
    return list(seen.values())


def _field_rules(spec: DatasetSpec) -> list[CatalogRule]:
    return [
        CatalogRule(
            f"{field.name}{code}", "field", f"'{field.name}{code.split('|')[0]}' {what}", message
        )
        for field in spec.fields
        for code, what, message in field.kind.rules()
    ]


def _row_rules(spec: DatasetSpec) -> list[CatalogRule]:
    return [
        CatalogRule(rule.name, "row", rule.describe(), f"field '{rule.field}' {rule.reason}")
        for rule in spec.row_rules
    ]


def _dataset_rules(spec: DatasetSpec) -> list[CatalogRule]:
    return [
        CatalogRule(rule.code, "dataset", rule.describe(), rule.describe())
        for rule in spec.dataset_rules
    ]


def markdown_table() -> str:
    """The README's table of dataset types (a test keeps the README equal to it)."""
    lines = [
        "| Type | Formats | Fields (required in bold) | Dataset rules | What it holds |",
        "|---|---|---|---|---|",
    ]
    for entry in catalog():
        fields = ", ".join(
            (f"**`{f.name}`**" if f.required else f"`{f.name}`") + f" ({f.kind})"
            for f in entry.fields
        )
        rules = [r.checks for r in entry.rules if r.level == "dataset"]
        if entry.eval_split:
            rules.append(f"no eval_data: {entry.eval_split:.0%} of the rows become eval")
        lines.append(
            f"| `{entry.name}` | {', '.join(entry.formats)} | {fields} | "
            f"{'; '.join(rules)} | {entry.description} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # python -m validators.catalog: the README's table
    print(markdown_table())
