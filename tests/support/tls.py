"""HTTPS for the tests: a certificate authority of the test's own and a server certificate it
signs (``cryptography``), and the real nginx running the repository's own configuration
(``deploy/nginx/``) as a child process with its own prefix, on free loopback ports."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.cluster import ROOT, free_port
from tests.support.waiting import wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY = ROOT / "deploy" / "nginx"


@dataclass(frozen=True)
class Pki:
    """The files of a test CA and of the server certificate it signed for 127.0.0.1 and
    localhost; ``spki`` is the server key's SHA-256 pin as Chromium takes it."""

    ca: Path
    cert: Path
    key: Path
    spki: str


def make_pki(folder: Path) -> Pki:
    """A CA and a server certificate signed by it, written in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA thử của thành phố Huế")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key", "")
    paths.ca.write_bytes(ca.public_bytes(pem))
    # The chain as a real server sends it: its own certificate, then the issuer's.
    paths.cert.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    paths.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    spki = base64.b64encode(hashlib.sha256(der).digest()).decode()
    return Pki(paths.ca, paths.cert, paths.key, spki)


class Nginx:
    """The real nginx in front of an app on ``upstream_port``, running ``deploy/nginx/<site>``
    with its listening ports, certificate paths, upstream and include replaced, as a
    non-daemon child with its own prefix in ``folder``. ``https_url`` and ``http_url`` are
    where it listens (127.0.0.1)."""

    def __init__(self, site: str, folder: Path, pki: Pki, upstream_port: int) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.https_port, self.http_port = free_port(), free_port()
        self.https_url = f"https://127.0.0.1:{self.https_port}"
        self.http_url = f"http://127.0.0.1:{self.http_port}"
        text = (DEPLOY / site).read_text(encoding="utf-8")
        default_upstream = "127.0.0.1:8700" if "8700" in text else "127.0.0.1:8800"
        for old, new in (
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen [::]:80;", ""),
            ("/etc/wardsync/nginx/proxy_params.conf", str(DEPLOY / "proxy_params.conf")),
            (f"server {default_upstream};", f"server 127.0.0.1:{upstream_port};"),
        ):
            assert old in text, f"{site} no longer has {old!r}: update tests/support/tls.py"
            text = text.replace(old, new)
        for name in ("hub", "ward"):
            text = text.replace(f"/etc/wardsync/tls/{name}.crt", str(pki.cert))
            text = text.replace(f"/etc/wardsync/tls/{name}.key", str(pki.key))
        (folder / site).write_text(text, encoding="utf-8")
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / temp).mkdir(exist_ok=True)
        user = pwd.getpwuid(os.getuid()).pw_name  # workers stay this user: they read the prefix
        (folder / "nginx.conf").write_text(
            f"""user {user};
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder / site};
}}
""",
            encoding="utf-8",
        )
        args = [NGINX, "-p", str(folder), "-e", str(folder / "error.log")]
        args += ["-c", str(folder / "nginx.conf")]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        with (folder / "stderr.log").open("ab") as stderr:
            self.proc = subprocess.Popen(
                [*args, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=stderr
            )
        wait_until(self._listening, 15, what=f"nginx on {self.https_port}")

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"nginx exited: {(self.folder / 'error.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop nginx (SIGQUIT: finish the requests it serves), or kill it if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
