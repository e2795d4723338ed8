"""Live events written straight from the fan-out loop (`Subscriber.sink`): order, dedupe and
the slow-consumer bound hold as on the queued path."""

from __future__ import annotations

import asyncio

from gateway.subscriptions.subscriber import Delivery, EndCode, Ended, Subscriber
from policies.principal import ANONYMOUS


class Socket:
    """A socket sink that has no room while `full` (what the client then receives comes
    through the queued path, which the transport awaits: see `sent`)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.full = False

    def send(self, delivery: Delivery) -> bool:
        if self.full:
            return False
        self.sent.append(delivery.event_id)
        return True


def delivery(n: int) -> Delivery:
    return Delivery(f"{n}-0", {"data": {"n": n}, "extensions": {"eventId": f"{n}-0"}})


async def test_live_events_go_straight_to_the_sink_once_the_backfill_is_done() -> None:
    socket = Socket()
    subscriber = Subscriber(None, ANONYMOUS, max_queue=10, sink=socket)
    subscriber.offer(delivery(1))  # during the backfill: queued
    assert socket.sent == []
    items = subscriber.deliveries()
    first = await anext(items)  # the queued one, through the queue
    assert isinstance(first, Delivery) and first.event_id == "1-0"
    socket.sent.append(first.event_id)
    waiting = asyncio.ensure_future(anext(items))  # the transport asks for the next
    await asyncio.sleep(0)
    subscriber.offer(delivery(1))  # a repeat (backfill overlap): dropped
    subscriber.offer(delivery(2))
    subscriber.offer(delivery(3))
    assert socket.sent == ["1-0", "2-0", "3-0"]  # written from `offer`, no task hop
    assert not waiting.done()
    subscriber.end(EndCode.SHUTTING_DOWN, "bye")
    last = await waiting
    assert isinstance(last, Ended) and last.code == EndCode.SHUTTING_DOWN


async def test_a_full_socket_queues_what_follows_in_order_and_bounds_it() -> None:
    socket = Socket()
    subscriber = Subscriber(None, ANONYMOUS, max_queue=2, sink=socket)
    items = subscriber.deliveries()
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    subscriber.offer(delivery(1))
    socket.full = True  # the client stops reading
    subscriber.offer(delivery(2))  # no room: queued
    socket.full = False  # room again, but 2 is still queued: 3 must wait behind it
    subscriber.offer(delivery(3))
    subscriber.offer(delivery(4))  # the queue is full: the subscriber ends
    assert subscriber.ended is not None and subscriber.ended.code == EndCode.SLOW_CONSUMER
    assert socket.sent == ["1-0"]
    rest = [await waiting, await anext(items), await anext(items)]
    assert [r.event_id for r in rest[:2] if isinstance(r, Delivery)] == ["2-0", "3-0"]
    assert isinstance(rest[2], Ended) and rest[2].code == EndCode.SLOW_CONSUMER


async def test_once_the_queue_drains_the_sink_is_used_again() -> None:
    socket = Socket()
    subscriber = Subscriber(None, ANONYMOUS, max_queue=10, sink=socket)
    items = subscriber.deliveries()
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    socket.full = True
    subscriber.offer(delivery(1))  # queued
    socket.full = False
    first = await waiting  # handed to the transport, which is sending it
    assert isinstance(first, Delivery) and first.event_id == "1-0"
    subscriber.offer(delivery(2))  # must not overtake 1: queued
    assert socket.sent == []
    second = await anext(items)  # the transport sent 1 and asks again
    assert isinstance(second, Delivery) and second.event_id == "2-0"
    waiting = asyncio.ensure_future(anext(items))  # sent 2, asks again: queue empty
    await asyncio.sleep(0)
    subscriber.offer(delivery(3))
    assert socket.sent == ["3-0"] and not waiting.done()
    waiting.cancel()


async def test_a_client_gone_mid_send_falls_back_to_the_queue_which_reports_it() -> None:
    class Gone(Socket):
        def send(self, delivery: Delivery) -> bool:
            raise ConnectionResetError("client gone")

    subscriber = Subscriber(None, ANONYMOUS, max_queue=10, sink=Gone())
    items = subscriber.deliveries()
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    subscriber.offer(delivery(1))
    item = await waiting  # the transport's own send will meet the closed socket
    assert isinstance(item, Delivery) and item.event_id == "1-0"
    assert subscriber.sink is None
