"""groundwork: a GitOps platform-engineering template and the CLI that drives it."""


def __getattr__(name: str) -> str:
    # `__version__` is read from the installed metadata only when asked: importlib.metadata costs start-up
    # time that `groundwork --help` and every command would pay for nothing.
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("groundwork")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0.0.0+unknown"
