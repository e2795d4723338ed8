"""Serving the gateway: Strawberry's ASGI view over a schema built from the supergraph.

    app = create_app(Gateway.from_file("supergraph.graphql"))   # Starlette
    run_server("supergraph.graphql", "127.0.0.1", 4000)          # `partnergraph serve`

Routes: `/graphql` (GraphQL over HTTP; GraphiQL for browsers), `/healthz` (alive),
`/readyz` (supergraph loaded). Modules, in the order a request meets them:
`body_limit` → `view` (HTTP, negotiation, statuses) → `schema` (the Strawberry seam) →
`extensions` (our pipeline inside Strawberry's lifecycle, error masking) → `operations`
(parse, validate with `limits`, coerce variables, plan, execute).

Error codes (`errors[].extensions.code`) and HTTP statuses. "negotiated" means 400 when
the response is `application/graphql-response+json` and 200 when it is `application/json`
(the GraphQL-over-HTTP spec's rule for request errors):

| code                           | when                                               | HTTP       |
| ------------------------------ | -------------------------------------------------- | ---------- |
| GRAPHQL_PARSE_FAILED           | the query text is not GraphQL                      | negotiated |
| GRAPHQL_VALIDATION_FAILED      | the operation does not fit the API schema          | negotiated |
| BAD_USER_INPUT                 | a variable value does not fit its type             | negotiated |
| OPERATION_RESOLUTION_FAILURE   | no/unknown `operationName` for the document        | negotiated |
| PERSISTED_QUERY_NOT_SUPPORTED  | a persisted-query hash instead of the query        | negotiated |
| OPERATION_NOT_ALLOWED          | mutation or subscription over GET                  | 405        |
|                                | subscription over a plain POST                     | negotiated |
| MAX_DEPTH_EXCEEDED             | fields nested deeper than `limits.max_depth`       | negotiated |
| MAX_ALIASES_EXCEEDED           | more aliases than `limits.max_aliases`             | negotiated |
| MAX_ROOT_FIELDS_EXCEEDED       | more root fields than `limits.max_root_fields`     | negotiated |
| MAX_TOKENS_EXCEEDED            | more tokens than `limits.max_tokens`               | negotiated |
| BODY_TOO_LARGE                 | body above `limits.max_body_bytes`                 | 413        |
| BAD_REQUEST                    | malformed request: no query, bad JSON, bad fields  | 400        |
| METHOD_NOT_ALLOWED             | an HTTP method other than GET and POST             | 405        |
| NOT_ACCEPTABLE                 | Accept allows neither JSON media type              | 406        |
| QUERY_PLANNING_FAILED          | the planner cannot plan a valid operation          | 200        |
| INTERNAL_SERVER_ERROR          | anything unexpected (details only in the log)      | 200        |

Errors from subgraphs and from the executor (SUBGRAPH_UNAVAILABLE, ...) come with partial
data and HTTP 200; `gateway.executor.errors` lists their codes.
"""

from gateway.server.app import create_app
from gateway.server.run import run_server, serve

__all__ = ["create_app", "run_server", "serve"]
