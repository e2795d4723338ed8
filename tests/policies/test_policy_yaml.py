"""Policies as code: YAML round trip, and `partnergraph policies validate|import|export`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import pytest
from policy_demo import DEMO_POLICIES, demo_policy_set, demo_schema
from pymongo.asynchronous.database import AsyncDatabase

from gateway.policies_command import add_policies_arguments, policies_main
from policies.errors import PolicyError, PolicyErrorCode
from policies.model import PolicySet
from policies.store import PolicyStore
from policies.yaml_io import dump_policy_set, load_rules
from resolvers.embedded_mongo import EmbeddedMongo

BAD_FILE = """\
rules:
  - id: good
    target: Deal.amount
    effect: allow
  - id: typo-field
    target: Deal.amout
    effect: allow
  - id: bad-condition
    target: Deal
    effect: allow
    condition: record.stage == "CLOSED"
"""

MALFORMED_FILE = """\
rules:
  - id: no-effect
    target: Deal.amount
  - id: bad-syntax
    target: Deal
    effect: allow
    condition: record.stage = "WON"
  - id: mask-without-value
    target: Deal.amount
    effect: mask
"""


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="partnergraph policies")
    add_policies_arguments(parser)
    return parser.parse_args(argv)


async def run(*argv: str) -> int:
    # The command runs its own event loop, as it does under `partnergraph`.
    return await asyncio.to_thread(policies_main, parse(*argv))


def test_yaml_round_trip_keeps_every_rule() -> None:
    policy_set = demo_policy_set(version=3)
    text = dump_policy_set(policy_set)
    assert text.startswith("version: 3\n")
    again = PolicySet(3, tuple(load_rules(text)))
    assert again.rules == policy_set.rules
    assert dump_policy_set(again) == text
    assert [str(rule) for rule in again.rules] == [str(rule) for rule in policy_set.rules]


def test_reading_reports_every_malformed_rule_by_id() -> None:
    with pytest.raises(PolicyError) as raised:
        load_rules(MALFORMED_FILE)
    assert raised.value.code is PolicyErrorCode.INVALID_POLICY
    problems = {problem.rule_id: problem.message for problem in raised.value.problems}
    assert set(problems) == {"no-effect", "bad-syntax", "mask-without-value"}
    assert "effect must be allow, deny or mask" in problems["no-effect"]
    assert "column 14" in problems["bad-syntax"] and "use ==" in problems["bad-syntax"]
    assert "needs a mask value" in problems["mask-without-value"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rules: [", "not valid YAML"),
        ("- id: a", "a mapping with a 'rules:' list"),
        ("rules: []\nextra: 1", "unknown top-level keys ['extra']"),
    ],
)
def test_a_file_of_the_wrong_shape_is_bad_input(text: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as raised:
        load_rules(text)
    assert raised.value.code is PolicyErrorCode.BAD_USER_INPUT
    assert fragment in str(raised.value)


def test_validate_accepts_the_demo_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert policies_main(parse("validate", str(DEMO_POLICIES))) == 0
    assert f"{len(demo_policy_set().rules)} rules, valid" in capsys.readouterr().out


def test_validate_lists_each_bad_rule_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_FILE)
    assert policies_main(parse("validate", str(path))) == 1
    err = capsys.readouterr().err
    assert "INVALID_POLICY" in err
    assert "rule 'typo-field': type Deal has no field 'amout'" in err
    assert "rule 'bad-condition'" in err and '"CLOSED" is not a value of enum DealStage' in err
    assert "'good'" not in err


async def test_import_with_one_bad_rule_applies_nothing(
    tmp_path: Path,
    mongo_server: EmbeddedMongo,
    db: AsyncDatabase[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_FILE)
    code = await run(
        "import",
        str(path),
        "--reason",
        "try",
        "--mongodb-url",
        mongo_server.url,
        "--database",
        db.name,
    )
    assert code == 1
    assert "typo-field" in capsys.readouterr().err
    store = PolicyStore(db, demo_schema())
    assert await store.current_version() == 0
    assert await store.audit() == []


async def test_import_then_export_round_trips_through_the_database(
    tmp_path: Path,
    mongo_server: EmbeddedMongo,
    db: AsyncDatabase[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = ("--mongodb-url", mongo_server.url, "--database", db.name)
    reason = ("--reason", "demo policies", "--actor", "ops@vendor")
    assert await run("import", str(DEMO_POLICIES), *reason, *where) == 0
    assert "version 0 -> 1" in capsys.readouterr().out

    exported = tmp_path / "exported.yaml"
    assert await run("export", str(exported), *where) == 0
    text = await asyncio.to_thread(exported.read_text)
    assert load_rules(text) == list(demo_policy_set().rules)

    assert await run("import", str(exported), *reason, *where) == 0  # unchanged: new version
    store = PolicyStore(db, demo_schema())
    assert await store.current_version() == 2
    entries = await store.audit()
    assert [(e.action, e.actor, e.reason) for e in entries] == [
        ("import", "ops@vendor", "demo policies"),
        ("import", "ops@vendor", "demo policies"),
    ]
    assert entries[0].diff == () and len(entries[1].diff) == len(demo_policy_set().rules)


def test_import_requires_a_reason() -> None:
    with pytest.raises(SystemExit) as raised:
        parse("import", "file.yaml")
    assert raised.value.code == 2


def test_commands_that_cannot_run_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert policies_main(parse("export", "out.yaml", "--mongodb-url", "")) == 2
    assert "no database" in capsys.readouterr().err
    missing = str(tmp_path / "missing.yaml")
    assert policies_main(parse("validate", missing)) == 2
    assert "cannot read" in capsys.readouterr().err
