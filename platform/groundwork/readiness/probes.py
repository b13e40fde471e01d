"""Static probes over a service's own repository, whatever its stack: regular expressions over its source
files and dependency manifests (tests, vendored and built folders left out), and Python's AST where the
template writes Python. Nothing is imported, built or started."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from groundwork.paths import RUNTIME_DIR

SOURCE_SUFFIXES = frozenset(
    {".py", ".go", ".js", ".mjs", ".ts", ".java", ".kt", ".rs", ".rb", ".cs", ".scala", ".ex", ".exs", ".php"}
)
MANIFESTS = frozenset(
    {
        "pyproject.toml",
        "requirements.txt",
        "package.json",
        "go.mod",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "Cargo.toml",
        "Gemfile",
        "mix.exs",
        "composer.json",
    }
)
SKIPPED = frozenset(
    {".git", ".venv", "venv", "node_modules", "vendor", "target", "dist", "build", "__pycache__", "tests", "test"}
)


# A service that depends on groundwork-runtime has its telemetry, health routes and logging there, not in its own
# files: the probes read the runtime's sources and manifest (runtime/ of the groundwork checkout) with it.
RUNTIME_DEPENDENCY = r"""["']groundwork-runtime\b"""
RUNTIME_SOURCE = Path(RUNTIME_DIR)


@dataclass(frozen=True)
class Hit:
    file: Path
    line: int
    text: str


class RepoFiles:
    """One repository's source files and manifests, read once; with the sources of `runtime` (a folder) when
    a manifest depends on groundwork-runtime."""

    def __init__(self, path: Path, runtime: Path | None = None) -> None:
        self.path = path
        self.runtime = runtime

    @cached_property
    def sources(self) -> list[Path]:
        own = [file for file in self._files() if file.suffix in SOURCE_SUFFIXES]
        if self.runtime is None or not self._depends_on_runtime:
            return own
        return own + sorted((self.runtime / "src").rglob("*.py"))

    @cached_property
    def _depends_on_runtime(self) -> bool:
        regex = re.compile(RUNTIME_DEPENDENCY)
        if self.runtime is None or not (self.runtime / "pyproject.toml").is_file():
            return False
        for file in self._own_manifests:
            try:
                if regex.search(file.read_text(encoding="utf-8")):
                    return True
            except (OSError, UnicodeDecodeError):
                continue
        return False

    @cached_property
    def manifests(self) -> list[Path]:
        runtime = [self.runtime / "pyproject.toml"] if self.runtime is not None and self._depends_on_runtime else []
        return self._own_manifests + runtime

    @cached_property
    def _own_manifests(self) -> list[Path]:
        return [file for file in self._files() if file.name in MANIFESTS or file.suffix == ".csproj"]

    def _files(self) -> list[Path]:
        found: list[Path] = []
        for file in sorted(self.path.rglob("*")):
            relative = file.relative_to(self.path).parts
            if file.is_file() and not any(part in SKIPPED for part in relative[:-1]):
                found.append(file)
        return found

    @cached_property
    def _text(self) -> dict[Path, list[str]]:
        text: dict[Path, list[str]] = {}
        for file in [*self.sources, *self.manifests]:
            try:
                text[file] = file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                text[file] = []
        return text

    def grep(self, pattern: str, manifests: bool = False) -> list[Hit]:
        regex = re.compile(pattern)
        files = self.manifests if manifests else self.sources
        return [
            Hit(file, number, line.strip())
            for file in files
            for number, line in enumerate(self._text[file], start=1)
            if regex.search(line)
        ]

    def first(self, pattern: str, manifests: bool = False) -> Hit | None:
        hits = self.grep(pattern, manifests)
        return hits[0] if hits else None

    def first_in(self, file: Path, pattern: str) -> Hit | None:
        """The first line of `file` (a source already read) matching `pattern`."""
        regex = re.compile(pattern)
        for number, line in enumerate(self._text.get(file, []), start=1):
            if regex.search(line):
                return Hit(file, number, line.strip())
        return None

    def python_tuple(self, name: str) -> tuple[Hit, list[str]] | None:
        """The string items of a module-level `NAME = (...)` / `NAME: ... = (...)` in the Python sources."""
        for file in self.sources:
            if file.suffix != ".py" or name not in "\n".join(self._text[file]):
                continue
            try:
                tree = ast.parse("\n".join(self._text[file]))
            except SyntaxError:
                continue
            for node in tree.body:
                target, value = _assignment(node)
                if target == name and isinstance(value, ast.Tuple | ast.List):
                    items = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                    return Hit(file, node.lineno, name), items
        return None


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def route(path: str) -> str:
    """A string literal naming the HTTP route `path` in any language."""
    return rf"""["'`]{re.escape(path)}["'`]"""


# JSON log renderers of common stacks; the file must also be about logging.
JSON_LOG_RENDERER = (
    r"JSONRenderer|orjson\.dumps|json\.dumps|JsonFormatter|jsonlogger|NewJSONHandler|zap\.NewProduction|"
    r"\bpino\b|JsonLayout|LogstashEncoder|JsonEncoder|json_logger|JSON\.stringify"
)
LOGGING = r"structlog|logging|logger|\blog\b|slog|zap|pino|winston|logback|tracing_subscriber"
OTLP_DEPENDENCY = (
    r"opentelemetry-exporter-otlp|@opentelemetry/exporter-trace-otlp|go\.opentelemetry\.io/otel/exporters/otlp|"
    r"opentelemetry-otlp|opentelemetry-exporter-otlp|OpenTelemetry\.Exporter\.OpenTelemetryProtocol"
)
OTLP_SETUP = r"OTLPSpanExporter|OTLPTraceExporter|otlptracehttp|otlptracegrpc|OtlpHttpSpanExporter|AddOtlpExporter"
TRACER_PROVIDER = r"TracerProvider|NewTracerProvider|SdkTracerProvider|NodeTracerProvider"
