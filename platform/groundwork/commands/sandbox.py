"""`groundwork sandbox build|status`: the Docker-free sandbox's engines (`groundwork up --env sandbox` runs it)."""

import sys
from typing import Annotated

import typer

from groundwork.errors import ExitCode
from groundwork.paths import find_template_root

app = typer.Typer(help="The Docker-free sandbox: build its engines, show what runs.", no_args_is_help=True)


@app.command("build")
def build(
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Start the build and return at once; its output goes to a log in the cache. Whatever needs a "
            "tool (the sandbox tests, 'up --env sandbox') waits for that tool's build.",
        ),
    ] = False,
) -> None:
    """Build every pinned sandbox tool that is not cached yet (from its Go module; once per machine)."""
    from groundwork.sandbox.build import build_tools
    from groundwork.sandbox.toolchain import BUILD_LOG, Toolchain

    root = find_template_root()
    tools = Toolchain.for_repository(root)
    if background:
        import subprocess

        missing = tools.missing()
        if not missing:
            typer.echo("every sandbox tool is already built")
            return
        log = tools.root / BUILD_LOG
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "groundwork", "sandbox", "build"],
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        typer.echo(f"building {', '.join(missing)} in the background (pid {process.pid}); log: {log}")
        return
    built = build_tools(tools, typer.echo)
    typer.echo(f"built: {', '.join(built)}" if built else "every sandbox tool is already built")
    typer.echo(f"cache: {tools.root / 'bin'}")


@app.command("status")
def status() -> None:
    """List the sandbox's processes and whether each still runs."""
    from groundwork.sandbox.processes import Supervisor
    from groundwork.sandbox.up import SandboxPaths

    layout = SandboxPaths(find_template_root()).layout
    supervisor = Supervisor(layout.state)
    entries = supervisor.started()
    if not entries:
        typer.echo("the sandbox is not running (groundwork up --env sandbox)")
        raise typer.Exit(ExitCode.FAILED)
    for entry in entries:
        typer.echo(f"{entry.name:<34} pid {entry.pid:<8} {'running' if supervisor.alive(entry) else 'exited'}")
    typer.echo(f"kubeconfig: {layout.kubeconfig}")
