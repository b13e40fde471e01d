# mypy: ignore-errors
"""Run inside checkov's own tool environment (not imported by groundwork): checkov's command line, with four
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


def main():
    descriptor, record_path = tempfile.mkstemp(prefix="checkov-unreadable-", suffix=".txt")
    os.close(descriptor)
    speed_up(record_path)
    from checkov.main import Checkov  # imports checkov.logging_init, which sets the root logger to DEBUG

    logging.getLogger().setLevel(logging.WARNING)
    arguments = sys.argv[1:]
    if arguments[:1] == [STDIN_FLAG]:
        line = sys.stdin.readline()
        if not line.strip():
            os.unlink(record_path)
            return 0  # nothing to judge after all
        arguments = [*arguments[1:], *json.loads(line)]
        sys.argv = [sys.argv[0], *arguments]  # checkov also reads its config file's path from sys.argv
    with warnings.catch_warnings():  # as checkov's own console script
        warnings.simplefilter("ignore", category=SyntaxWarning)
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
