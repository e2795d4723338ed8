"""The admin GraphQL API for visibility policies (admins only), for the console and tools.

`create_admin_app(store, watcher, gateway, authenticator)` is the ASGI app to mount at
`/admin/graphql`. Modules: `access` (who may call), `app` (HTTP), `schema` (queries and
mutations), `types` / `inputs` (the GraphQL shapes), `decisions` (decision matrix and schema
tree), `preview` (a query as another principal, through the gateway), `errors` (codes).
"""

from policies.admin.app import AdminApp, create_admin_app
from policies.admin.schema import AdminContext, build_admin_schema

__all__ = ["AdminApp", "AdminContext", "build_admin_schema", "create_admin_app"]
