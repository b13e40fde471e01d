"""The sandbox's certificates, made with the `openssl` command (no Python crypto dependency).

One CA signs the API server's serving certificate (for 127.0.0.1, localhost and the in-cluster names) and
one admin client certificate in `system:masters`, which the controllers, kwok, Argo CD and Pulumi use through
the one kubeconfig. A separate RSA key signs service-account tokens.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from groundwork.errors import ActionFailed, ToolMissing

DAYS = "30"


@dataclass(frozen=True)
class Pki:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.folder / "apiserver.crt"

    @property
    def server_key(self) -> Path:
        return self.folder / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.folder / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.folder / "admin.key"

    @property
    def sa_key(self) -> Path:
        return self.folder / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.folder / "sa.pub"

    def ensure(self) -> None:
        """Create whatever is missing (a restart keeps the existing certificates)."""
        if shutil.which("openssl") is None:
            raise ToolMissing("openssl is not installed", "apt-get install openssl")
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.ca_cert.is_file():
            _openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                self.ca_key,
                "-out",
                self.ca_cert,
                "-days",
                DAYS,
                "-subj",
                "/CN=groundwork-sandbox-ca",
            )
        if not self.server_cert.is_file():
            extensions = self.folder / "apiserver.ext"
            extensions.write_text(
                "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n"
                "extendedKeyUsage=serverAuth\n",
                encoding="utf-8",
            )
            self._signed(self.server_key, self.server_cert, "/CN=kube-apiserver", extensions)
        if not self.admin_cert.is_file():
            extensions = self.folder / "admin.ext"
            extensions.write_text("extendedKeyUsage=clientAuth\n", encoding="utf-8")
            self._signed(self.admin_key, self.admin_cert, "/O=system:masters/CN=groundwork-admin", extensions)
        if not self.sa_key.is_file():
            _openssl("genrsa", "-out", self.sa_key, "2048")
            _openssl("rsa", "-in", self.sa_key, "-pubout", "-out", self.sa_pub)
        for path in self.folder.iterdir():
            path.chmod(0o600)

    def _signed(self, key: Path, cert: Path, subject: str, extensions: Path) -> None:
        request = key.with_suffix(".csr")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", subject)
        _openssl(
            "x509",
            "-req",
            "-in",
            request,
            "-CA",
            self.ca_cert,
            "-CAkey",
            self.ca_key,
            "-CAcreateserial",
            "-out",
            cert,
            "-days",
            DAYS,
            "-extfile",
            extensions,
        )


def _openssl(*args: object) -> None:
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise ActionFailed(f"openssl {args[0]} failed: {last}", "check the openssl installation")
