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

# Two pytest-xdist workers (the machine has 2 cores). --dist loadfile keeps a file's tests, and so its module and
# session fixtures, on one worker (one file runs the sandbox: tests/sandbox/test_sandbox_e2e.py). Tests bind free
# loopback ports and render into their own temporary folders; shared caches (~/.cache/groundwork) are written
# atomically or under a lock.
PYTEST_PARALLEL = -n 2 --dist loadfile

# On a new machine the sandbox's engines build in the background while the suite runs (its sandbox tests run
# last and wait for that build); `make up` builds them in the foreground.
test:
	GROUNDWORK_SANDBOX_BUILD=background ./scripts/install-tools
	uv run pytest $(PYTEST_PARALLEL)

# The inner loop, under 2 minutes: the command line's surface, the one-place rules, the catalog, the GitOps tree's
# bootstrap and the deploy flow (promote, pr-comment, previews, dora, workflows), without the tests marked slow or
# e2e. What renders whole templates (bad inputs of `new`, answers, the gitops equivalence, catalog descriptors of
# rendered entries) is left to `make test`.
FAST_TESTS = tests/test_cli_surface.py tests/test_one_place.py tests/test_registry.py tests/catalog \
	tests/gitops/test_bootstrap_*.py tests/deploy_flow --ignore=tests/catalog/test_deploy_descriptor.py

test-fast:
	uv run pytest $(PYTEST_PARALLEL) -m "not slow and not e2e" $(FAST_TESTS)

tools:
	./scripts/install-tools
