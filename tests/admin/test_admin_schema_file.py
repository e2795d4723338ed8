"""`policies/admin/admin_schema.graphql` is the admin API's schema as the console sees it
(issue 7 generates its types from it); it must match the code."""

from __future__ import annotations

from pathlib import Path

from policies.admin import build_admin_schema

SDL_FILE = Path(__file__).resolve().parents[2] / "policies" / "admin" / "admin_schema.graphql"
REGENERATE = (
    'python -c "from policies.admin import build_admin_schema; '
    'print(build_admin_schema().as_str())" > policies/admin/admin_schema.graphql'
)


def test_the_checked_in_admin_schema_is_current() -> None:
    current = build_admin_schema().as_str() + "\n"
    assert SDL_FILE.read_text() == current, f"the admin schema changed; run: {REGENERATE}"
