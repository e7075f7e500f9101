"""The local CA: it stands in for the public CA behind ACM, for the names on the ACM certificates.

On AWS, an ACM certificate for `illustra-demo.example.com` and `*.illustra-demo.example.com` is signed by
Amazon's public CA, which every client trusts. Here one CA per environment (a key and a self-signed
certificate under `<state dir>/ca/`) signs a certificate with the same names, and clients trust it
explicitly (state["ca_bundle"]). The ALB's own DNS name is not on the certificate, as on AWS.

    bundle = ca.ensure(directory)                      # the CA, made once; its certificate's path
    pem = ca.issue(directory, ["api.example.com"])     # a leaf for these names: {"cert", "key", "pem"}
    names = ca.acm_names(acm_client, certificate_arn)  # DomainName + SubjectAlternativeNames
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "illustra.webstack data plane local CA"
# Leaf lifetime: long enough for the validation gate's "certificate days left" (prod wants 21).
LEAF_DAYS = 90


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def ensure(directory: Path) -> Path:
    """The CA of `directory` (made on first use); returns the path of its certificate (PEM)."""
    ca_dir = Path(directory) / "ca"
    cert_path, key_path = ca_dir / "ca.pem", ca_dir / "ca.key"
    if cert_path.exists() and key_path.exists():
        return cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue(directory: Path, names: list[str]) -> dict[str, Path]:
    """A leaf certificate for `names` (the first is the subject), signed by the CA of `directory`.

    Returns the paths {"cert", "key", "pem"}; "pem" holds certificate, CA and key together (HAProxy's
    `crt` format). The same names give the same files: they are reused while valid.
    """
    if not names:
        raise ValueError("a certificate needs at least one name")
    ca_cert_path = ensure(directory)
    ca_dir = Path(directory) / "ca"
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    base = Path(directory) / "certs" / digest
    paths = {"cert": base.with_suffix(".crt"), "key": base.with_suffix(".key"), "pem": base.with_suffix(".pem")}
    now = datetime.datetime.now(datetime.UTC)
    if all(p.exists() for p in paths.values()):
        current = x509.load_pem_x509_certificate(paths["cert"].read_bytes())
        if current.not_valid_after_utc - now > datetime.timedelta(days=LEAF_DAYS // 2):
            return paths
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    paths["cert"].parent.mkdir(parents=True, exist_ok=True)
    paths["cert"].write_bytes(cert_pem + ca_pem)
    _write_private(paths["key"], _key_pem(key))
    _write_private(paths["pem"], cert_pem + ca_pem + _key_pem(key))
    return paths


def acm_names(acm, certificate_arn: str) -> list[str]:
    """The names an ACM certificate covers: its DomainName first, then the other SANs."""
    cert = acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
    names = [cert["DomainName"]]
    names += [n for n in cert.get("SubjectAlternativeNames", []) if n not in names]
    return names
