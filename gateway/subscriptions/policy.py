"""Visibility for subscription events: the one place the fan-out meets policy enforcement.

The fan-out asks, per subscriber and event, for the caller's view *at delivery time* (so a
policy change applies from the next event on), groups subscribers by view key,
and per group prepares the operation for the view (`gateway.enforcement`), plans and runs
the prepared document, then drops the event when the record is not visible and filters
the fields otherwise. Without enforcement (`UNRESTRICTED`, tools and tests) everything
passes through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode

from gateway.enforcement import (
    EnforcedOperation,
    Visibility,
    finish_response,
    prepare_operation,
    record_visible,
)
from policies.principal import Principal
from policies.view import PolicyView


@dataclass(frozen=True, slots=True)
class Prepared:
    """The document to plan and run for one view; `enforced` is None when unrestricted."""

    document: DocumentNode
    enforced: EnforcedOperation | None

    @property
    def empty(self) -> bool:
        """Nothing selected is visible: no event can be delivered (fail closed)."""
        return self.enforced is not None and self.enforced.empty


class EventVisibility:
    def __init__(self, visibility: Visibility | None) -> None:
        self.visibility = visibility

    @property
    def enforced(self) -> bool:
        return self.visibility is not None and self.visibility.enforced

    def view(self, principal: Principal) -> PolicyView | None:
        """The caller's view now (None when unrestricted)."""
        if self.visibility is None or not self.visibility.enforced:
            return None
        return self.visibility.view(principal)

    @staticmethod
    def view_key(view: PolicyView | None) -> str:
        """Subscribers whose views share this key see exactly the same payload (the full
        key: record conditions bound to each principal's claims are part of it)."""
        return "" if view is None else view.key

    @staticmethod
    def plan_key(view: PolicyView | None) -> str:
        """What the plan of the prepared document depends on."""
        return "" if view is None else view.plan_key

    def prepare(
        self, document: DocumentNode, operation_name: str | None, view: PolicyView | None
    ) -> Prepared:
        if view is None or self.visibility is None:
            return Prepared(document, None)
        enforced = prepare_operation(document, operation_name, view, self.visibility.api_schema)
        return Prepared(enforced.document, enforced)

    def finish(
        self,
        prepared: Prepared,
        view: PolicyView | None,
        response: dict[str, Any],
        variables: dict[str, Any],
    ) -> dict[str, Any] | None:
        """The payload the view may see, or None when the record is not visible."""
        if prepared.enforced is None or view is None or self.visibility is None:
            return response
        if not record_visible(prepared.enforced, view, response):
            return None
        return finish_response(
            prepared.enforced,
            view,
            response,
            variables,
            subgraph_errors=self.visibility.subgraph_errors,
        )
