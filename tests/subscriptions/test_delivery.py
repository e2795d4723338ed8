"""What each subscriber receives: its policy view at delivery time (records and fields),
its filter, a bounded queue, limits, clear errors for bad requests, and a reason when the
gateway ends a subscription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import Any

import pytest
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from subscription_harness import (
    Subgraphs,
    append,
    deal_event,
    policies,
    reseller,
    served_gateway,
    stock_event,
    wait_for,
)
from ws_client import WsClient

from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.subscriptions import SubscriptionLimits
from gateway.subscriptions.service import SubscriptionService
from gateway.supergraph import Supergraph
from policies.model import rules_from_dicts
from policies.principal import ANONYMOUS
from resolvers.memory_stream import MemoryEventStream

DEALS = "subscription { dealChanged { id amount notes partner { id } } }"
INVALID = "GRAPHQL_VALIDATION_FAILED"
GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)


class Consumer:
    """Reads one subscription's results into a queue, as a transport would."""

    def __init__(self, results: AsyncGenerator[ExecutionResult, None]) -> None:
        self.results = results
        self.queue: asyncio.Queue[ExecutionResult | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for result in self.results:
            await self.queue.put(result)
        await self.queue.put(None)

    async def next(self) -> ExecutionResult | None:
        async with asyncio.timeout(GUARD):
            return await self.queue.get()

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture
async def deal_owners(subgraphs: Subgraphs) -> dict[str, list[dict[str, Any]]]:
    """Seeded deals (id, stage) by partner id, read through an unrestricted gateway."""
    gateway = Gateway(Supergraph.from_sdl(subgraphs.supergraph_sdl), policies=UNRESTRICTED)
    try:
        response = await gateway.execute(
            "{ deals(first: 100) { items { id stage partner { id } } } }"
        )
    finally:
        await gateway.aclose()
    owners: dict[str, list[dict[str, Any]]] = {}
    for deal in response["data"]["deals"]["items"]:
        owners.setdefault(deal["partner"]["id"], []).append(deal)
    return owners


def service_of(gateway: Gateway) -> SubscriptionService:
    assert gateway.subscriptions is not None
    return gateway.subscriptions


def codes(result: ExecutionResult | None) -> list[str]:
    assert result is not None and result.errors
    return [error.formatted["extensions"]["code"] for error in result.errors]


async def test_each_subscriber_gets_its_own_records_and_fields_under_the_current_policy(
    subgraphs: Subgraphs, deal_owners: dict[str, list[dict[str, Any]]]
) -> None:
    events = MemoryEventStream(maxlen=100)
    r01_deal, r02_deal = deal_owners["P-R01"][0]["id"], deal_owners["P-R02"][0]["id"]
    async with served_gateway(
        subgraphs, events, policies=policies(notes_visible=False, version=1)
    ) as served:
        service = service_of(served.gateway)
        r01 = Consumer(service.stream(DEALS, None, None, None, reseller("P-R01")))
        r02 = Consumer(service.stream(DEALS, None, None, None, reseller("P-R02")))
        await wait_for(lambda: service.subscriber_count == 2, "both subscribed")
        first = await append(events, deal_event(r01_deal, "P-R01"))
        second = await append(events, deal_event(r02_deal, "P-R02"))
        got_r01, got_r02 = await r01.next(), await r02.next()
        # The policy changes: resellers may now see the notes, from the next event on.
        served.gateway.visibility.replace(policies(notes_visible=True, version=2))
        third = await append(events, deal_event(r01_deal, "P-R01"))
        after_change = await r01.next()
        await r01.close()
        await r02.close()
    assert got_r01 is not None and got_r02 is not None and after_change is not None
    assert got_r01.extensions == {"eventId": first}
    assert got_r01.data is not None
    deal = got_r01.data["dealChanged"]
    assert isinstance(deal["amount"], float)
    assert deal == {
        "id": r01_deal,
        "amount": deal["amount"],
        "notes": None,
        "partner": {"id": "P-R01"},
    }
    assert codes(got_r01) == ["FORBIDDEN"]
    # R02 never saw R01's deal: its first event is its own.
    assert got_r02.extensions == {"eventId": second}
    assert got_r02.data is not None and got_r02.data["dealChanged"]["id"] == r02_deal
    assert after_change.extensions == {"eventId": third}
    assert after_change.data is not None
    assert after_change.data["dealChanged"]["id"] == r01_deal
    assert not after_change.errors  # `notes` is no longer FORBIDDEN


async def test_subscribers_with_the_same_selection_and_view_share_one_enrichment(
    subgraphs: Subgraphs,
) -> None:
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        service = service_of(served.gateway)
        consumers = [Consumer(service.stream(DEALS, None, None, None, ANONYMOUS)) for _ in range(3)]
        await wait_for(lambda: service.subscriber_count == 3, "all subscribed")
        await append(events, deal_event("D-000001"))
        results = [await consumer.next() for consumer in consumers]
        for consumer in consumers:
            await consumer.close()
    assert results[0] is not None
    # One payload object, shared: enriched once for the group.
    assert all(r is not None and r.data is results[0].data for r in results)


async def test_filters_pick_events_by_the_record(
    subgraphs: Subgraphs, deal_owners: dict[str, list[dict[str, Any]]]
) -> None:
    deals = [deal for owned in deal_owners.values() for deal in owned]
    won = next(d["id"] for d in deals if d["stage"] == "WON")
    lost = next(d["id"] for d in deals if d["stage"] == "LOST")
    events = MemoryEventStream(maxlen=100)
    won_query = "subscription { dealChanged(filter: {stage: WON}) { id stage } }"
    emea_query = "subscription($f: InventoryChangedFilter) { inventoryChanged(filter: $f) { sku } }"
    async with served_gateway(subgraphs, events) as served:
        service = service_of(served.gateway)
        won_only = Consumer(service.stream(won_query, None, None, None, ANONYMOUS))
        emea = Consumer(
            service.stream(emea_query, {"f": {"region": "EMEA"}}, None, None, ANONYMOUS)
        )
        await wait_for(lambda: service.subscriber_count == 2, "both subscribed")
        await append(events, deal_event(lost))
        won_id = await append(events, deal_event(won))
        await append(events, stock_event("NW-SW-1008", "WH-NA"))
        emea_id = await append(events, stock_event("NW-SW-1008", "WH-EU"))
        won_result, emea_result = await won_only.next(), await emea.next()
        await won_only.close()
        await emea.close()
    assert won_result is not None and emea_result is not None
    assert won_result.extensions == {"eventId": won_id}
    assert won_result.data == {"dealChanged": {"id": won, "stage": "WON"}}
    assert emea_result.extensions == {"eventId": emea_id}


async def test_a_filter_on_a_field_the_subscriber_may_not_see_never_matches(
    subgraphs: Subgraphs, deal_owners: dict[str, list[dict[str, Any]]]
) -> None:
    """Which events arrive must not reveal a hidden value: with `Deal.stage` hidden, a
    stage filter matches nothing, while the same reseller unfiltered gets its events."""
    own = deal_owners["P-R01"][0]
    events = MemoryEventStream(maxlen=100)
    rules = policies(notes_visible=True, version=1)
    hidden_stage = replace(
        rules,
        rules=(
            *rules.rules,
            *rules_from_dicts(
                [
                    {
                        "id": "no-stage",
                        "principals": {"partnerKinds": ["RESELLER"]},
                        "target": "Deal.stage",
                        "effect": "deny",
                    }
                ]
            ),
        ),
    )
    by_stage = f"subscription {{ dealChanged(filter: {{stage: {own['stage']}}}) {{ id }} }}"
    unfiltered = "subscription { dealChanged { id } }"
    async with served_gateway(subgraphs, events, policies=hidden_stage) as served:
        service = service_of(served.gateway)
        guessing = Consumer(service.stream(by_stage, None, None, None, reseller("P-R01")))
        plain = Consumer(service.stream(unfiltered, None, None, None, reseller("P-R01")))
        await wait_for(lambda: service.subscriber_count == 2, "both subscribed")
        first = await append(events, deal_event(own["id"], "P-R01"))
        plain_result = await plain.next()
        # Once the policy shows the stage, the same filter matches from the next event on.
        served.gateway.visibility.replace(replace(rules, version=2))
        second = await append(events, deal_event(own["id"], "P-R01"))
        guessing_result = await guessing.next()
        await guessing.close()
        await plain.close()
    assert plain_result is not None and plain_result.extensions == {"eventId": first}
    assert guessing_result is not None and guessing_result.extensions == {"eventId": second}


async def test_a_slow_consumer_is_ended_with_a_reason_after_what_it_had(
    subgraphs: Subgraphs,
) -> None:
    events = MemoryEventStream(maxlen=100)
    limits = SubscriptionLimits(max_queue=3)
    async with served_gateway(subgraphs, events, subscription_limits=limits) as served:
        service = service_of(served.gateway)
        results = service.stream(DEALS, None, None, None, ANONYMOUS)
        first = asyncio.create_task(anext(results))
        await wait_for(lambda: service.subscriber_count == 1, "subscribed")
        ids = [await append(events, deal_event("D-000001", version=1))]
        received = [await first]  # the client reads one event, then stops reading
        ids += [await append(events, deal_event("D-000001", version=n)) for n in range(2, 7)]
        await wait_for(
            lambda: all(f.dispatched == 6 for f in service.fanouts.values()), "all fanned out"
        )
        async for result in results:  # the client reads again, too late
            received.append(result)
    delivered = [r.extensions["eventId"] for r in received if r.extensions]
    # One was read, three waited in the queue, the fifth overflowed it.
    assert delivered == ids[:4]
    assert codes(received[-1]) == ["SLOW_CONSUMER"]
    assert "lastEventId" in received[-1].errors[0].message  # type: ignore[index]


async def test_subscriptions_per_principal_are_limited(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=100)
    limits = SubscriptionLimits(max_per_principal=2)
    async with served_gateway(subgraphs, events, subscription_limits=limits) as served:
        service = service_of(served.gateway)
        open_ = [Consumer(service.stream(DEALS, None, None, None, reseller("P-R01"))) for _ in "ab"]
        await wait_for(lambda: service.subscriber_count == 2, "two subscribed")
        refused = await anext(service.stream(DEALS, None, None, None, reseller("P-R01")))
        other = Consumer(service.stream(DEALS, None, None, None, reseller("P-R02")))
        await wait_for(lambda: service.subscriber_count == 3, "another caller subscribed")
        for consumer in [*open_, other]:
            await consumer.close()
    assert isinstance(refused, PreExecutionError)
    assert codes(refused) == ["TOO_MANY_SUBSCRIPTIONS"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("subscription { dealChanged { nope } }", None, INVALID),
        ("subscription { dealChanged(filter: {stage: SOLD}) { id } }", None, INVALID),
        (
            "subscription($f: DealChangedFilter) { dealChanged(filter: $f) { id } }",
            {"f": {"stage": 7}},
            "BAD_USER_INPUT",
        ),
        ("subscription { dealChanged { id } inventoryChanged { sku } }", None, INVALID),
    ],
)
async def test_bad_subscriptions_get_a_coded_error_and_subscribe_nothing(
    subgraphs: Subgraphs, query: str, variables: dict[str, Any] | None, code: str
) -> None:
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        async with WsClient(served.ws_url) as client:
            operation = await client.subscribe(query, variables)
            message = await client.receive()
        assert service_of(served.gateway).subscriber_count == 0
    assert message["type"] == "error" and message["id"] == operation
    assert [e["extensions"]["code"] for e in message["payload"]] == [code]


