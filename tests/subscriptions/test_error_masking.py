"""Subscription events follow the same rule as queries for subgraph errors: a restricted
subscriber gets the generic error, a subscriber whose view shows everything the original.

The partners subgraph is replaced by a stub that fails every partner it is asked for with a
message and extensions quoting a secret; the deals subgraph is the real, seeded one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.types import ExecutionResult
from subscription_harness import (
    R01,
    Subgraphs,
    append,
    deal_event,
    deal_of,
    reseller,
    serve,
    served_gateway,
    stop,
    wait_for,
)

from gateway.config import GatewayConfig
from gateway.enforcement.subgraph_errors import MASKED_FIELD_MESSAGE
from gateway.subscriptions.service import SubscriptionService
from gateway.subscriptions.subscriber import EndCode
from policies.model import PolicySet, rules_from_dicts
from policies.principal import AuthMethod, Principal
from policies.yaml_io import load_rules
from resolvers.embedded_mongo import free_port
from resolvers.memory_stream import MemoryEventStream

QUERY = "subscription { dealChanged { id partner { id name } } }"
SECRET = "SECRET-MARGIN-0.31"
ADMIN = Principal(subject="root", roles=("admin",), auth_method=AuthMethod.JWT)
AUDITOR = Principal(subject="audit", roles=("auditor",), auth_method=AuthMethod.JWT)
AUDITOR_RULES = [
    {"id": f"auditor-{target}", "principals": {"roles": ["auditor"]}, "target": target}
    | {"effect": "allow"}
    for target in ("Subscription", "Deal", "Partner")
] + [
    {
        "id": "auditor-no-margin",
        "principals": {"roles": ["auditor"]},
        "target": "Deal.vendorMargin",
        "effect": "deny",
    }
]
DEMO_POLICIES = Path(__file__).resolve().parents[2] / "policies" / "demo_policies.yaml"
GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)


async def failing_partners(request: Request) -> Response:
    """Every `_entities` representation fails, with the secret in message and extensions."""
    body = orjson.loads(await request.body())
    representations = body.get("variables", {}).get("representations", [])
    errors = [
        {
            "message": f"partner {rep.get('id')} is locked: {SECRET}",
            "path": ["_entities", i, "name"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "detail": SECRET},
        }
        for i, rep in enumerate(representations)
    ]
    payload = {"data": {"_entities": [None] * len(representations)}, "errors": errors}
    return Response(orjson.dumps(payload), media_type="application/json")


async def first(results: AsyncGenerator[ExecutionResult, None]) -> ExecutionResult:
    async with asyncio.timeout(GUARD):
        return await anext(results)


def body(result: ExecutionResult) -> str:
    errors = [error.formatted for error in result.errors or ()]
    return orjson.dumps({"data": result.data, "errors": errors}).decode()


@contextlib.asynccontextmanager
async def failing_partners_gateway(
    subgraphs: Subgraphs, events: MemoryEventStream
) -> AsyncIterator[SubscriptionService]:
    """A gateway on the demo policies (plus the auditor's) whose partners subgraph is the
    failing stub; yields its subscription service."""
    port = free_port()
    app = Starlette(routes=[Route("/graphql", failing_partners, methods=["POST"])])
    stub = await serve(app, port)
    demo = load_rules(DEMO_POLICIES.read_text())
    policies = PolicySet(version=1, rules=(*demo, *rules_from_dicts(AUDITOR_RULES)))
    config = GatewayConfig(subgraph_urls={"partners": f"http://127.0.0.1:{port}/graphql"})
    try:
        async with served_gateway(subgraphs, events, policies=policies, config=config) as served:
            assert served.gateway.subscriptions is not None
            yield served.gateway.subscriptions
    finally:
        await stop(*stub)


async def test_a_restricted_subscriber_gets_masked_subgraph_errors_in_its_events(
    subgraphs: Subgraphs,
) -> None:
    own_deal = await deal_of(subgraphs, R01)
    events = MemoryEventStream(maxlen=100)
    async with failing_partners_gateway(subgraphs, events) as service:
        restricted = service.stream(QUERY, None, None, None, AUDITOR)
        admin = service.stream(QUERY, None, None, None, ADMIN)
        got_restricted = asyncio.ensure_future(first(restricted))
        got_admin = asyncio.ensure_future(first(admin))
        await wait_for(lambda: service.subscriber_count == 2, "both subscribed")
        await append(events, deal_event(own_deal, R01))
        restricted_event, admin_event = await got_restricted, await got_admin
        await restricted.aclose()
        await admin.aclose()
    partner_errors: list[dict[str, Any]] = [
        e.formatted for e in restricted_event.errors or () if e.formatted.get("path")
    ]
    assert partner_errors == [
        {
            "message": MASKED_FIELD_MESSAGE,
            "path": ["dealChanged", "partner", "name"],
            "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "partners"},
        }
    ]
    assert SECRET not in body(restricted_event)
    assert "locked" not in body(restricted_event)
    # The admin's view shows everything: the subgraph's own words.
    admin_errors = [e.formatted for e in admin_event.errors or ()]
    assert admin_errors[0]["message"] == f"partner {R01} is locked: {SECRET}"
    assert admin_errors[0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "detail": SECRET}


async def test_an_event_whose_record_cannot_be_read_skips_views_with_a_record_condition(
    subgraphs: Subgraphs,
) -> None:
    """The reseller may see only its own deals; the event is about its own deal, but the
    enrichment failed, so nothing shows it is: the reseller gets nothing (fail closed), not
    even that an event happened. The admin, who sees every deal, gets it."""
    own_deal = await deal_of(subgraphs, R01)
    events = MemoryEventStream(maxlen=100)
    async with failing_partners_gateway(subgraphs, events) as service:
        conditioned = service.stream(QUERY, None, None, None, reseller(R01))
        admin = service.stream(QUERY, None, None, None, ADMIN)
        got_conditioned = asyncio.ensure_future(first(conditioned))
        got_admin = asyncio.ensure_future(first(admin))
        await wait_for(lambda: service.subscriber_count == 2, "both subscribed")
        await append(events, deal_event(own_deal, R01))
        admin_event = await got_admin  # the event was fanned out to both
        for fanout in service.fanouts.values():
            fanout.end_all(EndCode.SHUTTING_DOWN, "test over")
        conditioned_first = await got_conditioned
        await conditioned.aclose()
        await admin.aclose()
    assert admin_event.data == {"dealChanged": None}
    assert conditioned_first.data is None
    assert [e.formatted["extensions"]["code"] for e in conditioned_first.errors or ()] == [
        "SHUTTING_DOWN"
    ]
