"""Gateway configuration: where to listen, how long to wait for subgraphs, and the limits
that protect the gateway from hostile requests.

Every value has a sane default, so `GatewayConfig()` is a working configuration. The
defaults admit the standard introspection query (GraphiQL's) and ordinary partner queries,
and refuse what only a hostile or broken client sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

SUBGRAPH_ERRORS = ("mask", "pass")
"""The values of `GatewayConfig.subgraph_errors`."""


class ConfigError(ValueError):
    """A configuration value is out of range; the message names the value and the range."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-request limits. A request over any of them is refused before planning, with an
    error whose `extensions.code` names the limit (see `gateway.server`)."""

    # Request body in bytes (HTTP 413 BODY_TOO_LARGE above it).
    max_body_bytes: int = 1_048_576
    # Nesting of fields, counted through fragments; `{ a { b } }` has depth 2. An
    # introspection field (`__schema`, `__type`) counts as one level: graphql-core's
    # MaxIntrospectionDepthRule limits what is below it.
    max_depth: int = 15
    # Aliased fields in an operation, counted through fragments (every spread counts).
    max_aliases: int = 30
    # Lexical tokens in the document (comments excluded); checked while parsing.
    max_tokens: int = 5_000
    # Fields selected at the root of an operation, counted through fragments.
    max_root_fields: int = 20

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"limits.{item.name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 4000
    # Seconds to wait for one subgraph fetch before reporting it failed.
    subgraph_timeout: float = 30.0
    # Distinct operation texts whose parse and validation results are kept.
    operation_cache_size: int = 1024
    # Serve GraphiQL to browsers on GET /graphql.
    graphiql: bool = True
    limits: Limits = field(default_factory=Limits)
    # Subgraph name -> URL, replacing the supergraph's `@join__graph(url:)` (the same
    # supergraph served against other hosts or ports).
    subgraph_urls: Mapping[str, str] = field(default_factory=dict, hash=False)
    # What a caller whose policy view is restricted (hides, masks or filters anything) gets
    # of an error a subgraph wrote: "mask" replaces it with a generic message, a well-known
    # code or SUBGRAPH_ERROR, and the subgraph's name (the original goes to the server log),
    # since a subgraph's message may quote what the view hides; "pass" forwards the
    # subgraph's message and extensions to everyone (the behaviour before masking existed).
    # Callers whose view shows everything, and unrestricted gateways, always get them as is.
    subgraph_errors: str = "mask"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65_535:
            raise ConfigError(f"port must be between 0 and 65535, got {self.port!r}")
        if not self.subgraph_timeout > 0:
            raise ConfigError(
                f"subgraph_timeout must be a positive number of seconds, "
                f"got {self.subgraph_timeout!r}"
            )
        if self.subgraph_errors not in SUBGRAPH_ERRORS:
            raise ConfigError(
                f"subgraph_errors must be one of {', '.join(map(repr, SUBGRAPH_ERRORS))}, "
                f"got {self.subgraph_errors!r}"
            )
        if self.operation_cache_size < 1:
            raise ConfigError(
                f"operation_cache_size must be a positive integer, "
                f"got {self.operation_cache_size!r}"
            )
