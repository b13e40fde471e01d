# mypy: ignore-errors
"""Run inside checkov's own tool environment (not imported by groundwork): checkov's command line, with five
changes to how fast it works and none to what it decides.

Usage (from the folder the config's relative paths start at):
    uvx --from checkov==<version> python checkov_run.py <checkov arguments>
    uvx --from checkov==<version> python checkov_run.py --arguments-on-stdin <checkov arguments>
The second form imports checkov (seconds) first, then reads more arguments as one JSON list on one line of
stdin (an empty line or none: exit 0 without judging): the gate starts it before the files it judges exist.

1. Kubernetes JSON files (all the gate writes) are parsed with libyaml. checkov reads JSON manifests with
   PyYAML's pure-Python `SafeLoader` plus a hook that records each mapping's first and last line; that is most
   of its time on rendered manifests (a Grafana dashboard in a ConfigMap is tens of kB of one quoted string).
   The same hook on PyYAML's `CSafeLoader` builds the same objects with the same line numbers, about ten times
   faster (tests/check/test_checkov_run.py compares both on rendered documents).
2. The allowlist match (`RunnerFilter.check_matches`, fnmatch of every check id against every pattern, run
   for every check on every resource) is remembered per (check id, patterns): it is a pure function of them.
3. The root logger stays at WARNING: checkov sets it to DEBUG and formats every debug record into an in-memory
   log that only `--support` uploads.
4. The label-selector edges of its resource graph are found through an index instead of by comparing every
   resource with every other (quadratic: seconds at a few thousand documents): the resources that have a
   selector are filed under their selector's first label, and a resource only meets those filed under one
   of its own labels. The same edges, in the same order (tests/check/test_checkov_run.py compares both).

5. The gate's own run (a configuration for the Kubernetes framework alone, one directory, JSON out) goes to
   checkov's Kubernetes runner directly, with the runner filter, report and exit code checkov's command line
   makes of the same configuration without an API key (`gate_run`); anything else goes to the command line.
   Its command line imports every framework's runner, the platform integrations and every Terraform check
   (`checkov.terraform`'s package `__init__`, which the Kubernetes graph solvers reach through one enum):
   about 2.4 CPU-seconds, against 1 for the Kubernetes runner alone with that `__init__` deferred
   (`defer_terraform`; run, in place, if the command line is needed after all). This is most of a one-app
   run's checkov time (tests/check/test_checkov_run.py compares both with checkov on the policy fixtures).

And one to what it reports: a JSON file its loader cannot read is skipped by checkov without a word (not even
in its summary's `parsing_errors`); here it is named on stderr and the exit code is 2, so the gate fails
instead of passing a file nobody judged.

If checkov's code no longer has the shape these rely on, it runs unchanged (slower, same verdicts).
"""

import functools
import json
import logging
import os
import sys
import tempfile
import warnings

UNREADABLE_EXIT = 2
STDIN_FLAG = "--arguments-on-stdin"


def _libyaml_line_loader():
    """checkov's SafeLineLoader on libyaml, or None when this PyYAML has no libyaml."""
    import yaml
    from checkov.common.util.consts import END_LINE, START_LINE

    if not hasattr(yaml, "CSafeLoader"):
        return None

    class CSafeLineLoader(yaml.CSafeLoader):
        def construct_mapping(self, node, deep=False):
            mapping = super().construct_mapping(node, deep=deep)
            mapping[START_LINE] = node.start_mark.line + 1  # as checkov's own hook: lines count from 1
            mapping[END_LINE] = node.end_mark.line + 1
            return mapping

    return CSafeLineLoader


def speed_up(unreadable_record=None):
    """Apply the four changes (each only when checkov still has what it replaces); with `unreadable_record`
    (a file path), also write the name of every JSON file checkov's loader raises on into it, one per line
    (a file, since checkov parses in forked workers)."""
    from checkov.kubernetes.parser import k8_json

    loader = _libyaml_line_loader()
    if loader is not None and isinstance(getattr(k8_json, "SafeLineLoader", None), type):
        k8_json.SafeLineLoader = loader  # the gate hands checkov JSON files only

    load = getattr(k8_json, "load", None)
    if load is not None and unreadable_record is not None:

        def load_or_record(filename, *args, **kwargs):
            try:
                return load(filename, *args, **kwargs)
            except Exception:
                with open(unreadable_record, "a", encoding="utf-8") as record:
                    record.write(f"{filename}\n")
                raise

        k8_json.load = load_or_record

    from checkov.runner_filter import RunnerFilter

    original = getattr(RunnerFilter, "check_matches", None)
    if original is not None:

        @functools.cache
        def matches(check_id, bc_check_id, patterns):
            return original(check_id, bc_check_id, list(patterns))

        RunnerFilter.check_matches = staticmethod(
            lambda check_id, bc_check_id, pattern_list: matches(check_id, bc_check_id, tuple(pattern_list))
        )

    _index_label_selectors()


