"""AuthSettings from the environment, and `partnergraph token`."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import pytest
from auth_support import DEV_SECRET, public_pem, rsa_private_key

from gateway.token_command import add_token_arguments, token_main
from policies.auth import AuthConfigError, AuthSettings, JwtVerifier
from policies.principal import AuthMethod, Principal

AUTH_VARIABLES = (
    "PARTNERGRAPH_JWT_SECRET",
    "PARTNERGRAPH_JWT_PUBLIC_KEYS",
    "PARTNERGRAPH_JWKS_URL",
    "PARTNERGRAPH_JWT_ISSUER",
    "PARTNERGRAPH_JWT_AUDIENCE",
    "PARTNERGRAPH_JWT_LEEWAY",
    "PARTNERGRAPH_SUBGRAPH_SECRET",
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in AUTH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARTNERGRAPH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_with_nothing_configured_a_dev_secret_is_generated_once_and_kept(data_dir: Path) -> None:
    first = AuthSettings.from_env()
    again = AuthSettings.from_env()
    assert first.development and first.jwt_secret_generated
    assert first.jwt_secret == again.jwt_secret and len(first.jwt_secret or b"") >= 32
    assert first.subgraph_secret == again.subgraph_secret != first.jwt_secret
    secret_file = data_dir / "jwt-dev-secret"
    assert secret_file.read_bytes() == first.jwt_secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".")] == []


def test_configured_keys_mean_no_dev_secret(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTNERGRAPH_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("PARTNERGRAPH_SUBGRAPH_SECRET", "s" * 40)
    settings = AuthSettings.from_env()
    assert settings.jwt_secret is None and not settings.development
    assert settings.subgraph_secret == b"s" * 40 and not settings.subgraph_secret_generated
    assert not (data_dir / "jwt-dev-secret").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PARTNERGRAPH_JWT_SECRET", "short"),
        ("PARTNERGRAPH_SUBGRAPH_SECRET", "short"),
        ("PARTNERGRAPH_JWKS_URL", "file:///etc/passwd"),
        ("PARTNERGRAPH_JWT_LEEWAY", "soon"),
        ("PARTNERGRAPH_JWT_LEEWAY", "-1"),
    ],
)
def test_bad_configuration_is_refused_at_start(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(AuthConfigError, match=name):
        AuthSettings.from_env()


def run_token_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="partnergraph token")
    add_token_arguments(parser)
    return token_main(parser.parse_args(argv))


async def test_token_command_mints_a_token_the_gateway_accepts(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_token_command(
        "--partner", "P-R01", "--partner-kind", "RESELLER", "--role", "partner_sales",
        "--role", "partner_admin", "--region", "NA", "--tier", "GOLD", "--ttl", "15m",
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    token = out.out.strip()
    verifier = JwtVerifier.from_settings(AuthSettings.from_env())  # a restart: same secret
    assert await verifier.verify(token) == Principal(
        subject="dev:P-R01",
        partner_id="P-R01",
        partner_kind="RESELLER",
        tier="GOLD",
        regions=("NA",),
        roles=("partner_sales", "partner_admin"),
        auth_method=AuthMethod.JWT,
    )
    assert "P-R01" in out.err


async def test_token_command_uses_the_configured_issuer_and_audience(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PARTNERGRAPH_JWT_SECRET", DEV_SECRET.decode())
    monkeypatch.setenv("PARTNERGRAPH_JWT_ISSUER", "dev-idp")
    monkeypatch.setenv("PARTNERGRAPH_JWT_AUDIENCE", "partnergraph")
    assert run_token_command("--role", "vendor_admin") == 0
    token = capsys.readouterr().out.strip()
    principal = await JwtVerifier.from_settings(AuthSettings.from_env()).verify(token)
    assert principal.subject == "dev:vendor_admin" and principal.roles == ("vendor_admin",)


def test_token_command_is_refused_without_the_dev_secret(
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "idp.pem").write_bytes(public_pem(rsa_private_key()))
    monkeypatch.setenv("PARTNERGRAPH_JWT_PUBLIC_KEYS", str(tmp_path / "idp.pem"))
    assert run_token_command("--partner", "P-R01", "--role", "partner_sales") == 1
    out = capsys.readouterr()
    assert out.out == "" and "refused" in out.err
    assert not (data_dir / "jwt-dev-secret").exists()


@pytest.mark.parametrize(
    "argv",
    [(), ("--partner", "P R01"), ("--role", "admin", "--region", "N/A; drop")],
)
def test_token_command_refuses_bad_arguments(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    assert run_token_command(*argv) == 2
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("ttl", ["0", "31d", "soon", "-5m"])
def test_token_command_refuses_a_bad_ttl(data_dir: Path, ttl: str) -> None:
    with pytest.raises(SystemExit):
        run_token_command("--role", "admin", "--ttl", ttl)
    assert not os.path.exists(data_dir / "jwt-dev-secret")
