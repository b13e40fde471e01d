"""PostgreSQL from Debian's packages (`apt-get install postgresql`), as a throwaway cluster on loopback.

initdb and the server refuse to run as root, so as root the harness runs them as Debian's `postgres` user
(created by the package) through `runuser`; as anyone else, as that user. Clients connect over TCP on
127.0.0.1 with a password (scram-sha-256), exactly as a service in a cluster would; the harness itself
administers through the Unix socket in the cluster's private directory. Durability settings are relaxed
(fsync off): a test cluster is thrown away.
"""

from __future__ import annotations

import atexit
import glob
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from servers.process import ServerUnavailable, free_port, private_directory

SERVER_USER = "postgres"  # Debian's postgresql package creates it
INSTALL_HINT = "install PostgreSQL with `apt-get install postgresql` (scripts/install-tools does it)"
_TEST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200")


def postgres_bin_dir() -> Path:
    """The newest Debian PostgreSQL's bin directory (/usr/lib/postgresql/<major>/bin), or initdb's on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ServerUnavailable(f"PostgreSQL's initdb is not installed: {INSTALL_HINT}")


@dataclass(frozen=True)
class Database:
    """One service's own database and role on the test server."""

    name: str
    role: str
    password: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy asyncpg URL a service is configured with."""
        return f"postgresql+asyncpg://{self.role}:{self.password}@{self.host}:{self.port}/{self.name}"

    @property
    def dsn(self) -> str:
        """The libpq DSN (psql, asyncpg)."""
        return f"postgresql://{self.role}:{self.password}@{self.host}:{self.port}/{self.name}"


class PostgresServer:
    """initdb, start, create databases, stop. Use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self.bin_dir = postgres_bin_dir()
        self.as_user = SERVER_USER if os.geteuid() == 0 else None
        self.port = free_port()
        self.host = "127.0.0.1"
        self.root: Path | None = None

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "the server was never started"
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "the server was never started"
        return self.root / "server.log"

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", self.as_user, "--", *command] if self.as_user else command

    def _run(self, tool: str, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            self._command(tool, *args), input=stdin, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise ServerUnavailable(f"{tool} {' '.join(args)} failed: {result.stderr.strip() or result.stdout}")
        return result.stdout

    def start(self) -> Self:
        if self.root is None:
            atexit.register(self.destroy)  # even when the session dies before its teardown
            self.root = private_directory("postgres", self.as_user)
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
        options = f"-p {self.port} -k {self.root} -c listen_addresses={self.host} " + " ".join(
            f"-c {setting}" for setting in _TEST_SETTINGS
        )
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-o", options, "-w", "-t", "90", "start"
        )
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed). The data stays for start()."""
        if self.root is not None and (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        """Stop and delete everything."""
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket; the rows as psql's unaligned output."""
        assert self.root is not None, "the server was never started"
        return self._run(
            "psql",
            "-h",
            str(self.root),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-X",
            "-q",
            "-At",
            "-c",
            statement,
        )

    def create_database(self, name: str) -> Database:
        """A database owned by a role of the same name with a random password: database per service."""
        password = secrets.token_hex(16)
        self.sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
        self.sql(f'CREATE DATABASE "{name}" OWNER "{name}"')
        self.sql(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        return Database(name=name, role=name, password=password, host=self.host, port=self.port)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.destroy()