def indexed_find_connections(original):
    """LabelSelectorEdgeBuilder.find_connections through an index of the selectors, built once per vertex list;
    falls back to `original` for a label value that cannot be a dictionary key."""
    index = {}

    def selectors(vertices):
        key = (id(vertices), len(vertices))
        if index.get("key") != key or index.get("vertices") is not vertices:
            filed = {}
            for position, candidate in enumerate(vertices):
                if not candidate.metadata:
                    continue
                match_labels = candidate.metadata.selector.match_labels
                if match_labels:
                    first = next(iter(match_labels.items()))
                    filed.setdefault(first, []).append((position, candidate, match_labels))
            index.update(key=key, vertices=vertices, filed=filed)
        return index["filed"]

    def find_connections(vertex, vertices):
        if not vertex.metadata:
            return []
        labels = vertex.metadata.labels
        try:
            filed = selectors(vertices)
            found = [entry for pair in labels.items() for entry in filed.get(pair, ())]
        except TypeError:  # an unhashable label value somewhere: checkov's own way
            index.clear()
            return original(vertex, vertices)
        connections = []
        for position, candidate, match_labels in sorted(found, key=lambda entry: entry[0]):
            if candidate.id == vertex.id or len(match_labels) > len(labels):
                continue
            if all(k in labels and match_labels[k] == labels[k] for k in match_labels):
                connections.append(position)
        return connections

    return find_connections


def _index_label_selectors():
    try:
        from checkov.kubernetes.graph_builder.graph_components.edge_builders.LabelSelectorEdgeBuilder import (
            LabelSelectorEdgeBuilder,
        )
    except ImportError:
        return
    original = LabelSelectorEdgeBuilder.__dict__.get("find_connections")
    if isinstance(original, staticmethod):
        LabelSelectorEdgeBuilder.find_connections = staticmethod(indexed_find_connections(original.__func__))


# What the gate asks for, and the configuration keys `gate_run` reads the way checkov's command line does.
GATE_FLAGS = {"--quiet", "--skip-download", "--compact"}
GATE_OPTIONS = {"--config-file", "--directory", "-d", "--output", "-o"}
GATE_CONFIG_KEYS = {
    "framework",
    "external-checks-dir",
    "check",
    "skip-check",
    "skip-download",
    "skip-results-upload",
    "output",
    "compact",
    "quiet",
    "summary-position",
}


