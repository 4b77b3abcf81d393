"""STARTTLS and implicit TLS with login, against aiosmtpd with a certificate made here."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.db.engine import Database
from monitor.db.models import Delivery
from monitor.digest.service import run_digest
from tests.digest.support import T0, Archive, hours, make_config, smtp_server

x509 = pytest.importorskip(
    "cryptography.x509", reason="TLS tests make a certificate with cryptography"
)

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: ``(cert.pem, key.pem)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*map(str, certificate))
    return ctx


def _seed(db: Database) -> None:
    with db.session() as s:
        Archive(s).item("Alpha News", "Encrypted delivery works")


# aiosmtpd cannot tell that an implicit-TLS connection is encrypted, so it warns about AUTH
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_login(
    security: str, certificate: tuple[Path, Path], sqlite_db: Database, tmp_path: Path
) -> None:
    _seed(sqlite_db)
    ctx = _server_context(certificate)
    with smtp_server(
        tls_context=ctx, implicit_tls=security == "tls", login=("digest", "s3cret")
    ) as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            smtp={
                "security": security,
                "ca_file": str(certificate[0]),
                "username": "digest",
                "password": "s3cret",
            },
        )
        out = run_digest(config, sqlite_db, "daily", "send", now=T0 + hours(1))
    assert out.status == "sent", out.error
    assert len(srv.handler.received) == 1


def test_wrong_password_is_permanent(
    certificate: tuple[Path, Path], sqlite_db: Database, tmp_path: Path
) -> None:
    _seed(sqlite_db)
    with smtp_server(tls_context=_server_context(certificate), login=("digest", "s3cret")) as srv:
        config = make_config(
            tmp_path,
            smtp_port=srv.port,
            smtp={
                "security": "starttls",
                "ca_file": str(certificate[0]),
                "username": "digest",
                "password": "nope",
            },
        )
        out = run_digest(config, sqlite_db, "daily", "send", now=T0 + hours(1))
    assert out.status == "failed"
    assert srv.handler.received == []
    with sqlite_db.session() as s:
        assert [(d.outcome, d.smtp_code) for d in s.scalars(select(Delivery))] == [
            ("permanent", 535)
        ]


def test_untrusted_certificate_is_refused(
    certificate: tuple[Path, Path], sqlite_db: Database, tmp_path: Path
) -> None:
    _seed(sqlite_db)
    with smtp_server(tls_context=_server_context(certificate)) as srv:
        config = make_config(tmp_path, smtp_port=srv.port, smtp={"security": "starttls"})
        out = run_digest(config, sqlite_db, "daily", "send", now=T0 + hours(1))
    assert out.status == "failed"
    assert "not trusted" in (out.error or "")
    assert srv.handler.received == []
