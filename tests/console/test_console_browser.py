"""The console driven for real in headless Chromium (tests/console/console_flow.mjs): sign in,
change a rule, see the preview change, see the audit entry with its diff, roll back, and see
a partner's live subscription stop receiving the denied field. Screenshots of the main
screens go to tests/artifacts/console/ (git-ignored)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from console_stack import ADMIN, OTHER_ADMIN, RESELLER, ConsoleStack, token

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent / "artifacts" / "console"
FLOW_BOUND_SECONDS = 300  # a bound on a hung browser, not a timing assertion
SCREENS = ["01-signin-refused", "02-graph-matrix", "03-live", "06-stale-edit", "08-audit"]


async def run_flow(stack: ConsoleStack, chromium: Path) -> list[dict[str, object]]:
    config = {
        "baseUrl": stack.base_url,
        "wsUrl": stack.base_url.replace("http://", "ws://") + "/graphql",
        "chromium": str(chromium),
        "artifacts": str(ARTIFACTS),
        "adminToken": token(ADMIN),
        "otherAdminToken": token(OTHER_ADMIN),
        "resellerToken": token(RESELLER),
        "adminApiKey": stack.admin_api_key,
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "console_flow.mjs"),
        orjson.dumps(config).decode(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), FLOW_BOUND_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the browser flow did not finish") from None
    steps = [orjson.loads(line) for line in out.splitlines() if line.startswith(b"{")]
    assert process.returncode == 0, f"{steps[-1:] or out!r}\n{err.decode()[-3000:]}"
    return steps


async def test_admin_story_in_the_browser(stack: ConsoleStack, browser_tools: Path) -> None:
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    steps = await run_flow(stack, browser_tools)
    done = steps[-1]
    assert done["step"] == "done"
    assert "condition" in str(done["conditionError"])

    # What the browser did is what the store holds: the rule was created, updated after the
    # stale edit was rebased, then the creation rolled back.
    current = await stack.store.current()
    assert current.version == done["rolledBack"]
    assert current.rule("reseller-no-notes") is None
    margin = current.rule("reseller-no-margin")
    assert margin is not None and margin.description != "The margin is the vendor's business."
    entries = await stack.store.audit(actor="console-admin", limit=10)
    assert [entry.action for entry in entries][:3] == ["rollback", "update", "create"]
    assert all(entry.reason for entry in entries)
    for name in SCREENS:
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 0, name
