"""Token verification keys, and the algorithms each one may verify.

The allowed algorithms come from the key's type, never from the token: an HMAC secret
verifies only HS256, an RSA public key only RS*/PS*, an EC key only the ES* of its curve.
So a token cannot pick how it is checked (`alg: none` matches no key; an HS256 token
"signed" with an RSA public key matches no HMAC key: algorithm confusion is impossible).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from policies.auth.errors import AuthConfigError

HMAC_ALGORITHMS = frozenset({"HS256"})
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS = {
    "secp256r1": frozenset({"ES256"}),
    "secp384r1": frozenset({"ES384"}),
    "secp521r1": frozenset({"ES512"}),
}
EDDSA_ALGORITHMS = frozenset({"EdDSA"})

PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One key a token may be signed with: the key, its id if known, what it verifies."""

    key: bytes | PublicKey
    kid: str | None
    algorithms: frozenset[str]

    def verifies(self, alg: str, kid: str | None) -> bool:
        """Whether a token with header `alg`/`kid` may be checked with this key. A key
        without an id (a configured secret or PEM key) matches any `kid`."""
        return alg in self.algorithms and (kid is None or self.kid is None or self.kid == kid)

    def __str__(self) -> str:
        kind = "HMAC secret" if isinstance(self.key, bytes) else type(self.key).__name__
        return f"{kind} kid={self.kid or '-'} ({', '.join(sorted(self.algorithms))})"


def algorithms_for_key(key: Any) -> frozenset[str]:
    """The algorithms `key` may verify; empty for a key that must not verify tokens
    (private keys, unknown curves)."""
    if isinstance(key, bytes):
        return HMAC_ALGORITHMS
    if isinstance(key, rsa.RSAPublicKey):
        return RSA_ALGORITHMS if key.key_size >= 2048 else frozenset()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return EC_ALGORITHMS.get(key.curve.name, frozenset())
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return EDDSA_ALGORITHMS
    return frozenset()


def hmac_key(secret: bytes) -> VerificationKey:
    return VerificationKey(secret, None, HMAC_ALGORITHMS)


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s.*?-----END \1-----", re.DOTALL)


def load_pem_keys(path: Path) -> list[VerificationKey]:
    """The public keys (or certificates) in a PEM file; start-up only (reads the file).

    Raises `AuthConfigError` for a missing file, a private key, or a key type that cannot
    verify tokens, so a misconfigured gateway does not start.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise AuthConfigError(f"cannot read the JWT public keys file {path}: {exc}") from exc
    keys = []
    for match in _PEM_BLOCK.finditer(text):
        label, block = match.group(1), match.group(0).encode()
        if "PRIVATE" in label:
            raise AuthConfigError(f"{path} holds a private key; give the gateway only public keys")
        try:
            if label == "CERTIFICATE":
                key: Any = x509.load_pem_x509_certificate(block).public_key()
            else:
                key = load_pem_public_key(block)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise AuthConfigError(f"{path}: a '{label}' block cannot be read: {exc}") from exc
        algorithms = algorithms_for_key(key)
        if not algorithms:
            raise AuthConfigError(
                f"{path}: a {type(key).__name__} cannot verify tokens (use RSA >= 2048 bits, "
                "EC P-256/P-384/P-521 or Ed25519/Ed448)"
            )
        keys.append(VerificationKey(key, None, algorithms))
    if not keys:
        raise AuthConfigError(f"{path} holds no PEM public key or certificate")
    return keys
