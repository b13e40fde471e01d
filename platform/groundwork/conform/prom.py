"""A parser for the Prometheus text exposition format, enough to judge names, types, labels and buckets."""

import re
from dataclasses import dataclass, field

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)

    def series(self, name: str, **labels: str) -> list[Sample]:
        return [s for s in self.samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]

    def value(self, name: str, **labels: str) -> float:
        return sum(s.value for s in self.series(name, **labels))

    def type_of(self, family: str) -> str | None:
        """The TYPE of a family; a counter may be declared with or without its _total suffix."""
        if family in self.types:
            return self.types[family]
        if family.endswith("_total"):
            return self.types.get(family.removesuffix("_total"))
        return None


class ExpositionError(ValueError):
    """The text is not Prometheus exposition format."""


def parse(text: str) -> Exposition:
    exposition = Exposition()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                exposition.types[parts[2]] = parts[3].strip()
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise ExpositionError(f"line {number} is not a sample: {line[:80]!r}")
        try:
            value = float(match.group(4))
        except ValueError:
            raise ExpositionError(f"line {number} has no numeric value: {line[:80]!r}") from None
        labels = {key: value.replace('\\"', '"') for key, value in _LABEL.findall(match.group(3) or "")}
        exposition.samples.append(Sample(match.group(1), labels, value))
    return exposition
