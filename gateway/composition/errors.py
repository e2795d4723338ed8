"""Composition errors: what is wrong, where (subgraph, type, field) and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CompositionError:
    """One reason the subgraphs do not compose. `code` is stable for tooling and tests."""

    code: str
    message: str
    hint: str = ""
    subgraph: str | None = None
    type: str | None = None
    field: str | None = None

    @property
    def where(self) -> str:
        coordinate = ".".join(p for p in (self.type, self.field) if p)
        parts = [f"subgraph {self.subgraph!r}" if self.subgraph else "", coordinate]
        return ", ".join(p for p in parts if p)

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code}

    def __str__(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"{self.code}{where}: {self.message}{hint}"


class CompositionFailed(Exception):
    """Raised by `compose()` with every error found, so one run reports them all."""

    code = "COMPOSITION_FAILED"

    def __init__(self, errors: list[CompositionError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in errors))

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]
