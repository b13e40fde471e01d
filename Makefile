# The two set-up commands from README.md: `make up` (the main job) and `make test` (the tests).
.PHONY: up test tools

up: tools
	uv run groundwork doctor --env kind
	uv run groundwork up --env kind

test: tools
	uv run pytest

tools:
	./scripts/install-tools
