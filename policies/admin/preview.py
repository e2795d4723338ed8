"""Preview: the response a principal would get, from the gateway's own pipeline.

The query runs through `gateway.execute(..., principal=...)`, the path a real request of
that principal takes (planning with its view, masks, record conditions, the signed principal
sent to subgraphs), never a separate evaluation. Only queries: a previewed mutation would
really change data as that principal.
"""

from __future__ import annotations

from typing import Any, Protocol

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from policies.errors import PolicyError, PolicyErrorCode
from policies.principal import Principal


class PreviewGateway(Protocol):
    """What preview needs of `gateway.gateway.Gateway`."""

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        principal: Principal,
    ) -> dict[str, Any]: ...


def check_query_only(query: str) -> None:
    """BAD_USER_INPUT if the document holds a mutation or subscription. A document that
    does not parse is left to the gateway, which answers with its own coded error."""
    try:
        document = parse(query)
    except GraphQLError:
        return
    for definition in document.definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.operation is not OperationType.QUERY
        ):
            raise PolicyError(
                PolicyErrorCode.BAD_USER_INPUT,
                f"preview runs queries only, not a {definition.operation.value}: "
                "a previewed write would really happen",
            )


async def preview(
    gateway: PreviewGateway,
    principal: Principal,
    query: str,
    variables: Any,
    operation_name: str | None,
) -> dict[str, Any]:
    """The gateway's response body (`data`, `errors`) for `principal`."""
    if variables is not None and not isinstance(variables, dict):
        raise PolicyError(PolicyErrorCode.BAD_USER_INPUT, "variables must be a JSON object")
    check_query_only(query)
    return await gateway.execute(query, variables, operation_name, principal=principal)
