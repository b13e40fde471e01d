# The set-up commands from README.md: `make up` (the main job), `make test` (the whole suite, what CI runs) and
# `make test-fast` (the inner loop, under 2 minutes).
.PHONY: up down test test-fast tools

# ENV=sandbox (the default) needs no Docker: a real control plane with kwok nodes, Argo CD as host processes.
# ENV=kind needs Docker, kind and the Pulumi CLI; ENV=eks an AWS account.
ENV ?= sandbox

up: tools
	uv run groundwork doctor --env $(ENV)
	uv run groundwork up --env $(ENV)

down:
	uv run groundwork down --env $(ENV)

# Two pytest-xdist workers (the machine has 2 cores). --dist loadgroup with one group per file
# (tests/conftest.py) keeps a file's tests, and so its module and session fixtures, on one worker, and puts the
# sandbox files on one worker together. Tests bind free loopback ports and render into their own temporary
# folders; shared caches (~/.cache/groundwork) are written atomically or under a lock.
PYTEST_PARALLEL = -n 2 --dist loadgroup

test: tools
	uv run pytest $(PYTEST_PARALLEL)

# The inner loop: the command line, bad inputs, the catalog, the GitOps tree and the deploy flow, without the
# tests marked slow (project renders that install dependencies, whole-gate runs), sandbox or e2e.
FAST_TESTS = tests/test_cli.py tests/test_cli_surface.py tests/test_bad_inputs.py tests/test_one_place.py \
	tests/test_registry.py tests/test_render_answers.py tests/catalog tests/gitops tests/deploy_flow

test-fast:
	uv run pytest $(PYTEST_PARALLEL) -m "not slow and not e2e" $(FAST_TESTS)

tools:
	./scripts/install-tools