async def test_shutdown_completes_every_subscription_with_a_reason(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        service = service_of(served.gateway)
        async with WsClient(served.ws_url) as client:
            operation = await client.subscribe(DEALS)
            await wait_for(lambda: service.subscriber_count == 1, "subscribed")
            appended = await append(events, deal_event("D-000001"))
            event = await client.receive()
            await service.aclose()
            last = await client.receive()
            complete = await client.receive()
            refused = await anext(service.stream(DEALS, None, None, None, ANONYMOUS))
    assert event["payload"]["extensions"] == {"eventId": appended}
    assert last["type"] == "next" and last["id"] == operation
    assert [e["extensions"]["code"] for e in last["payload"]["errors"]] == ["SHUTTING_DOWN"]
    assert complete == {"id": operation, "type": "complete"}
    assert codes(refused) == ["SHUTTING_DOWN"]


async def test_without_an_event_stream_there_is_no_subscription_type(
    subgraphs: Subgraphs,
) -> None:
    gateway = Gateway(Supergraph.from_sdl(subgraphs.supergraph_sdl), policies=UNRESTRICTED)
    try:
        assert gateway.subscriptions is None
        assert "type Subscription" not in gateway.schema.as_str()
        response = await gateway.execute("{ __schema { subscriptionType { name } } }")
    finally:
        await gateway.aclose()
    assert response["data"] == {"__schema": {"subscriptionType": None}}