def _names(value):
    """A configuration value as checkov's command line reads it: a list of names (or None when absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError(value)


def gate_settings(arguments):
    """The settings of a run `gate_run` can do as checkov's command line would, from checkov `arguments`; None
    when they ask for anything else (another framework, another output, a key it does not read, ...)."""
    import yaml

    options, rest = {}, list(arguments)
    while rest:
        flag = rest.pop(0)
        if flag in GATE_FLAGS:
            options[flag] = True
        elif flag in GATE_OPTIONS and rest and flag not in options:
            options[{"-d": "--directory", "-o": "--output"}.get(flag, flag)] = rest.pop(0)
        else:
            return None
    if "--config-file" not in options or "--directory" not in options:
        return None
    try:
        with open(options["--config-file"], encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
        if not isinstance(config, dict) or set(config) - GATE_CONFIG_KEYS:
            return None
        outputs = {options.get("--output"), *(_names(config.get("output")) or [None])} - {None}
        settings = {
            "directory": options["--directory"],
            "checks": _names(config.get("check")),
            "skip_checks": _names(config.get("skip-check")),
            "external": _names(config.get("external-checks-dir")),
            "quiet": bool(options.get("--quiet") or config.get("quiet") is True),
            "compact": bool(options.get("--compact") or config.get("compact") is True),
        }
    except (OSError, yaml.YAMLError, ValueError):
        return None
    if _names(config.get("framework")) != ["kubernetes"] or outputs != {"json"}:
        return None
    return settings


def gate_run(settings):
    """checkov's Kubernetes runner over `settings["directory"]` (see `gate_settings`), printing what checkov's
    command line prints for it with JSON output (its report, `--quiet` and `compact` applied) and returning its
    exit code: 0, or 1 when a check failed."""
    from checkov.common.util.json_utils import CustomJSONEncoder
    from checkov.kubernetes.runner import Runner
    from checkov.runner_filter import RunnerFilter

    # As checkov's command line builds it from the same configuration, without an API key: no platform policy
    # ids, suppressions or cloned checks to add; include_all_checkov_policies is its flag's default (False).
    runner_filter = RunnerFilter(
        framework=["kubernetes"],
        checks=settings["checks"],
        skip_checks=settings["skip_checks"],
        include_all_checkov_policies=False,
        download_external_modules=False,
        evaluate_variables=True,
        excluded_paths=[],
        show_progress_bar=not settings["quiet"],
    )
    if not os.path.exists(settings["directory"]):
        print(f"Directory {settings['directory']} does not exist", file=sys.stderr)
        return UNREADABLE_EXIT
    report = Runner().run(settings["directory"], external_checks_dir=settings["external"], runner_filter=runner_filter)
    if isinstance(report, list):  # one report per check type; the Kubernetes runner makes one
        (report,) = report
    if getattr(report, "error_status", 0):
        print(f"checkov's Kubernetes runner ended with error status {report.error_status}", file=sys.stderr)
        return UNREADABLE_EXIT
    output = report.get_dict(is_quiet=settings["quiet"])
    if settings["compact"]:
        for results in output.get("results", {}).values():
            for result in results:
                if isinstance(result, dict):
                    result["code_block"] = None
                    result["connected_node"] = None
    print(json.dumps(output, indent=4, cls=CustomJSONEncoder))
    return 1 if report.failed_checks else 0


def defer_terraform():
    """Register `checkov.terraform` without running its `__init__` (which imports every Terraform check, about
    0.5 CPU-seconds) and return a function that runs it, in place, as its import would have."""
    import importlib.util

    import checkov

    if "checkov.terraform" in sys.modules:
        return lambda: None
    folder = os.path.join(os.path.dirname(checkov.__file__), "terraform")
    spec = importlib.util.spec_from_file_location(
        "checkov.terraform", os.path.join(folder, "__init__.py"), submodule_search_locations=[folder]
    )
    if spec is None or spec.loader is None:
        return lambda: None
    module = importlib.util.module_from_spec(spec)
    sys.modules["checkov.terraform"] = module
    checkov.terraform = module
    done = []

    def complete():
        if not done:
            done.append(True)
            spec.loader.exec_module(module)

    return complete


def main():
    descriptor, record_path = tempfile.mkstemp(prefix="checkov-unreadable-", suffix=".txt")
    os.close(descriptor)
    complete_terraform = defer_terraform()
    speed_up(record_path)
    import checkov.logging_init  # noqa: F401  (sets the root logger to DEBUG, as checkov.main's import does)
    from checkov.kubernetes.runner import Runner  # noqa: F401  (imported ahead: the seconds a run waits for)

    logging.getLogger().setLevel(logging.WARNING)
    arguments = sys.argv[1:]
    if arguments[:1] == [STDIN_FLAG]:
        line = sys.stdin.readline()
        if not line.strip():
            os.unlink(record_path)
            return 0  # nothing to judge after all
        arguments = [*arguments[1:], *json.loads(line)]
        sys.argv = [sys.argv[0], *arguments]  # checkov also reads its config file's path from sys.argv
    settings = gate_settings(arguments)
    with warnings.catch_warnings():  # as checkov's own console script
        warnings.simplefilter("ignore", category=SyntaxWarning)
        if settings is not None:
            code = gate_run(settings)
        else:
            complete_terraform()
            from checkov.main import Checkov

            logging.getLogger().setLevel(logging.WARNING)
            code = Checkov(argv=arguments).run()
    with open(record_path, encoding="utf-8") as record:
        unreadable = record.read().splitlines()
    os.unlink(record_path)
    if unreadable:
        print(f"checkov could not read {len(unreadable)} file(s): {', '.join(sorted(unreadable))}", file=sys.stderr)
        return UNREADABLE_EXIT
    return code


if __name__ == "__main__":
    sys.exit(main())
