"""A real Kafka broker in KRaft mode (one process, broker and controller), on the machine's Java 17.

Its jars come from Maven Central through Maven: `mvn dependency:copy-dependencies` on `pom.xml` beside this
file (where the version is pinned), cached under ~/.cache/groundwork/kafka/<pom hash>/ and resolved once.
The broker listens on a free loopback port; its data survives stop()/start(), so a test can take the broker
away and bring the same one back.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import signal
import subprocess
import uuid
from base64 import urlsafe_b64encode
from pathlib import Path
from types import TracebackType
from typing import Self

from filelock import FileLock

from servers.process import ServerUnavailable, cache_root, free_port, private_directory, wait_until

POM = Path(__file__).with_name("pom.xml")
INSTALL_HINT = "install Java 17 and Maven with `apt-get install openjdk-17-jre-headless maven` (scripts/install-tools)"
# Small and quick to start: the test broker holds a few topics of a few messages.
JVM_OPTIONS = ("-Xms192m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")
STARTED_LINE = "Kafka Server started"
STOP_TIMEOUT_SECONDS = 30.0

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
"""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServerUnavailable(f"`{name}` is not installed, so the test Kafka broker cannot run: {INSTALL_HINT}")
    return found


def kafka_jars() -> Path:
    """The directory holding the broker's jars, resolved through Maven on first use (once per pom version)."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    target = cache_root() / "kafka" / digest
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if (target / ".complete").exists():
            return target
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        command = [
            _tool("mvn"),
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        if result.returncode != 0:
            raise ServerUnavailable(f"Maven could not resolve the Kafka broker ({POM}):\n{result.stdout[-3000:]}")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        (target / ".complete").write_text(POM.read_text())
    return target


class KafkaBroker:
    """A single-node KRaft cluster: format once, then start/stop as often as a test needs."""

    def __init__(self) -> None:
        self.jars = kafka_jars()
        self.java = _tool("java")
        self.port = free_port()
        self.controller_port = free_port()
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "the broker was never started"
        return self.root / f"broker-{self._starts}.log"

    def _java(self, main: str, *args: str) -> list[str]:
        assert self.root is not None
        return [
            self.java,
            *JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={self.root / 'log4j2.properties'}",
            "-cp",
            f"{self.jars}/*",
            main,
            *args,
        ]

    def _configure(self) -> None:
        self.root = private_directory("kafka")
        (self.root / "log4j2.properties").write_text(_LOG4J2)
        properties = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.root / "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
        }
        (self.root / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        cluster_id = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(self.root / "server.properties"),
            ),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if result.returncode != 0:
            raise ServerUnavailable(f"formatting the Kafka storage failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> Self:
        if self.root is None:
            atexit.register(self.destroy)  # even when the session dies before its teardown
            self._configure()
        assert self.root is not None
        self._starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self._java("kafka.Kafka", str(self.root / "server.properties")),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = self.process
        log_path = self.log_path
        wait_until(
            lambda: STARTED_LINE in log_path.read_text(errors="replace"),
            lambda: process.poll() is None,
            "the Kafka broker",
            log_path,
        )
        return self

    def stop(self) -> None:
        """Controlled shutdown (SIGTERM), killed if it hangs. The data stays for start()."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def destroy(self) -> None:
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.destroy()
