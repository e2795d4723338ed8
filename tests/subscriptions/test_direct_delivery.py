"""Live events sent straight from the fan-out loop (`Subscriber.sink`), and the eager start
that makes it cheap: order, dedupe and the slow-consumer bound hold as on the queued path."""

from __future__ import annotations

import asyncio

import pytest

from gateway.subscriptions.eager import start_eagerly
from gateway.subscriptions.subscriber import Delivery, EndCode, Ended, Subscriber
from policies.principal import ANONYMOUS


async def test_a_coroutine_that_need_not_wait_runs_to_its_end_at_once() -> None:
    done: list[str] = []

    async def send() -> None:
        done.append("sent")

    assert start_eagerly(send()) is None
    assert done == ["sent"]


async def test_a_coroutine_that_waits_is_finished_by_a_task() -> None:
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def send() -> None:
        steps.append("started")
        steps.append(await gate)

    task = start_eagerly(send())
    assert steps == ["started"] and task is not None and not task.done()
    gate.set_result("resumed with the value")
    await task
    assert steps == ["started", "resumed with the value"]


async def test_errors_reach_the_caller_at_once_or_through_the_task() -> None:
    async def fails_now() -> None:
        raise ConnectionError("gone")

    with pytest.raises(ConnectionError):
        start_eagerly(fails_now())

    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def fails_later() -> None:
        await gate
        raise ConnectionError("gone later")

    task = start_eagerly(fails_later())
    assert task is not None
    gate.set_result(None)
    with pytest.raises(ConnectionError, match="gone later"):
        await task


async def test_cancelling_the_task_reaches_the_coroutine() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def send() -> None:
        try:
            await gate
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = start_eagerly(send())
    assert task is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]


class Socket:
    """A socket sink whose buffer is full while `full` is set (its sends then wait)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.full: asyncio.Event | None = None

    def send(self, delivery: Delivery) -> asyncio.Task[None] | None:
        return start_eagerly(self._write(delivery.event_id))

    async def _write(self, event_id: str) -> None:
        if self.full is not None:
            await self.full.wait()
        self.sent.append(event_id)


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
    socket.full = asyncio.Event()  # the client stops reading
    subscriber.offer(delivery(2))  # its send waits for room
    subscriber.offer(delivery(3))  # queued behind it
    subscriber.offer(delivery(4))  # queued
    subscriber.offer(delivery(5))  # the queue is full: the subscriber ends
    assert subscriber.ended is not None and subscriber.ended.code == EndCode.SLOW_CONSUMER
    assert socket.sent == ["1-0"]
    socket.full.set()  # the client reads again
    third = await waiting
    assert socket.sent == ["1-0", "2-0"]  # the waiting send finished before the queue moved
    assert isinstance(third, Delivery) and third.event_id == "3-0"
    socket.sent.append(third.event_id)
    rest = [await anext(items), await anext(items)]
    assert isinstance(rest[0], Delivery) and rest[0].event_id == "4-0"
    assert isinstance(rest[1], Ended) and rest[1].code == EndCode.SLOW_CONSUMER


async def test_once_the_queue_drains_the_sink_is_used_again() -> None:
    socket = Socket()
    subscriber = Subscriber(None, ANONYMOUS, max_queue=10, sink=socket)
    items = subscriber.deliveries()
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    socket.full = asyncio.Event()
    subscriber.offer(delivery(1))  # waits for room
    subscriber.offer(delivery(2))  # queued
    socket.full.set()
    second = await waiting
    assert isinstance(second, Delivery) and second.event_id == "2-0"
    socket.sent.append(second.event_id)
    waiting = asyncio.ensure_future(anext(items))  # the transport sent it, asks again
    await asyncio.sleep(0)
    subscriber.offer(delivery(3))
    assert socket.sent == ["1-0", "2-0", "3-0"] and not waiting.done()
    waiting.cancel()


async def test_a_client_gone_mid_send_falls_back_to_the_queue_which_reports_it() -> None:
    class Gone(Socket):
        def send(self, delivery: Delivery) -> asyncio.Task[None] | None:
            raise ConnectionResetError("client gone")

    subscriber = Subscriber(None, ANONYMOUS, max_queue=10, sink=Gone())
    items = subscriber.deliveries()
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    subscriber.offer(delivery(1))
    item = await waiting  # the transport's own send will meet the closed socket
    assert isinstance(item, Delivery) and item.event_id == "1-0"
    assert subscriber.sink is None
