"""The federation schema every bundled subgraph uses.

Pinned to Federation 2.9: the composers we test with (`@theguild/federation-composition`
0.27, Apollo's gateway) reject Strawberry's default 2.11.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from resolvers.errors import DomainError
from subgraphs.common.errors import ErrorCodes

FEDERATION_VERSION: Final = "2.9"
PARTNER_VISIBLE = "partner-visible"  # @tag on fields partners are normally shown

logger = logging.getLogger("partnergraph.subgraphs")


class SubgraphSchema(strawberry.federation.Schema):
    def __init__(self, query: type, mutation: type | None = None, **kwargs: Any) -> None:
        super().__init__(
            query=query,
            mutation=mutation,
            extensions=[ErrorCodes],
            federation_version=FEDERATION_VERSION,
            **kwargs,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Rejected requests are expected: log them briefly; log the rest with a trace."""
        unexpected = []
        for error in errors:
            if isinstance(error.original_error, DomainError):
                logger.info("%s: %s", error.original_error.code, error.original_error.message)
            else:
                unexpected.append(error)
        if unexpected:
            super().process_errors(unexpected, execution_context)
