"""Policy errors with stable codes.

The admin API and the CLI turn a `PolicyError` into a GraphQL error (`extensions.code`) or a
non-zero exit; `problems` names each bad rule and what is wrong with it, so an import with
several mistakes reports all of them at once. Raising one before a write means nothing is
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PolicyErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    NOT_FOUND = "NOT_FOUND"
    INVALID_POLICY = "INVALID_POLICY"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one rule (`rule_id` is None for the set as a whole)."""

    rule_id: str | None
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule_id!r}: {self.message}" if self.rule_id else self.message


class PolicyError(Exception):
    """A policy request that cannot be carried out as asked; says why and what to do."""

    def __init__(
        self,
        code: PolicyErrorCode,
        message: str,
        *,
        problems: tuple[Problem, ...] = (),
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": str(self.code), **self.details}
        if self.problems:
            extensions["problems"] = [
                {"ruleId": problem.rule_id, "message": problem.message} for problem in self.problems
            ]
        return extensions

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  - {problem}" for problem in self.problems)]
        return "\n".join(lines)


def invalid_policy(problems: list[Problem]) -> PolicyError:
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    return PolicyError(
        PolicyErrorCode.INVALID_POLICY,
        f"the policy is invalid ({count} {noun}); nothing was changed",
        problems=tuple(problems),
    )
