"""Auth configuration from the environment, with a persisted development secret.

| variable | meaning |
| --- | --- |
| `PARTNERGRAPH_JWT_SECRET` | HS256 secret (development), at least 32 bytes |
| `PARTNERGRAPH_JWT_PUBLIC_KEYS` | path of a PEM file with the IdP's public keys (RS/PS/ES/EdDSA) |
| `PARTNERGRAPH_JWKS_URL` | the IdP's JWKS URL (keys fetched asynchronously, cached) |
| `PARTNERGRAPH_JWT_ISSUER` | required `iss`, when set |
| `PARTNERGRAPH_JWT_AUDIENCE` | required `aud`, when set |
| `PARTNERGRAPH_JWT_LEEWAY` | clock skew allowed on `exp`/`nbf`, seconds (default 30) |
| `PARTNERGRAPH_SUBGRAPH_SECRET` | HMAC secret shared by the gateway and its subgraphs |
| `PARTNERGRAPH_DATA_DIR` | where generated secrets are kept (default `./.partnergraph`) |

With no JWT key configured at all, a development HS256 secret is generated once and kept in
the data dir, so dev tokens survive restarts; likewise the subgraph secret. A production
gateway configures public keys or a JWKS URL and no HS256 secret: then no token can be
minted locally (`partnergraph token` refuses).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from policies.auth.errors import AuthConfigError

MIN_SECRET_BYTES = 32
DEV_JWT_SECRET_FILE = "jwt-dev-secret"
SUBGRAPH_SECRET_FILE = "subgraph-secret"


@dataclass(frozen=True)
class AuthSettings:
    jwt_secret: bytes | None
    subgraph_secret: bytes
    public_keys_path: Path | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    leeway: float = 30.0
    jwt_secret_generated: bool = False
    subgraph_secret_generated: bool = False

    @property
    def development(self) -> bool:
        """True when HS256 tokens are accepted, so `partnergraph token` may mint them."""
        return self.jwt_secret is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings:
        """Read the settings; generates and persists missing secrets (start-up only: the
        data dir is read and written synchronously)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("PARTNERGRAPH_DATA_DIR") or ".partnergraph").resolve()
        public_keys = env.get("PARTNERGRAPH_JWT_PUBLIC_KEYS") or None
        jwks_url = env.get("PARTNERGRAPH_JWKS_URL") or None
        if jwks_url is not None and not jwks_url.startswith(("https://", "http://")):
            raise AuthConfigError(f"PARTNERGRAPH_JWKS_URL must be an http(s) URL, not {jwks_url!r}")
        jwt_secret = _secret_from_env(env, "PARTNERGRAPH_JWT_SECRET")
        jwt_generated = False
        if jwt_secret is None and public_keys is None and jwks_url is None:
            jwt_secret = load_or_create_secret(data_dir / DEV_JWT_SECRET_FILE)
            jwt_generated = True
        subgraph_secret = _secret_from_env(env, "PARTNERGRAPH_SUBGRAPH_SECRET")
        subgraph_generated = subgraph_secret is None
        if subgraph_secret is None:
            subgraph_secret = load_or_create_secret(data_dir / SUBGRAPH_SECRET_FILE)
        return cls(
            jwt_secret=jwt_secret,
            subgraph_secret=subgraph_secret,
            public_keys_path=Path(public_keys) if public_keys else None,
            jwks_url=jwks_url,
            issuer=env.get("PARTNERGRAPH_JWT_ISSUER") or None,
            audience=env.get("PARTNERGRAPH_JWT_AUDIENCE") or None,
            leeway=_seconds(env, "PARTNERGRAPH_JWT_LEEWAY", 30.0),
            jwt_secret_generated=jwt_generated,
            subgraph_secret_generated=subgraph_generated,
        )

    def __str__(self) -> str:
        sources = []
        if self.jwt_secret is not None:
            origin = "generated, in the data dir" if self.jwt_secret_generated else "configured"
            sources.append(f"HS256 development secret ({origin})")
        if self.public_keys_path is not None:
            sources.append(f"public keys from {self.public_keys_path}")
        if self.jwks_url is not None:
            sources.append(f"JWKS from {self.jwks_url}")
        checks = [f"iss={self.issuer}" if self.issuer else "any iss"]
        checks.append(f"aud={self.audience}" if self.audience else "any aud")
        subgraph = "generated" if self.subgraph_secret_generated else "configured"
        return (
            f"JWT: {', '.join(sources)}; {', '.join(checks)}; leeway {self.leeway:g}s; "
            f"subgraph secret: {subgraph}"
        )


def _secret_from_env(env: Mapping[str, str], name: str) -> bytes | None:
    value = env.get(name)
    if not value:
        return None
    secret = value.encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise AuthConfigError(
            f"{name} is too short ({len(secret)} bytes); use at least {MIN_SECRET_BYTES} "
            "random bytes, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return secret


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise AuthConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 <= seconds <= 300:
        raise AuthConfigError(f"{name} must be between 0 and 300 seconds, not {value!r}")
    return seconds


def load_or_create_secret(path: Path) -> bytes:
    """The secret kept in `path`, created (owner-only) if missing.

    Written to a temporary file and hard-linked into place, so concurrent starters (the
    gateway and its subgraphs) end up with the same secret: the first link wins, the others
    read it.
    """
    try:
        secret = path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(secrets.token_urlsafe(48).encode())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
        secret = path.read_bytes().strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise AuthConfigError(
            f"the secret in {path} is too short ({len(secret)} bytes); delete the file to "
            "generate a new one"
        )
    return secret
