"""Where the gateway's policy set comes from, and the caller's view under it.

A `Visibility` reads either a `PolicyWatcher` (serve/dev: Mongo + Redis, `DENY_ALL` until
the first load, so fail closed) or a fixed `PolicySet` (tests, the admin preview). Views are
compiled per request from the process-wide cache (`policies.view.compile_view`); when the
watcher applies a new set, cached views and prepared operations are dropped, and the next
request compiles the new view (plans are keyed by `view.plan_key`, so they follow).

`UNRESTRICTED` is the explicit opt-out for tools and tests that are not about visibility:
no view, nothing filtered. It is never a default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from graphql import GraphQLSchema

from gateway.enforcement.operation import clear_prepared_operations
from gateway.enforcement.view_schema import clear_view_schemas
from policies.model import DENY_ALL, PolicySet
from policies.principal import Principal
from policies.view import PolicyView, clear_compiled_views, compile_view


class PolicySource(Protocol):
    """What `PolicyWatcher` offers: the newest set, and a change callback."""

    current: PolicySet

    def on_change(self, callback: Callable[[PolicySet], None]) -> None: ...


class Unrestricted:
    """No policies at all: every caller sees the whole API schema (tests and tools only)."""

    def __repr__(self) -> str:
        return "UNRESTRICTED"


UNRESTRICTED = Unrestricted()

Policies = PolicySet | PolicySource | Unrestricted | None
_MEMO_SIZE = 10_000


class Visibility:
    """The gateway's policies. `None` means none loaded: everything is denied."""

    def __init__(
        self, policies: Policies, api_schema: GraphQLSchema, *, subgraph_errors: str = "mask"
    ) -> None:
        """`subgraph_errors` (`GatewayConfig.subgraph_errors`): what restricted views get of
        subgraph errors, applied by `finish_response` wherever a view is enforced."""
        self.api_schema = api_schema
        self.enforced = not isinstance(policies, Unrestricted)
        self.subgraph_errors = subgraph_errors
        self._memo: dict[Principal, PolicyView] = {}
        self._memo_set: PolicySet | None = None
        self._fixed: PolicySet | None = None
        self._source: PolicySource | None = None
        if isinstance(policies, PolicySet):
            self._fixed = policies
        elif policies is None:
            self._fixed = DENY_ALL
        elif not isinstance(policies, Unrestricted):
            self._source = policies
            policies.on_change(self._changed)

    @property
    def policy_set(self) -> PolicySet:
        if self._source is not None:
            return self._source.current
        return self._fixed if self._fixed is not None else DENY_ALL

    def replace(self, policy_set: PolicySet) -> None:
        """Use a fixed policy set from now on (tests, tools)."""
        self._fixed, self._source = policy_set, None
        self._changed(policy_set)

    def view(self, principal: Principal) -> PolicyView:
        """The caller's view under the current set (a per-principal memo in front of the
        process-wide view cache: most requests come from few principals)."""
        policy_set = self.policy_set
        if policy_set is not self._memo_set:
            self._memo.clear()
            self._memo_set = policy_set
        view = self._memo.get(principal)
        if view is None:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            view = self._memo[principal] = compile_view(policy_set, principal, self.api_schema)
        return view

    def _changed(self, _policy_set: PolicySet) -> None:
        self._memo.clear()
        clear_compiled_views()
        clear_prepared_operations()
        clear_view_schemas()
