"""The error raised for a supergraph the gateway cannot use."""

from __future__ import annotations


class SupergraphError(Exception):
    """A supergraph SDL that is malformed or needs something the gateway does not implement.

    The message says what is wrong and where (type, field, directive), so an operator can fix
    the composition input; `code` is stable for tooling.
    """

    code = "INVALID_SUPERGRAPH"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code}
