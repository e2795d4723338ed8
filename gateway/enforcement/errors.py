"""The error a caller gets where its view hides something: a path, a code, no names.

The message never names the field (the path already holds the caller's own response key)
nor carries a value, so it tells the caller nothing the operation did not already say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

FORBIDDEN = "FORBIDDEN"
NOT_VISIBLE = "This field is not visible to you."
NOTHING_VISIBLE = "Nothing this operation selects is visible to you."


def forbidden_error(path: Sequence[str | int] | None, message: str = NOT_VISIBLE) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if path:
        error["path"] = list(path)
    error["extensions"] = {"code": FORBIDDEN}
    return error
