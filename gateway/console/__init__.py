"""The admin console in the browser, served by the gateway at `/admin` (issue 7).

Server-rendered HTML pages plus one hand-written script (`static/console.js`) that talks only
to the admin API (`policies.admin`, GraphQL over fetch at `/admin/graphql`), except for the
live panel's counts (`live`), which the admin API does not expose yet. Modules: `app`
(routes, security headers, sign-in model), `pages` (the HTML), `live` (recent change events
and active subscriptions per partner).

    app = Starlette(routes=[
        Route("/admin/graphql", create_admin_app(store, watcher, gateway, authenticator)),
        Mount("/admin", create_console_app(authenticator, LiveSources(events, subscriptions))),
        ...
    ])
"""

from gateway.console.app import create_console_app
from gateway.console.live import LiveSources

__all__ = ["LiveSources", "create_console_app"]
