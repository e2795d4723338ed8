"""The GraphQL client for one subgraph.

Each subgraph has its own pool of keep-alive connections (`http.HttpPool`). Bodies are
encoded and decoded with orjson. Every way a request can fail (no answer, too slow, an
answer that is not a GraphQL response) becomes one gateway error for that fetch, so the
rest of the plan still runs and the client gets partial data. Calls are stateless on
purpose: no cookies, so nothing set during one caller's request rides along with another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.executor.errors import ErrorCode, GraphQLErrorDict, gateway_error
from gateway.executor.http import (
    HttpError,
    HttpPool,
    HttpResponse,
    ProtocolError,
    encode_headers,
)
from policies.principal import ANONYMOUS, Principal
from policies.signing import sign

_JSON_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


@dataclass(slots=True)
class SubgraphResponse:
    """What one fetch produced. `failure` is set when the fetch failed as a whole; the
    executor decides where that error points."""

    data: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    failure: GraphQLErrorDict | None = None


class SubgraphClient:
    """Sends GraphQL operations to one subgraph URL, with a total per-request timeout
    (connecting, sending and receiving together)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 100,
        signing_secret: bytes | None = None,
    ) -> None:
        """With `signing_secret`, every call is signed for its principal (policies.signing):
        the subgraphs accept only signed calls."""
        self.name = name
        self.signing_secret = signing_secret
        self.url = url
        self.timeout = timeout
        self._pool = HttpPool(
            url, headers={**_JSON_HEADERS, **(headers or {})}, max_connections=max_connections
        )

    async def fetch(
        self,
        operation: str,
        variables: Mapping[str, Any],
        operation_name: str | None = None,
        header_lines: bytes = b"",
        *,
        idempotent: bool = False,
        principal: Principal = ANONYMOUS,
    ) -> SubgraphResponse:
        """`header_lines` (from `http.encode_headers`) are added to this call only. An
        `idempotent` call (a query, not a mutation) may be sent twice if a kept-alive
        connection turns out closed. The signature covers the exact bytes sent."""
        body: dict[str, Any] = {"query": operation, "variables": variables}
        if operation_name:
            body["operationName"] = operation_name
        content = orjson.dumps(body)
        if self.signing_secret is not None:
            header_lines += encode_headers(sign(content, principal, self.signing_secret))
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._pool.post(content, header_lines, idempotent=idempotent)
        except TimeoutError:
            return self._failed(
                ErrorCode.SUBGRAPH_TIMEOUT,
                f"Subgraph '{self.name}' did not answer within {self.timeout:g}s; "
                "its fields are null. Retry later.",
            )
        except ProtocolError:
            return self._failed(
                ErrorCode.SUBGRAPH_BAD_RESPONSE,
                f"Subgraph '{self.name}' answered with invalid HTTP; its fields are null.",
            )
        except (HttpError, OSError) as exc:
            return self._failed(
                ErrorCode.SUBGRAPH_UNAVAILABLE,
                f"Subgraph '{self.name}' could not be reached ({type(exc).__name__}); "
                "its fields are null. Retry later.",
            )
        return self._parse(response)

    def _parse(self, response: HttpResponse) -> SubgraphResponse:
        try:
            payload = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
            if response.status >= 400:
                problem = f"answered HTTP {response.status}"
            else:
                problem = "answered with something that is not a GraphQL response"
            return self._failed(
                ErrorCode.SUBGRAPH_BAD_RESPONSE,
                f"Subgraph '{self.name}' {problem}; its fields are null.",
                http={"status": response.status},
            )
        data = payload.get("data")
        errors = payload.get("errors") or []
        if (
            (data is not None and not isinstance(data, dict))
            or not isinstance(errors, list)
            or not all(isinstance(e, dict) for e in errors)
        ):
            return self._failed(
                ErrorCode.SUBGRAPH_BAD_RESPONSE,
                f"Subgraph '{self.name}' answered with a malformed GraphQL response; "
                "its fields are null.",
                http={"status": response.status},
            )
        return SubgraphResponse(data=data, errors=errors)

    def _failed(self, code: ErrorCode, message: str, **extensions: Any) -> SubgraphResponse:
        return SubgraphResponse(
            failure=gateway_error(code, message, service=self.name, **extensions)
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
