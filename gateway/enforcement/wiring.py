"""What a serving gateway needs for visibility, started once: `partnergraph dev` and `serve`.

- auth: `AuthSettings.from_env()` (may create the development secrets in the data dir),
  `Authenticator(JwtVerifier, ApiKeyStore(db))`;
- policies: a `PolicyStore` in MongoDB and a `PolicyWatcher` following it (over Redis
  pub/sub with `REDIS_URL`, in-process without), or a fixed set read from a YAML file when
  there is no database; a store that is still empty can be seeded from a YAML file;
- the subgraph secret the gateway signs with;
- API key revocations: the store announces them on Redis (`REDIS_URL`); the app's lifespan
  runs a `RevocationWatcher` (`Access.revocation_watcher`) that ends the live subscriptions
  of revoked keys.

    access = await start_access(api_schema, db=db, redis_url=url, seed=DEMO_POLICIES)
    gateway = Gateway(supergraph, config, **access.gateway_options())
    ...
    await access.aclose()
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from graphql import GraphQLSchema
from pymongo.asynchronous.database import AsyncDatabase

from gateway.enforcement.visibility import UNRESTRICTED, Policies
from policies.auth import ApiKeyStore, Authenticator, AuthSettings, JwtVerifier
from policies.auth.api_keys import ensure_api_key_indexes
from policies.auth.revocations import RedisRevocationPublisher
from policies.model import PolicySet
from policies.propagation import PolicyWatcher, RedisPublisher
from policies.store import PolicyStore
from policies.yaml_io import load_rules

if TYPE_CHECKING:
    from gateway.reload.reloader import SupergraphReloader
    from gateway.subscriptions.revocation import RevocationWatcher
    from gateway.subscriptions.service import SubscriptionService

log = logging.getLogger(__name__)

SEED_ACTOR = "partnergraph"


@dataclass
class Access:
    """Auth and policies for one gateway process; `aclose()` at shutdown."""

    auth: AuthSettings
    authenticator: Authenticator
    policies: Policies
    store: PolicyStore | None = None
    watcher: PolicyWatcher | None = None
    _redis: aioredis.Redis | None = field(default=None, repr=False)
    redis_url: str | None = None  # where API key revocations are announced

    def gateway_options(self) -> dict[str, Any]:
        """The `Gateway` keyword arguments."""
        return {
            "policies": self.policies,
            "authenticator": self.authenticator,
            "signing_secret": self.auth.subgraph_secret,
        }

    def follow_reloads(self, reloader: SupergraphReloader) -> None:
        """Check rules against each new API schema a reload brings (rules may name what it
        adds)."""
        store = self.store
        if store is not None:
            reloader.on_swap.append(
                lambda generation: setattr(store, "schema", generation.api_schema)
            )

    def revocation_watcher(
        self, subscriptions: SubscriptionService | None
    ) -> RevocationWatcher | None:
        """What ends `subscriptions` opened with an API key when the key is revoked (not
        started; it re-reads the keys every `revocation_check_interval` of the service's
        limits); None when there are no subscriptions or no API keys."""
        from gateway.subscriptions.revocation import RevocationWatcher

        api_keys = self.authenticator.api_keys
        if subscriptions is None or api_keys is None:
            return None
        return RevocationWatcher(
            api_keys,
            subscriptions,
            self.redis_url,
            check_interval=subscriptions.limits.revocation_check_interval,
        )

    async def aclose(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
        await self.authenticator.jwt.aclose()
        if self._redis is not None:
            await self._redis.aclose()


async def start_access(
    api_schema: GraphQLSchema,
    *,
    db: AsyncDatabase[Any] | None,
    redis_url: str | None = None,
    seed: Path | None = None,
    policy_file: Path | None = None,
    unrestricted: bool = False,
) -> Access:
    """With `policy_file`: its rules, fixed. Else with `db`: policies from its store
    (seeded from `seed` when it holds none yet), followed live. `unrestricted`: no
    policies at all (explicit opt-out). None of these: `ValueError` (fail closed)."""
    auth = AuthSettings.from_env()
    log.info("auth: %s", auth)
    verifier = JwtVerifier.from_settings(auth)
    if unrestricted:
        log.warning("policies: none (unrestricted): every caller sees the whole graph")
        api_keys = ApiKeyStore(db) if db is not None else None
        return Access(auth, Authenticator(verifier, api_keys), UNRESTRICTED, redis_url=redis_url)
    if db is None or policy_file is not None:
        if policy_file is None:
            await verifier.aclose()
            raise ValueError(
                "no policies: set MONGODB_URL (policies are kept in MongoDB) or give a "
                "policy file with --policies FILE.yaml"
            )
        rules = load_rules(await _read(policy_file), source=str(policy_file))
        policies = PolicySet(version=1, rules=tuple(rules))
        log.info("policies: %d rules from %s (fixed)", len(rules), policy_file)
        api_keys = ApiKeyStore(db) if db is not None else None
        return Access(auth, Authenticator(verifier, api_keys), policies, redis_url=redis_url)
    await ensure_api_key_indexes(db)
    client = aioredis.Redis.from_url(redis_url) if redis_url else None
    revocations = RedisRevocationPublisher(client) if client else None
    authenticator = Authenticator(verifier, ApiKeyStore(db, publisher=revocations))
    store = PolicyStore(db, api_schema, publisher=RedisPublisher(client) if client else None)
    await store.ensure_indexes()
    if seed is not None and await store.current_version() == 0:
        rules = load_rules(await _read(seed), source=str(seed))
        await store.replace_all(
            rules, actor=SEED_ACTOR, reason=f"initial policies from {seed.name}", expected_version=0
        )
        log.info("policies: loaded %d rules from %s into the store", len(rules), seed)
    watcher = PolicyWatcher(store, redis_url)
    await watcher.start()
    log.info("policies: version %d in force", watcher.current.version)
    return Access(auth, authenticator, watcher, store, watcher, client, redis_url)


async def _read(path: Path) -> str:
    return await asyncio.to_thread(path.read_text, encoding="utf-8")
