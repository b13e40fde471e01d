# The two set-up commands from README.md: `make up` (the main job) and `make test` (the tests).
.PHONY: up down test tools

# ENV=sandbox (the default) needs no Docker: a real control plane with kwok nodes, Argo CD as host processes.
# ENV=kind needs Docker, kind and the Pulumi CLI; ENV=eks an AWS account.
ENV ?= sandbox

up: tools
	uv run groundwork doctor --env $(ENV)
	uv run groundwork up --env $(ENV)

down:
	uv run groundwork down --env $(ENV)

test: tools
	uv run pytest

tools:
	./scripts/install-tools
