"""`SupergraphReloader`: recompose the subgraphs on an interval (and on demand) and swap the
gateway's supergraph when it changed.

A reload fetches every SDL (`compose_registry`, or any `source` callable), composes, and
compares the supergraph's hash with the one serving: equal, nothing happens; different, the
gateway swaps (`Gateway.swap`). A reload that fails anywhere — the registry cannot be read,
a subgraph cannot be reached, the subgraphs do not compose, the supergraph cannot be served —
changes nothing: the old schema keeps serving, the errors are logged, and `status` carries
them (`/readyz` shows that a reload failed, the admin API shows the errors) until a reload
succeeds.

    reloader = SupergraphReloader.for_registry(gateway, "partnergraph.toml", interval=30)
    app = create_app(gateway, reloader=reloader)   # the app starts and stops it
    changed = await reloader.reload()              # what the admin `reloadSchema` runs
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.composition import Composition, CompositionFailed, compose
from gateway.composition.registry import RegistryError, fetch_sources, load_registry
from gateway.config import ConfigError
from gateway.reload.generation import SchemaGeneration
from gateway.supergraph import SupergraphError

if TYPE_CHECKING:
    from gateway.gateway import Gateway

logger = logging.getLogger(__name__)

CompositionSource = Callable[[], Awaitable[Composition]]
"""Fetches the subgraphs' SDLs and composes them; raises on failure."""

RELOAD_FAILED = "RELOAD_FAILED"  # an error that carries no code of its own


@dataclass(frozen=True, slots=True)
class ReloadProblem:
    """One reason a reload failed: a stable `code`, what is wrong, and where."""

    code: str
    message: str
    subgraph: str | None = None

    def __str__(self) -> str:
        where = f" [subgraph {self.subgraph!r}]" if self.subgraph else ""
        return f"{self.code}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ReloadFailure:
    """The last failed reload (cleared by the next successful one)."""

    at: datetime
    problems: tuple[ReloadProblem, ...]

    def summary(self) -> dict[str, Any]:
        """For `/readyz` (unauthenticated): when, and the codes; never the messages, which
        may name types and fields some callers must not learn of (the admin API has them)."""
        return {
            "at": self.at.isoformat(),
            "codes": sorted({p.code for p in self.problems}),
            "count": len(self.problems),
            "message": "The last reload failed; the previous schema keeps serving. "
            "The errors are in the gateway's log and the admin API (schemaStatus).",
        }


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    generation: int
    supergraph_hash: str
    subgraphs: tuple[str, ...]
    loaded_at: datetime
    interval: float | None
    last_attempt_at: datetime | None
    last_failure: ReloadFailure | None


def problems_of(exc: BaseException) -> tuple[ReloadProblem, ...]:
    """What went wrong, with codes (composition errors one by one)."""
    if isinstance(exc, CompositionFailed):
        return tuple(ReloadProblem(e.code, str(e), e.subgraph) for e in exc.errors)
    if isinstance(exc, RegistryError):
        return (ReloadProblem(exc.code, exc.message),)
    if isinstance(exc, SupergraphError):
        return (ReloadProblem("INVALID_SUPERGRAPH", str(exc)),)
    if isinstance(exc, ConfigError):
        return (ReloadProblem("INVALID_CONFIG", str(exc)),)
    return (ReloadProblem(RELOAD_FAILED, f"unexpected error: {exc!r}"),)


@dataclass(eq=False)
class SupergraphReloader:
    """Reloads `gateway` from `source` every `interval` seconds (None: only on demand).
    `on_swap` callbacks get each new generation (e.g. to give the policy store the new
    API schema)."""

    gateway: Gateway
    source: CompositionSource
    interval: float | None = 30.0
    on_swap: list[Callable[[SchemaGeneration], None]] = field(default_factory=list)
    last_attempt_at: datetime | None = None
    last_failure: ReloadFailure | None = None
    _loaded_at: dict[int, datetime] = field(default_factory=dict, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.interval is not None and self.interval <= 0:
            raise ValueError("the reload interval must be positive (or None: on demand only)")
        self._loaded_at[self.gateway.generation.number] = _now()

    @classmethod
    def for_registry(
        cls, gateway: Gateway, registry: str | Path, interval: float | None = 30.0
    ) -> SupergraphReloader:
        """Reload from a registry file (`partnergraph.toml`), re-read at every reload, as
        `compose_registry` does, but composing in a worker thread: composition takes a
        noticeable time, and requests keep being served meanwhile."""

        async def source() -> Composition:
            sources = await fetch_sources(load_registry(registry))
            return await asyncio.to_thread(compose, sources)

        return cls(gateway, source, interval)

    @property
    def status(self) -> ReloadStatus:
        generation = self.gateway.generation
        supergraph = generation.supergraph
        return ReloadStatus(
            generation=generation.number,
            supergraph_hash=supergraph.hash,
            subgraphs=tuple(supergraph.subgraph_urls),
            loaded_at=self._loaded_at.get(generation.number, _now()),
            interval=self.interval,
            last_attempt_at=self.last_attempt_at,
            last_failure=self.last_failure,
        )

    async def reload(self) -> bool:
        """Recompose now; True when the gateway swapped to a new supergraph. Never raises
        for a failed reload: that is recorded in `status` (and logged)."""
        async with self._lock:
            self.last_attempt_at = _now()
            try:
                composition = await self.source()
                changed = composition.supergraph.hash != self.gateway.supergraph.hash
                if changed:
                    generation = self.gateway.swap(composition.supergraph)
            except Exception as exc:
                self._failed(exc)
                return False
            self.last_failure = None
            if changed:
                self._loaded_at = {generation.number: self.last_attempt_at}
                logger.info("schema reloaded: now serving %s", generation)
                for callback in self.on_swap:
                    try:
                        callback(generation)
                    except Exception:  # the swap happened; one listener's fault stays its own
                        logger.exception("schema reload: on_swap callback %r failed", callback)
            return changed

    def _failed(self, exc: Exception) -> None:
        """Record the failure; log it, at ERROR when it differs from the previous one (a
        subgraph that stays down is not reported again at every interval)."""
        problems = problems_of(exc)
        assert self.last_attempt_at is not None
        repeated = self.last_failure is not None and self.last_failure.problems == problems
        self.last_failure = ReloadFailure(self.last_attempt_at, problems)
        level = logging.DEBUG if repeated else logging.ERROR
        if problems[0].code == RELOAD_FAILED:
            logger.log(
                level, "schema reload failed; the previous schema keeps serving", exc_info=exc
            )
        else:
            logger.log(
                level,
                "schema reload failed; the previous schema keeps serving:\n%s",
                "\n".join(f"  {p}" for p in problems),
            )

    def start(self) -> None:
        """Reload every `interval` seconds in the background (no-op without an interval)."""
        if self.interval is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="supergraph reloader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        assert self.interval is not None
        while True:
            await asyncio.sleep(self.interval)
            await self.reload()


def _now() -> datetime:
    return datetime.now(UTC)
