"""Policies as code: read and write rule sets as YAML.

The file holds `rules:` (a list of `Rule.to_dict()` mappings) and, on export, the `version`
it was taken from (informational: an import always becomes a new version). Reading checks
the shape of every rule and reports every problem at once; checking against the schema is
`policies.check`.
"""

from __future__ import annotations

from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]  # stubs: types-PyYAML

from policies.errors import PolicyError, PolicyErrorCode
from policies.model import PolicySet, Rule, rules_from_dicts


def load_rules(text: str, *, source: str = "the policy file") -> list[Rule]:
    """Parse YAML into rules; raise `PolicyError` (BAD_USER_INPUT or INVALID_POLICY)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT, f"{source} is not valid YAML: {exc}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            f"{source} must be a mapping with a 'rules:' list (see policies/demo_policies.yaml)",
        )
    unknown = sorted(set(data) - {"rules", "version"})
    if unknown:
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            f"{source} has unknown top-level keys {unknown} (allowed: rules, version)",
        )
    return rules_from_dicts(data["rules"])


def dump_policy_set(policy_set: PolicySet) -> str:
    """The policy set as YAML that `load_rules` reads back to equal rules."""
    document: dict[str, Any] = {
        "version": policy_set.version,
        "rules": [rule.to_dict() for rule in policy_set.rules],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
