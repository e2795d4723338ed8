"""Subscriptions meet authentication: credentials from the `connection_init` payload, a
refused credential closes the socket, and an expired token ends the subscription with
CREDENTIALS_EXPIRED."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from subscription_harness import (
    Subgraphs,
    append,
    deal_event,
    policies,
    reseller,
    served_gateway,
    wait_for,
)
from ws_client import WsClient

from gateway.gateway import Gateway
from policies.auth import Authenticator, JwtVerifier
from policies.auth.jwt import mint_token
from policies.auth.keys import hmac_key
from resolvers.memory_stream import MemoryEventStream

SECRET = b"a-subscription-test-secret-of-32-bytes!!"
DEALS = "subscription { dealChanged { id partner { id } } }"
GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)


def authenticator() -> Authenticator:
    return Authenticator(JwtVerifier(keys=[hmac_key(SECRET)], leeway=0))


@pytest.fixture
async def r01_deal(subgraphs: Subgraphs) -> str:
    from gateway.enforcement import UNRESTRICTED
    from gateway.supergraph import Supergraph

    gateway = Gateway(Supergraph.from_sdl(subgraphs.supergraph_sdl), policies=UNRESTRICTED)
    try:
        response = await gateway.execute(
            '{ deals(filter: {partnerId: "P-R01"}, first: 1) { items { id } } }'
        )
    finally:
        await gateway.aclose()
    deal_id: str = response["data"]["deals"]["items"][0]["id"]
    return deal_id


async def test_a_token_in_connection_init_is_the_subscriber_and_its_expiry_ends_it(
    subgraphs: Subgraphs, r01_deal: str
) -> None:
    events = MemoryEventStream(maxlen=100)
    token = mint_token(reseller("P-R01"), SECRET, ttl=2)
    options: dict[str, Any] = {
        "authenticator": authenticator(),
        "policies": policies(notes_visible=True, version=1),
    }
    async with served_gateway(subgraphs, events, **options) as served:
        service = served.gateway.subscriptions
        assert service is not None
        params = {"Authorization": f"Bearer {token}"}
        async with WsClient(served.ws_url, connection_params=params) as client:
            operation = await client.subscribe(DEALS)
            await wait_for(lambda: service.subscriber_count == 1, "subscribed")
            appended = await append(events, deal_event(r01_deal, "P-R01"))
            event = await client.receive()
            async with asyncio.timeout(GUARD):
                ended = await client.receive()  # when the token expires, with no event
                complete = await client.receive()
    assert event["payload"]["extensions"] == {"eventId": appended}
    assert event["payload"]["data"] == {"dealChanged": {"id": r01_deal, "partner": {"id": "P-R01"}}}
    assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["CREDENTIALS_EXPIRED"]
    assert complete == {"id": operation, "type": "complete"}


async def test_a_refused_credential_closes_the_connection(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=100)
    forged = mint_token(reseller("P-R01"), b"another-secret-that-is-32-bytes-long!!", ttl=600)
    async with served_gateway(subgraphs, events, authenticator=authenticator()) as served:
        client = WsClient(served.ws_url, connection_params={"Authorization": f"Bearer {forged}"})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with client:
                pass
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
