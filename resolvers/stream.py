"""The event stream interface: an append-only log per entity type.

Two implementations share these semantics: `RedisEventStream` (Redis Streams) and
`MemoryEventStream` (in-process, used when no `REDIS_URL` is set):

- ids are Redis Stream ids (`<ms>-<seq>`), strictly increasing per stream;
- `append` is idempotent on the event's `outbox_id` (a retried relay never duplicates);
- retention is approximate `MAXLEN`: the oldest entries are trimmed;
- `read_after(stream, last_id)` returns entries with ids greater than `last_id`, in order,
  and raises `EventsExpired` when `last_id` is older than the oldest retained entry
  (so a resuming client knows it has missed something);
- `read_live` blocks until entries after `last_id` arrive (or the timeout passes).

An id given by a caller is parsed with `parse_id`: `<ms>-<seq>`, `<ms>` (meaning `<ms>-0`)
or `0`; anything else raises `InvalidEventId`. When the backend cannot be reached, methods
raise `StreamUnavailable`, so a caller (the relay, a stream reader) can back off and retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from resolvers.events import ChangeEvent


class EventsExpired(Exception):
    """The requested position is older than what the stream still retains."""

    code = "EVENTS_EXPIRED"


class InvalidEventId(ValueError):
    """A position that is not a stream id; a client sent a malformed last event id."""

    code = "BAD_USER_INPUT"


class StreamUnavailable(Exception):
    """The stream backend cannot be reached right now; nothing was appended or read."""

    code = "STREAM_UNAVAILABLE"


StreamId = tuple[int, int]

_ID = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?", re.ASCII)
_U64_MAX = 2**64 - 1


def parse_id(text: str) -> StreamId:
    """`"<ms>-<seq>"`, `"<ms>"` or `"0"` as a comparable `(ms, seq)` pair."""
    match = _ID.fullmatch(text)
    if match is None or max(int(match[1]), int(match[2] or 0)) > _U64_MAX:
        raise InvalidEventId(
            f"{text[:40]!r} is not an event id: expected '<milliseconds>-<sequence>', "
            "e.g. '1700000000000-0', or '0' to read from the start"
        )
    return int(match[1]), int(match[2] or 0)


def format_id(stream_id: StreamId) -> str:
    return f"{stream_id[0]}-{stream_id[1]}"


@dataclass(frozen=True, slots=True)
class StreamEntry:
    id: str
    event: ChangeEvent

    def __str__(self) -> str:
        return f"{self.id} {self.event}"


class EventStream(Protocol):
    async def append(self, stream: str, event: ChangeEvent) -> str:
        """Append `event`; return its id. If an entry with the same `outbox_id` is already
        in the stream, return that entry's id and append nothing."""
        ...

    async def read_after(self, stream: str, last_id: str, count: int = 1000) -> list[StreamEntry]:
        """Entries with id > last_id, oldest first. `last_id="0"` reads from the start."""
        ...

    async def read_live(
        self, stream: str, last_id: str, timeout_ms: int = 1000, count: int = 1000
    ) -> list[StreamEntry]:
        """Like `read_after` (including `EventsExpired`), but waits up to `timeout_ms` for
        new entries; `timeout_ms <= 0` does not wait. `last_id="$"` means only entries
        appended after the call. It may return `[]` before the timeout (Redis caps one
        blocking read), so callers read in a loop from the last id they got."""
        ...

    async def last_id(self, stream: str) -> str:
        """Id of the newest entry, or "0-0" for an empty stream."""
        ...

    async def close(self) -> None: ...
