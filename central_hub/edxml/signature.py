"""XML signatures of edXML messages (XML-DSig, enveloped, as the platform's SDK writes them;
docs/edxml.md, "Signatures").

Incoming: :func:`verify` says whether a message's signature is ``verified`` (it verifies and
its certificate chains to one of the city's trusted certificates, ``EDXML_TRUST_STORE``),
``unverifiable`` (no trust store configured, the signature does not verify, or its certificate
is not trusted: the reason is kept) or ``absent``. A message is never refused for its
signature: the clerk sees the verdict on the document. Outgoing: :func:`sign` signs a message
when the city configured its certificate and key (``EDXML_SIGN_CERT``, ``EDXML_SIGN_KEY``).

The platform's own SDK signs with RSA-SHA1; verification therefore also accepts SHA-1, which
the library refuses by default. Signing always uses RSA-SHA256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from .message import DSIG, NS

VERIFIED, UNVERIFIABLE, ABSENT, SIGNED, UNSIGNED = (
    "verified",
    "unverifiable",
    "absent",
    "signed",
    "unsigned",
)
LABELS = {
    VERIFIED: "Chữ ký số hợp lệ",
    UNVERIFIABLE: "Không xác minh được chữ ký số",
    ABSENT: "Không có chữ ký số",
    SIGNED: "Đã ký số",
    UNSIGNED: "Không ký số",
}


@dataclass
class Verdict:
    """A signature's verdict: one of the statuses above, the signer's certificate subject
    when known, and why it could not be verified."""

    status: str
    subject: str | None = None
    reason: str | None = None


def _signature(root: Any) -> Any:
    envelope = root.find(f"{{{NS}}}edXMLEnvelope")
    scope = envelope if envelope is not None else root
    return next(scope.iter(f"{{{DSIG}}}Signature"), None)


def verify(root: Any, trust_store: str | Path | None) -> Verdict:
    """The verdict on ``root``'s signature against the PEM certificates in ``trust_store``."""
    if _signature(root) is None:
        return Verdict(ABSENT)
    if not trust_store:
        return Verdict(
            UNVERIFIABLE,
            reason="máy chủ chưa cấu hình kho chứng thư tin cậy (EDXML_TRUST_STORE)",
        )
    from signxml.algorithms import DigestAlgorithm, SignatureMethod
    from signxml.verifier import SignatureConfiguration, XMLVerifier  # heavy: when needed

    config = SignatureConfiguration(
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
    )
    from cryptography.x509.verification import ExtensionPolicy

    try:
        result = XMLVerifier().verify(
            etree.fromstring(etree.tostring(root)),
            ca_pem_file=str(trust_store),
            expect_config=config,
            # A signer's certificate is a document-signing one, not a web server's: the web
            # PKI's rules for the end entity (a DNS name, TLS usages) do not apply; its chain,
            # validity and the authorities' rules do.
            # (signxml's annotation says PolicyBuilder; its code takes, and checks for, these.)
            ee_policy=ExtensionPolicy.permit_all(),  # type: ignore[arg-type]
            ca_policy=ExtensionPolicy.webpki_defaults_ca(),  # type: ignore[arg-type]
        )
    except Exception as exc:  # noqa: BLE001 - any failure is the verdict, never a crash
        return Verdict(UNVERIFIABLE, reason=_reason(exc))
    del result
    return Verdict(VERIFIED, subject=_subject(root))


def _subject(root: Any) -> str | None:
    """The subject of the (first) certificate in the signature's KeyInfo: the one the chain
    was verified from."""
    import base64

    from cryptography import x509

    node = next(_signature(root).iter(f"{{{DSIG}}}X509Certificate"), None)
    if node is None or not node.text:
        return None
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(node.text.split())))
    except ValueError:
        return None
    return cert.subject.rfc4514_string()


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "certificate" in text.lower() or "chain" in text.lower():
        return f"chứng thư số của người ký không thuộc kho tin cậy hoặc không hợp lệ ({text[:200]})"
    return f"chữ ký số không khớp với nội dung thông điệp ({text[:200]})"


def load_signer(cert_path: str, key_path: str) -> tuple[bytes, bytes] | None:
    """The city's certificate and key (PEM bytes) when both are configured, else None; an
    unreadable file raises at once (the hub refuses to start misconfigured)."""
    if not cert_path or not key_path:
        return None
    return Path(cert_path).read_bytes(), Path(key_path).read_bytes()


def sign(root: Any, signer: tuple[bytes, bytes]) -> Any:
    """``root`` signed (enveloped, RSA-SHA256): the signature takes the place of the
    ``Signature`` placeholder the builder put in the header."""
    from signxml.algorithms import CanonicalizationMethod
    from signxml.signer import XMLSigner

    cert, key = signer
    return XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    ).sign(root, key=key, cert=cert.decode())
