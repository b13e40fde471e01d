# The two set-up commands from README.md: `make up` (the main job) and `make test` (the tests).
.PHONY: up test tools

up: tools
	uv run groundwork check

test: tools
	uv run pytest

tools:
	./scripts/install-tools
