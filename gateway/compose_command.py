"""`partnergraph compose`: compose the subgraphs the registry lists into `supergraph.graphql`
and the API schema `schema.graphql`; with `--check`, list what the new API schema breaks.

Exit codes: 0 done (or no breaking change), 1 the registry or a subgraph cannot be read or
the subgraphs do not compose (nothing is written), 2 `--check` found a breaking change.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from gateway.composition import Composition, CompositionFailed
from gateway.composition.breaking import SchemaParseError, schema_changes
from gateway.composition.registry import RegistryError, compose_registry

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BREAKING = 2


def add_compose_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default="partnergraph.toml",
        help="subgraph registry (TOML; default partnergraph.toml)",
    )
    parser.add_argument(
        "--supergraph-out",
        default=None,
        help="supergraph SDL to write (default: supergraph.graphql beside the registry)",
    )
    parser.add_argument(
        "--schema-out",
        default=None,
        help="API schema to write and compare with (default: schema.graphql beside the registry)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the changes against the current API schema and exit 2 on a "
        "breaking one",
    )
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="with --check: report breaking changes but exit 0",
    )


def compose_main(
    args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    config = Path(args.config)
    supergraph_path = Path(args.supergraph_out or config.parent / "supergraph.graphql")
    schema_path = Path(args.schema_out or config.parent / "schema.graphql")
    try:
        composition = asyncio.run(compose_registry(config))
    except RegistryError as exc:
        print(f"error ({exc.code}): {exc.message}", file=err)
        return EXIT_FAILED
    except CompositionFailed as exc:
        print(f"composition failed with {len(exc.errors)} error(s):", file=err)
        for error in exc.errors:
            print(f"  {error}", file=err)
        return EXIT_FAILED
    for hint in composition.hints:
        print(f"hint: {hint}", file=err)
    if args.check:
        return _check(composition, schema_path, bool(args.allow_breaking), out, err)
    _write(supergraph_path, composition.supergraph_sdl)
    _write(schema_path, client_sdl(composition))
    print(f"wrote {supergraph_path} and {schema_path}", file=out)
    return EXIT_OK


def client_sdl(composition: Composition) -> str:
    """The schema clients see: the composed API schema plus the gateway's live
    `Subscription` fields (served when the gateway has the event streams)."""
    from gateway.subscriptions import with_subscriptions

    return with_subscriptions(composition.supergraph.api_schema, composition.api_sdl)[1]


def _check(
    composition: Composition, schema_path: Path, allow: bool, out: TextIO, err: TextIO
) -> int:
    try:
        current = schema_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"{schema_path} does not exist yet: nothing to break", file=out)
        return EXIT_OK
    try:
        changes = schema_changes(current, client_sdl(composition))
    except SchemaParseError as exc:
        print(f"error ({exc.code}): {schema_path}: {exc.message}", file=err)
        return EXIT_FAILED
    for change in changes:
        print(str(change), file=out)
    breaking = [c for c in changes if c.breaking]
    if current != client_sdl(composition) and not changes:
        print(
            f"{schema_path} is not current (no breaking change); run partnergraph compose", file=out
        )
    if not breaking:
        print("no breaking change", file=out)
        return EXIT_OK
    if allow:
        print(f"{len(breaking)} breaking change(s), allowed by --allow-breaking", file=out)
        return EXIT_OK
    print(
        f"{len(breaking)} breaking change(s): fix the subgraphs, or pass --allow-breaking if "
        "clients are ready",
        file=err,
    )
    return EXIT_BREAKING


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="partnergraph compose", description=__doc__)
    add_compose_arguments(parser)
    return compose_main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
