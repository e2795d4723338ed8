"""Subgraph errors as a restricted caller sees them: generic words, a well-known code, a name.

A subgraph knows nothing of the caller's view, so the text it writes into an error ("deal
D-1 of partner P-R02 with margin 0.31 is locked") may quote a record or field the view
hides, and the gateway cannot tell which words are safe. So for a caller whose view is
restricted (anything hidden, masked or filtered: `PolicyView.shows_everything` is false),
every error a subgraph wrote (`SubgraphError`) is replaced by

    {"message": "A subgraph could not resolve this field.", "path": [...],
     "extensions": {"code": <a well-known code or SUBGRAPH_ERROR>, "serviceName": <subgraph>}}

(`path` only where the result pass already placed it at a visible path). One message is
kept: graphql-core's "Cannot return null for non-nullable field T.f." when `T.f` is a field
the caller's schema has, since it names only what the caller selected and is what the gateway
itself says for a record the view drops (a hidden record must look exactly like a missing
one). The original is logged for operators. Errors the gateway made itself (FORBIDDEN,
limits, SUBGRAPH_TIMEOUT) are its own words and stay. `GatewayConfig.subgraph_errors =
"pass"` turns masking off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from gateway.executor.errors import SubgraphError
from policies.view import PolicyView

_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_NON_NULL = re.compile(rf"Cannot return null for non-nullable field ({_NAME})\.({_NAME})\.")

log = logging.getLogger(__name__)

MASKED_FIELD_MESSAGE = "A subgraph could not resolve this field."
MASKED_MESSAGE = "A subgraph could not complete this request."
SUBGRAPH_ERROR = "SUBGRAPH_ERROR"
WELL_KNOWN_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "FORBIDDEN",
        "NOT_FOUND",
        "UNAUTHENTICATED",
        "GRAPHQL_VALIDATION_FAILED",
    }
)
"""Codes that say what kind of failure it was and nothing about the data: kept."""


def masks_subgraph_errors(view: PolicyView, setting: str) -> bool:
    """Whether this caller gets masked subgraph errors (`setting`: the gateway's
    `subgraph_errors`)."""
    return setting != "pass" and not view.shows_everything


def masked(error: SubgraphError, view: PolicyView, path: Any = None) -> dict[str, Any]:
    """The generic stand-in for `error`, at `path` (the caller's path, or None)."""
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    message = error.get("message")
    if path and isinstance(message, str) and _names_only_visible(message, view):
        generic = message
    else:
        generic = MASKED_FIELD_MESSAGE if path else MASKED_MESSAGE
    log.info(
        "subgraph %r error masked for a restricted caller (path %s, code %r): %r",
        error.service,
        path,
        code,
        message,
    )
    out: dict[str, Any] = {"message": generic}
    if path:
        out["path"] = list(path)
    out["extensions"] = {
        "code": code if code in WELL_KNOWN_CODES else SUBGRAPH_ERROR,
        "serviceName": error.service,
    }
    return out


def mask_all(errors: Any, view: PolicyView) -> list[Any]:
    """`errors` with every subgraph error masked (paths kept as they are)."""
    return [masked(e, view, e.get("path")) if isinstance(e, SubgraphError) else e for e in errors]


def _names_only_visible(message: str, view: PolicyView) -> bool:
    """The standard non-null message, about a field the caller's schema shows."""
    match = _NON_NULL.fullmatch(message)
    if match is None:
        return False
    type_name, field_name = match.groups()
    return view.type(type_name).visible and not view.field(type_name, field_name).is_hidden
