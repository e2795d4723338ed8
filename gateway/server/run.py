"""Run the gateway with uvicorn until SIGINT/SIGTERM, then shut down cleanly (exit 0).

Visibility policies (fail closed): with `MONGODB_URL`, the policy store in its database (the
URL's path, else `partnergraph`), followed live
(over Redis pub/sub with `REDIS_URL`); `policy_file` (`--policies FILE.yaml`) serves that
file's rules instead. With neither, the server refuses to start, unless `unrestricted`
(`--unrestricted`: no policies at all, every caller sees the whole graph) is asked for.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from gateway.composition import CompositionFailed
from gateway.composition.registry import RegistryError, compose_registry
from gateway.config import GatewayConfig
from gateway.enforcement.wiring import start_access
from gateway.server.app import create_app
from gateway.servers import Listener, run, serve_all
from gateway.settings import Settings
from gateway.subscriptions import with_subscriptions
from gateway.supergraph import Supergraph, SupergraphError
from policies.errors import PolicyError
from resolvers.mongo import DEFAULT_DATABASE, connect
from resolvers.streams import open_event_stream

logger = logging.getLogger(__name__)


async def serve(
    supergraph_path: str | None,
    host: str = "127.0.0.1",
    port: int = 4000,
    config: GatewayConfig | None = None,
    *,
    policy_file: str | None = None,
    unrestricted: bool = False,
    registry: str | None = None,
    reload_interval: float | None = 30.0,
) -> None:
    """Load the supergraph and the policies, then serve until a signal. Raises
    `SupergraphError` if the supergraph cannot be loaded, `ValueError` when there are no
    policies to enforce (nothing is served then).

    With `registry` (`--registry FILE`) instead of a supergraph file, the subgraphs it lists
    are composed at start (`RegistryError` / `CompositionFailed` if they cannot be) and
    recomposed every `reload_interval` seconds (live reload, `gateway.reload`)."""
    from gateway.gateway import Gateway  # imported here: gateway.gateway imports this package
    from gateway.reload.reloader import SupergraphReloader

    config = replace(config or GatewayConfig(), host=host, port=port)
    if registry is not None:
        supergraph = (await compose_registry(registry)).supergraph
    elif supergraph_path is not None:
        supergraph = await asyncio.to_thread(_load, supergraph_path)
    else:
        raise ValueError("serve a supergraph file or a registry")
    settings = Settings.from_env()
    client = connect(settings.mongodb_url) if settings.mongodb_url else None
    # Live subscriptions need the shared event streams: Redis (`REDIS_URL`). Without it this
    # process has no relay feeding an in-process stream, so it serves queries only.
    events = open_event_stream(settings.redis_url) if settings.redis_url else None
    serving_schema = supergraph.api_schema
    if events is not None:
        serving_schema, _ = with_subscriptions(supergraph.api_schema, supergraph.api_sdl)
    try:
        access = await start_access(
            serving_schema,
            db=client.get_default_database(DEFAULT_DATABASE) if client is not None else None,
            redis_url=settings.redis_url,
            policy_file=Path(policy_file) if policy_file else None,
            unrestricted=unrestricted,
        )
        try:
            gateway = Gateway(supergraph, config, events=events, **access.gateway_options())
            reloader = None
            if registry is not None:
                reloader = SupergraphReloader.for_registry(gateway, registry, reload_interval)
                access.follow_reloads(reloader)
            logger.info("serving %s on http://%s:%d/graphql", gateway.supergraph, host, port)
            app = create_app(gateway, config, reloader=reloader, access=access, events=events)
            await serve_all([Listener("gateway", app, host, port)])
        finally:
            await access.aclose()
    finally:
        if events is not None:
            await events.close()
        if client is not None:
            await client.close()


def _load(path: str) -> Supergraph:
    try:
        sdl = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SupergraphError(f"cannot read the supergraph file {path!r}: {exc}") from exc
    return Supergraph.from_sdl(sdl)


def run_server(
    supergraph_path: str | None,
    host: str = "127.0.0.1",
    port: int = 4000,
    *,
    policy_file: str | None = None,
    unrestricted: bool = False,
    registry: str | None = None,
    reload_interval: float | None = 30.0,
) -> None:
    """`partnergraph serve`: returns after a clean shutdown; exits with a message (status 1)
    when the supergraph or the policies cannot be loaded."""
    try:
        run(
            serve(
                supergraph_path,
                host,
                port,
                policy_file=policy_file,
                unrestricted=unrestricted,
                registry=registry,
                reload_interval=reload_interval,
            )
        )
    except (
        SupergraphError,
        RegistryError,
        CompositionFailed,
        PolicyError,
        OSError,
        ValueError,
    ) as exc:
        raise SystemExit(f"partnergraph serve: {exc}") from exc
