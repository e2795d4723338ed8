"""JWT verification: round trips with HS256, RS256, ES256; every bad token refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from auth_support import (
    DEV_SECRET,
    ec_private_key,
    hand_made_token,
    public_pem,
    rsa_private_key,
)
from cryptography.hazmat.primitives import serialization

from policies.auth import AuthConfigError, AuthError, AuthReason, AuthSettings, JwtVerifier
from policies.auth.keys import hmac_key, load_pem_keys
from policies.principal import AuthMethod, Principal

RESELLER = Principal(
    subject="user-7",
    partner_id="P-R01",
    partner_kind="RESELLER",
    tier="PLATINUM",
    regions=("NA", "EMEA"),
    roles=("partner_sales",),
    auth_method=AuthMethod.JWT,
)
CLAIMS = {
    "sub": "user-7",
    "partner_id": "P-R01",
    "partner_kind": "RESELLER",
    "tier": "PLATINUM",
    "regions": ["NA", "EMEA"],
    "roles": ["partner_sales"],
}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    merged = {**CLAIMS, "iat": now, "exp": now + 600, "iss": "idp", "aud": "partnergraph"}
    merged.update(changes)
    return {key: value for key, value in merged.items() if value is not None}


def hs_verifier(**options: Any) -> JwtVerifier:
    return JwtVerifier(
        keys=[hmac_key(DEV_SECRET)], issuer="idp", audience="partnergraph", **options
    )


async def refused(verifier: JwtVerifier, token: str) -> AuthReason | None:
    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.code == "UNAUTHENTICATED"
    assert caught.value.http_status == 401
    assert caught.value.extensions["code"] == "UNAUTHENTICATED"
    return caught.value.reason


async def test_hs256_round_trip_gives_the_principal_of_the_claims() -> None:
    token = jwt.encode(claims(), DEV_SECRET, algorithm="HS256")
    assert await hs_verifier().verify(token) == RESELLER


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, AuthReason.TOKEN_EXPIRED),
        ({"nbf": int(time.time()) + 3600}, AuthReason.TOKEN_NOT_YET_VALID),
        ({"aud": "someone-else"}, AuthReason.WRONG_AUDIENCE),
        ({"iss": "evil-idp"}, AuthReason.WRONG_ISSUER),
        ({"exp": None}, AuthReason.MISSING_CLAIM),
        ({"iss": None}, AuthReason.MISSING_CLAIM),
        ({"aud": None}, AuthReason.MISSING_CLAIM),
        ({"sub": None}, AuthReason.MISSING_CLAIM),
        ({"partner_kind": "EMPEROR"}, AuthReason.BAD_CLAIM),
        ({"roles": "admin"}, AuthReason.BAD_CLAIM),
        ({"regions": ["NA", 7]}, AuthReason.BAD_CLAIM),
    ],
)
async def test_a_token_with_bad_claims_is_refused(
    changes: dict[str, Any], reason: AuthReason
) -> None:
    token = jwt.encode(claims(**changes), DEV_SECRET, algorithm="HS256")
    assert await refused(hs_verifier(), token) == reason


async def test_leeway_accepts_small_clock_skew_only() -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 5), DEV_SECRET, algorithm="HS256")
    assert await hs_verifier(leeway=60).verify(token) == RESELLER
    assert await refused(hs_verifier(leeway=0), token) == AuthReason.TOKEN_EXPIRED


async def test_a_tampered_token_is_refused() -> None:
    header, _payload, signature = jwt.encode(claims(), DEV_SECRET, algorithm="HS256").split(".")
    other = jwt.encode(claims(partner_id="P-R02"), DEV_SECRET, algorithm="HS256").split(".")[1]
    assert await refused(hs_verifier(), f"{header}.{other}.{signature}") == (
        AuthReason.BAD_SIGNATURE
    )


async def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = jwt.encode(claims(), b"x" * 40, algorithm="HS256")
    assert await refused(hs_verifier(), token) == AuthReason.BAD_SIGNATURE


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_is_refused(alg: str) -> None:
    token = hand_made_token({"alg": alg, "typ": "JWT"}, claims(), None)
    assert await refused(hs_verifier(), token) == AuthReason.ALGORITHM_NOT_ALLOWED


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 9000, "Bearer x.y.z"])
async def test_garbage_is_refused_as_malformed(token: str) -> None:
    assert await refused(hs_verifier(), token) == AuthReason.TOKEN_MALFORMED


def rsa_verifier(tmp_path: Path, *, with_dev_secret: bool) -> tuple[JwtVerifier, Any, bytes]:
    private = rsa_private_key()
    pem = public_pem(private)
    (tmp_path / "keys.pem").write_bytes(pem)
    env = {
        "PARTNERGRAPH_DATA_DIR": str(tmp_path / "data"),
        "PARTNERGRAPH_JWT_PUBLIC_KEYS": str(tmp_path / "keys.pem"),
        "PARTNERGRAPH_JWT_ISSUER": "idp",
        "PARTNERGRAPH_JWT_AUDIENCE": "partnergraph",
    }
    if with_dev_secret:
        env["PARTNERGRAPH_JWT_SECRET"] = DEV_SECRET.decode()
    settings = AuthSettings.from_env(env)
    assert settings.development is with_dev_secret
    return JwtVerifier.from_settings(settings), private, pem


async def test_rs256_round_trip_with_a_configured_public_key(tmp_path: Path) -> None:
    verifier, private, _pem = rsa_verifier(tmp_path, with_dev_secret=False)
    token = jwt.encode(claims(), private, algorithm="RS256", headers={"kid": "idp-1"})
    assert await verifier.verify(token) == RESELLER
    assert verifier.algorithms >= {"RS256", "PS256"} and "HS256" not in verifier.algorithms
    other = jwt.encode(claims(), rsa_private_key(), algorithm="RS256")
    assert await refused(verifier, other) == AuthReason.BAD_SIGNATURE


@pytest.mark.parametrize("with_dev_secret", [False, True])
async def test_hs256_signed_with_the_rsa_public_key_is_refused(
    tmp_path: Path, with_dev_secret: bool
) -> None:
    """Algorithm confusion: the public key is public, so an HMAC made with it proves
    nothing. The RSA key verifies only RS*/PS*; HS256 is checked against the HS secret
    alone (when there is one)."""
    verifier, _private, pem = rsa_verifier(tmp_path, with_dev_secret=with_dev_secret)
    for key_bytes in (pem, pem.strip()):
        token = hand_made_token({"alg": "HS256", "typ": "JWT"}, claims(), key_bytes)
        expected = AuthReason.BAD_SIGNATURE if with_dev_secret else AuthReason.ALGORITHM_NOT_ALLOWED
        assert await refused(verifier, token) == expected


async def test_es256_round_trip_and_a_key_accepts_only_its_curves_algorithm(
    tmp_path: Path,
) -> None:
    private = ec_private_key()
    (tmp_path / "ec.pem").write_bytes(public_pem(private))
    verifier = JwtVerifier(keys=load_pem_keys(tmp_path / "ec.pem"))
    token = jwt.encode(claims(aud=None, iss=None), private, algorithm="ES256")
    assert await verifier.verify(token) == RESELLER
    assert verifier.algorithms == {"ES256"}
    rsa_token = jwt.encode(claims(), rsa_private_key(), algorithm="RS256")
    assert await refused(verifier, rsa_token) == AuthReason.ALGORITHM_NOT_ALLOWED


async def test_several_keys_in_one_pem_file_all_verify(tmp_path: Path) -> None:
    first, second = rsa_private_key(), ec_private_key()
    (tmp_path / "keys.pem").write_bytes(public_pem(first) + public_pem(second))
    verifier = JwtVerifier(keys=load_pem_keys(tmp_path / "keys.pem"))
    for private, alg in ((first, "RS256"), (second, "ES256")):
        assert await verifier.verify(jwt.encode(claims(), private, algorithm=alg)) == RESELLER


def test_a_pem_file_with_a_private_key_or_nothing_usable_stops_the_start(tmp_path: Path) -> None:
    private_pem = rsa_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "private.pem").write_bytes(private_pem)
    (tmp_path / "empty.pem").write_text("not a key\n")
    for name in ("private.pem", "empty.pem", "missing.pem"):
        with pytest.raises(AuthConfigError):
            load_pem_keys(tmp_path / name)
