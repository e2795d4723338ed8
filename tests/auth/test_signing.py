"""Signed gateway-to-subgraph calls through `RequireGatewaySignature` on a served app."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from auth_support import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from policies.principal import ANONYMOUS, AuthMethod, Principal
from policies.signing import (
    PRINCIPAL_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RequireGatewaySignature,
    SignatureError,
    SignatureReason,
    decode_principal,
    encode_principal,
    sign,
    signed_principal,
    verify,
)

SECRET = b"subgraph-secret-shared-with-the-gateway!"
RESELLER = Principal(
    subject="user-7",
    partner_id="P-R01",
    partner_kind="RESELLER",
    tier="GOLD",
    regions=("NA",),
    roles=("partner_sales",),
    auth_method=AuthMethod.JWT,
)
BODY = orjson.dumps({"query": "mutation { advanceDeal(id: 1) { id } }", "variables": {}})


async def echo(request: Request) -> JSONResponse:
    """Answers with the verified principal and the body it received."""
    principal = signed_principal(request)
    return JSONResponse({"principal": str(principal), "body": (await request.body()).decode()})


async def healthz(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def subgraph(clock_offset: float = 0.0) -> RequireGatewaySignature:
    app = Starlette(routes=[Route("/graphql", echo, methods=["POST"]), Route("/healthz", healthz)])
    return RequireGatewaySignature(
        app,
        SECRET,
        exempt_paths={"/healthz"},
        max_body_bytes=64 * 1024,
        clock=lambda: time.time() + clock_offset,
    )


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(subgraph()) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes = BODY
) -> httpx.Response:
    return await client.post("/graphql", content=body, headers=headers)


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and error["message"]
    return str(error["extensions"]["reason"])


async def test_a_signed_call_gets_through_with_its_principal_and_body(
    client: httpx.AsyncClient,
) -> None:
    for principal in (RESELLER, ANONYMOUS):
        response = await post(client, sign(BODY, principal, SECRET))
        assert response.status_code == 200
        assert response.json() == {"principal": str(principal), "body": BODY.decode()}


async def test_a_large_signed_body_arrives_whole(client: httpx.AsyncClient) -> None:
    body = orjson.dumps({"query": "{ x }", "variables": {"blob": "y" * 50_000}})
    response = await post(client, sign(body, RESELLER, SECRET), body)
    assert response.status_code == 200 and response.json()["body"] == body.decode()


async def test_unsigned_calls_get_401(client: httpx.AsyncClient) -> None:
    assert refusal(await post(client, {})) == "MISSING_SIGNATURE"
    assert refusal(await client.get("/graphql")) == "MISSING_SIGNATURE"
    for missing in (TIMESTAMP_HEADER, PRINCIPAL_HEADER, SIGNATURE_HEADER):
        headers = sign(BODY, RESELLER, SECRET)
        del headers[missing]
        assert refusal(await post(client, headers)) == "MISSING_SIGNATURE"


async def test_a_tampered_body_or_principal_gets_401(client: httpx.AsyncClient) -> None:
    headers = sign(BODY, RESELLER, SECRET)
    assert refusal(await post(client, headers, BODY.replace(b"1", b"2"))) == "BAD_SIGNATURE"
    admin = Principal(subject="user-7", roles=("vendor_admin",), auth_method=AuthMethod.JWT)
    forged = {**headers, PRINCIPAL_HEADER: encode_principal(admin)}
    assert refusal(await post(client, forged)) == "BAD_SIGNATURE"
    later = {**headers, TIMESTAMP_HEADER: str(int(headers[TIMESTAMP_HEADER]) + 1)}
    assert refusal(await post(client, later)) == "BAD_SIGNATURE"


async def test_a_call_signed_with_another_secret_gets_401(client: httpx.AsyncClient) -> None:
    headers = sign(BODY, RESELLER, b"another-secret-another-secret-another!!")
    assert refusal(await post(client, headers)) == "BAD_SIGNATURE"


@pytest.mark.parametrize(
    "signature", ["", "v1", "v2=00", "v1=", "v1=zz", "sha256=" + "0" * 64, "v1=" + "0" * 64]
)
async def test_malformed_or_wrong_signatures_get_401(
    client: httpx.AsyncClient, signature: str
) -> None:
    headers = {**sign(BODY, RESELLER, SECRET), SIGNATURE_HEADER: signature}
    assert refusal(await post(client, headers)) in {"MALFORMED_SIGNATURE", "BAD_SIGNATURE"}


@pytest.mark.parametrize("age", [61, 3600, -61])
async def test_a_stale_or_future_timestamp_gets_401(client: httpx.AsyncClient, age: int) -> None:
    headers = sign(BODY, RESELLER, SECRET, now=time.time() - age)
    assert refusal(await post(client, headers)) == "STALE_TIMESTAMP"


async def test_a_replay_outside_the_window_gets_401() -> None:
    """The same signed call, accepted now, is refused by a subgraph whose clock is past
    the 60 s window (the replay arriving later)."""
    headers = sign(BODY, RESELLER, SECRET)
    async with (
        serving(subgraph()) as now_url,
        serving(subgraph(clock_offset=61)) as later_url,
        httpx.AsyncClient() as http,
    ):
        first = await http.post(f"{now_url}/graphql", content=BODY, headers=headers)
        assert first.status_code == 200
        replay = await http.post(f"{later_url}/graphql", content=BODY, headers=headers)
        assert refusal(replay) == "STALE_TIMESTAMP"


async def test_exempt_paths_pass_unsigned_and_others_do_not(client: httpx.AsyncClient) -> None:
    healthy = await client.get("/healthz")
    assert healthy.status_code == 200 and healthy.text == "ok"
    assert refusal(await client.get("/healthz/")) == "MISSING_SIGNATURE"
    assert refusal(await client.get("/admin")) == "MISSING_SIGNATURE"


async def test_an_oversized_body_is_refused_before_the_app(client: httpx.AsyncClient) -> None:
    body = b"x" * (64 * 1024 + 1)
    response = await post(client, sign(body, RESELLER, SECRET), body)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


def test_the_principal_header_round_trips_and_rejects_garbage() -> None:
    for principal in (RESELLER, ANONYMOUS):
        assert decode_principal(encode_principal(principal)) == principal
    for garbage in ("", "!!!", "bnVsbA", "eyJtZXRob2QiOiJyb290In0", "W10"):
        with pytest.raises(ValueError):
            decode_principal(garbage)


def test_verify_needs_a_readable_principal_even_when_signed() -> None:
    """A correctly signed but unreadable principal (a gateway bug) is still refused."""
    timestamp, encoded = str(int(time.time())), "eyJtZXRob2QiOiJyb290In0"  # method "root"
    message = b"\n".join((b"v1", timestamp.encode(), encoded.encode(), BODY))
    mac = hmac.new(SECRET, message, hashlib.sha256).hexdigest()
    headers = {
        TIMESTAMP_HEADER: timestamp,
        PRINCIPAL_HEADER: encoded,
        SIGNATURE_HEADER: f"v1={mac}",
    }
    with pytest.raises(SignatureError) as caught:
        verify(BODY, headers, SECRET)
    assert caught.value.reason is SignatureReason.BAD_PRINCIPAL
    assert caught.value.to_graphql_error()["extensions"]["code"] == "UNAUTHENTICATED"


async def test_websockets_to_a_subgraph_are_refused(client: httpx.AsyncClient) -> None:
    url = str(client.base_url).replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, additional_headers=sign(b"", RESELLER, SECRET)):
            pass
    assert caught.value.response.status_code == 403
