"""Signed gateway-to-subgraph calls: no side door into a subgraph.

The gateway signs every subgraph request: an HMAC-SHA256, with a secret shared by the
gateway and its subgraphs, over the timestamp, the caller's principal and the body. A
subgraph (behind `RequireGatewaySignature`) accepts only signed calls no older (nor newer)
than the replay window, and reads the verified principal to decide which records the caller
may change (DESIGN.md "Writes"). An unsigned, forged or stale call gets HTTP 401 with a
GraphQL-style error (`extensions.code = UNAUTHENTICATED`, `extensions.reason`).

Headers (all three are required):

    x-partnergraph-timestamp  unix seconds, decimal
    x-partnergraph-principal  base64url (no padding) of the principal's claims as JSON
    x-partnergraph-signature  v1=<hex HMAC-SHA256 of "v1\\n" ts "\\n" principal "\\n" body>

Within the window a captured call can be replayed verbatim (there is no nonce store); the
window bounds that, and TLS between gateway and subgraphs keeps calls from being captured.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Collection, Mapping
from enum import StrEnum
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policies.auth.claims import ClaimError, claims_of, principal_from_claims
from policies.principal import ANONYMOUS, AuthMethod, Principal

TIMESTAMP_HEADER = "x-partnergraph-timestamp"
PRINCIPAL_HEADER = "x-partnergraph-principal"
SIGNATURE_HEADER = "x-partnergraph-signature"
VERSION = "v1"
DEFAULT_WINDOW = 60.0
DEFAULT_MAX_BODY_BYTES = 8 << 20
_MAX_PRINCIPAL_CHARS = 8192


class SignatureReason(StrEnum):
    MISSING_SIGNATURE = "MISSING_SIGNATURE"
    MALFORMED_SIGNATURE = "MALFORMED_SIGNATURE"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    STALE_TIMESTAMP = "STALE_TIMESTAMP"
    BAD_PRINCIPAL = "BAD_PRINCIPAL"


class SignatureError(Exception):
    """A call that is not a fresh, authentic call from the gateway; `reason` says why."""

    code = "UNAUTHENTICATED"

    def __init__(self, reason: SignatureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def to_graphql_error(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "extensions": {"code": self.code, "reason": str(self.reason)},
        }


def encode_principal(principal: Principal) -> str:
    claims = {"method": str(principal.auth_method)}
    if not principal.is_anonymous:
        claims.update(claims_of(principal))
    return base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()


def decode_principal(value: str) -> Principal:
    """The principal in a (verified) principal header; raises `ValueError` if malformed."""
    if len(value) > _MAX_PRINCIPAL_CHARS:
        raise ValueError("the principal header is too long")
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"the principal header is not base64url JSON: {exc}") from None
    if not isinstance(claims, dict):
        raise ValueError("the principal header is not a JSON object")
    method_name = claims.get("method")
    if not isinstance(method_name, str) or method_name not in {m.value for m in AuthMethod}:
        raise ValueError(f"unknown auth method {method_name!r}")
    method = AuthMethod(method_name)
    if method is AuthMethod.ANONYMOUS:
        return ANONYMOUS
    try:
        return principal_from_claims(claims, method)
    except ClaimError as exc:
        raise ValueError(str(exc)) from None


def _mac(secret: bytes, timestamp: str, principal: str, body: bytes) -> str:
    message = b"\n".join((VERSION.encode(), timestamp.encode(), principal.encode(), body))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign(
    body: bytes, principal: Principal, secret: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers that make a subgraph call with `body`, on behalf of `principal`, valid."""
    timestamp = str(int(time.time() if now is None else now))
    encoded = encode_principal(principal)
    return {
        TIMESTAMP_HEADER: timestamp,
        PRINCIPAL_HEADER: encoded,
        SIGNATURE_HEADER: f"{VERSION}={_mac(secret, timestamp, encoded, body)}",
    }


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: bytes,
    now: float | None = None,
    window: float = DEFAULT_WINDOW,
) -> Principal:
    """The principal of an authentic, fresh call; raises `SignatureError` otherwise.

    `headers` must look names up case-insensitively (Starlette's `Headers`, httpx's) or
    use the lower-case names.
    """
    timestamp = headers.get(TIMESTAMP_HEADER)
    encoded = headers.get(PRINCIPAL_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if timestamp is None or encoded is None or signature is None:
        raise SignatureError(
            SignatureReason.MISSING_SIGNATURE,
            "This service accepts only calls signed by the PartnerGraph gateway; "
            "send the query to the gateway.",
        )
    version, _, mac = signature.partition("=")
    if version != VERSION or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError(
            SignatureReason.MALFORMED_SIGNATURE,
            f"The gateway signature headers are malformed (expected {VERSION}=<hex>).",
        )
    if not hmac.compare_digest(mac.encode(), _mac(secret, timestamp, encoded, body).encode()):
        raise SignatureError(
            SignatureReason.BAD_SIGNATURE,
            "The gateway signature does not match; check that the gateway and this "
            "service share PARTNERGRAPH_SUBGRAPH_SECRET.",
        )
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > window:
        raise SignatureError(
            SignatureReason.STALE_TIMESTAMP,
            f"The signed call is {age:+.0f}s old, outside the {window:g}s window; "
            "check the clocks of the gateway and this service.",
        )
    try:
        return decode_principal(encoded)
    except ValueError as exc:
        raise SignatureError(
            SignatureReason.BAD_PRINCIPAL, f"The signed principal cannot be read: {exc}."
        ) from None


def signed_principal(connection: HTTPConnection) -> Principal:
    """The verified principal `RequireGatewaySignature` put on a request."""
    principal = connection.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise RuntimeError("the request did not pass through RequireGatewaySignature")
    return principal


class RequireGatewaySignature:
    """ASGI middleware for subgraphs: only calls signed by the gateway get through.

    The body is read (up to `max_body_bytes`), checked, and handed on unchanged; the
    principal is at `request.state.principal` (see `signed_principal`). Paths listed in
    `exempt_paths` (e.g. `/healthz`) pass unsigned; WebSockets are refused (subgraphs are
    called over HTTP).
    """

    def __init__(
        self,
        app: ASGIApp,
        secret: bytes,
        *,
        window: float = DEFAULT_WINDOW,
        exempt_paths: Collection[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.secret = secret
        self.window = window
        self.exempt_paths = frozenset(exempt_paths)
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        try:
            body = await self._read_body(receive)
        except _ClientGone:
            return  # nobody to answer
        if body is None:
            too_large = {
                "message": f"The request body is larger than {self.max_body_bytes} bytes.",
                "extensions": {"code": "BODY_TOO_LARGE"},
            }
            await JSONResponse({"errors": [too_large]}, 413)(scope, receive, send)
            return
        try:
            principal = verify(body, Headers(scope=scope), self.secret, self.clock(), self.window)
        except SignatureError as exc:
            await JSONResponse({"errors": [exc.to_graphql_error()]}, 401)(scope, receive, send)
            return
        scope = {**scope, "state": {**scope.get("state", {}), "principal": principal}}
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None when it exceeds the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class _ClientGone(Exception):
    """The client disconnected before its body was read."""


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
