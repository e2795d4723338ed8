"""The console's pages, rendered on the server as plain HTML with escaping.

Each page is a complete, readable document (headings, labelled forms, empty tables with
captions); `console.js` fills it with data it fetches from the admin API using the
credential kept in the tab's sessionStorage. No template engine: the only values put into
the HTML are the mount path and the admin API's URL, and both go through `html.escape`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PRODUCT = "PartnerGraph admin"


@dataclass(frozen=True, slots=True)
class Page:
    """One screen: its path under the mount, its navigation label and its main content."""

    slug: str
    title: str
    main: str


NAV: tuple[tuple[str, str], ...] = (
    ("graph", "Graph & access"),
    ("rules", "Rules"),
    ("preview", "View as"),
    ("audit", "Audit trail"),
    ("live", "Live"),
)

PRINCIPAL_FIELDS = """
  <fieldset class="principal">
    <legend>Principal</legend>
    <div class="row">
      <label for="pv-preset">Preset</label>
      <select id="pv-preset" name="preset"></select>
    </div>
    <div class="row">
      <input type="checkbox" id="pv-anonymous" name="anonymous">
      <label for="pv-anonymous">Anonymous (no credentials)</label>
    </div>
    <div class="grid">
      <div class="row"><label for="pv-kind">Partner kind</label>
        <select id="pv-kind" name="partnerKind">
          <option value="">(none)</option><option>VENDOR</option><option>RESELLER</option>
          <option>DISTRIBUTOR</option><option>SUPPLIER</option>
        </select></div>
      <div class="row"><label for="pv-partner">Partner id</label>
        <input id="pv-partner" name="partnerId" autocomplete="off"></div>
      <div class="row"><label for="pv-tier">Tier</label>
        <select id="pv-tier" name="tier">
          <option value="">(none)</option><option>PLATINUM</option><option>GOLD</option>
          <option>SILVER</option><option>REGISTERED</option>
        </select></div>
      <div class="row"><label for="pv-regions">Regions (comma-separated)</label>
        <input id="pv-regions" name="regions" autocomplete="off"></div>
      <div class="row"><label for="pv-roles">Roles (comma-separated)</label>
        <input id="pv-roles" name="roles" autocomplete="off"></div>
      <div class="row"><label for="pv-subject">Subject</label>
        <input id="pv-subject" name="subject" autocomplete="off"></div>
    </div>
  </fieldset>"""

SIGN_IN = Page(
    "",
    "Sign in",
    """
<h1>Sign in</h1>
<p>Paste an admin bearer token or API key. It is kept in this browser tab only
(sessionStorage) and sent to the admin API with each request; closing the tab or
signing out forgets it.</p>
<form id="signin" class="card narrow" novalidate>
  <div class="row">
    <label for="cred-kind">Credential type</label>
    <select id="cred-kind" name="kind">
      <option value="token">Bearer token (JWT)</option>
      <option value="apikey">API key</option>
    </select>
  </div>
  <div class="row">
    <label for="cred-value">Admin token or API key</label>
    <input id="cred-value" name="value" type="password" autocomplete="off" required
      aria-describedby="signin-error">
  </div>
  <p id="signin-error" class="field-error" role="alert"></p>
  <button type="submit">Sign in</button>
</form>""",
)

GRAPH = Page(
    "graph",
    "Graph & access",
    """
<h1>Graph &amp; access</h1>
<div class="split">
  <section aria-labelledby="tree-heading" class="card tree-panel">
    <h2 id="tree-heading">Types and fields</h2>
    <p class="hint">Open a type to see its fields; a field's name starts a new rule for it.</p>
    <div id="tree"><p>Loading the schema…</p></div>
  </section>
  <section aria-labelledby="matrix-heading" class="card">
    <h2 id="matrix-heading">Who sees what</h2>
    <form id="matrix-form" class="inline">
      <label for="matrix-type">Type</label>
      <select id="matrix-type" name="type"></select>
      <button type="submit">Show</button>
    </form>
    <details id="add-column">
      <summary>Add a principal column</summary>
      <form id="column-form" class="inline-grid" novalidate>
        <div class="row"><label for="col-label">Column name</label>
          <input id="col-label" name="label" autocomplete="off" required
            aria-describedby="col-error"></div>
        <div class="row"><label for="col-kind">Partner kind</label>
          <select id="col-kind" name="partnerKind">
            <option value="">(none)</option><option>VENDOR</option><option>RESELLER</option>
            <option>DISTRIBUTOR</option><option>SUPPLIER</option>
          </select></div>
        <div class="row"><label for="col-partner">Partner id</label>
          <input id="col-partner" name="partnerId" autocomplete="off"></div>
        <div class="row"><label for="col-tier">Tier</label>
          <select id="col-tier" name="tier">
            <option value="">(none)</option><option>PLATINUM</option><option>GOLD</option>
            <option>SILVER</option><option>REGISTERED</option>
          </select></div>
        <div class="row"><label for="col-regions">Regions (comma-separated)</label>
          <input id="col-regions" name="regions" autocomplete="off"></div>
        <div class="row"><label for="col-roles">Roles (comma-separated)</label>
          <input id="col-roles" name="roles" autocomplete="off"></div>
        <p id="col-error" class="field-error" role="alert"></p>
        <div class="actions"><button type="submit">Add column</button>
          <button type="button" id="reset-columns" class="secondary">Preset columns only</button>
        </div>
      </form>
    </details>
    <p class="legend">
      <span class="decision decision-allow">allow</span>
      <span class="decision decision-conditional">conditional</span>
      <span class="decision decision-mask">mask</span>
      <span class="decision decision-deny">deny</span>
      Each cell names the rules that decide it; open one to edit it.
    </p>
    <div id="matrix" class="table-scroll"></div>
  </section>
</div>""",
)

RULES = Page(
    "rules",
    "Rules",
    """
<h1>Rules</h1>
<div class="split">
  <section aria-labelledby="rules-heading" class="card">
    <h2 id="rules-heading">Current rules</h2>
    <form id="rules-filter" class="inline" role="search">
      <label for="rules-search">Filter by id, target or principal</label>
      <input id="rules-search" type="search" autocomplete="off">
      <button type="button" id="new-rule">New rule</button>
    </form>
    <div id="rules-list" class="table-scroll"></div>
  </section>
  <section aria-labelledby="form-heading" class="card">
    <h2 id="form-heading">New rule</h2>
    <p id="form-base" class="hint"></p>
    <div id="conflict" class="conflict" role="alert" hidden></div>
    <form id="rule-form" novalidate>
      <p id="form-error" class="field-error" role="alert"></p>
      <div class="row"><label for="rule-id">Rule id</label>
        <input id="rule-id" name="id" required autocomplete="off" aria-describedby="rule-id-error">
        <p id="rule-id-error" class="field-error"></p></div>
      <div class="row"><label for="rule-description">Description</label>
        <input id="rule-description" name="description" autocomplete="off"></div>
      <div class="row"><label for="rule-target">Target (Type, Type.* or Type.field)</label>
        <input id="rule-target" name="target" list="coordinates" required autocomplete="off"
          aria-describedby="rule-target-error">
        <datalist id="coordinates"></datalist>
        <p id="rule-target-error" class="field-error"></p></div>
      <div class="row"><label for="rule-effect">Effect</label>
        <select id="rule-effect" name="effect" aria-describedby="rule-effect-error">
          <option value="ALLOW">allow</option><option value="DENY">deny</option>
          <option value="MASK">mask</option>
        </select>
        <p id="rule-effect-error" class="field-error"></p></div>
      <fieldset id="rule-principals" aria-describedby="rule-principals-error">
        <legend>Applies to (empty lists do not restrict)</legend>
        <div class="row"><input type="checkbox" id="rule-anonymous" name="anonymous">
          <label for="rule-anonymous">Anonymous callers</label></div>
        <div class="row"><label for="rule-roles">Roles</label>
          <input id="rule-roles" name="roles" autocomplete="off"></div>
        <div class="row"><label for="rule-kinds">Partner kinds</label>
          <input id="rule-kinds" name="partnerKinds" autocomplete="off"></div>
        <div class="row"><label for="rule-tiers">Tiers</label>
          <input id="rule-tiers" name="tiers" autocomplete="off"></div>
        <div class="row"><label for="rule-partners">Partner ids</label>
          <input id="rule-partners" name="partnerIds" autocomplete="off"></div>
        <p class="hint">Comma-separated lists, e.g. RESELLER, DISTRIBUTOR.</p>
        <p id="rule-principals-error" class="field-error"></p>
      </fieldset>
      <div class="row"><label for="rule-mask">Mask value (JSON, mask rules only)</label>
        <input id="rule-mask" name="mask" autocomplete="off" aria-describedby="rule-mask-error">
        <p id="rule-mask-error" class="field-error"></p></div>
      <div class="row"><label for="rule-condition">Condition (optional)</label>
        <input id="rule-condition" name="condition" autocomplete="off"
          placeholder="record.partner.id == principal.partnerId"
          aria-describedby="rule-condition-error">
        <p id="rule-condition-error" class="field-error"></p></div>
      <div class="row"><label for="rule-reason">Reason for this change</label>
        <input id="rule-reason" name="reason" required autocomplete="off"
          aria-describedby="rule-reason-error">
        <p id="rule-reason-error" class="field-error"></p></div>
      <div class="actions">
        <button type="submit" id="publish">Publish</button>
        <button type="button" id="delete-rule" class="danger" hidden>Delete this rule</button>
        <button type="button" id="reset-form" class="secondary">Clear</button>
      </div>
    </form>
  </section>
</div>""",
)

PREVIEW = Page(
    "preview",
    "View as",
    f"""
<h1>View as a principal</h1>
<p>Runs a query through the gateway exactly as the chosen principal would send it, under the
policy in force now.</p>
<form id="preview-form" class="card" novalidate>
  {PRINCIPAL_FIELDS}
  <div class="row"><label for="pv-query">Query</label>
    <textarea id="pv-query" name="query" rows="8" spellcheck="false"></textarea></div>
  <div class="row"><label for="pv-variables">Variables (JSON, optional)</label>
    <textarea id="pv-variables" name="variables" rows="2" spellcheck="false"
      aria-describedby="pv-error"></textarea></div>
  <p id="pv-error" class="field-error" role="alert"></p>
  <button type="submit">Run as this principal</button>
</form>
<section aria-labelledby="result-heading" class="card" aria-live="polite" id="preview-result">
  <h2 id="result-heading">Response</h2>
  <p id="preview-meta">Nothing run yet.</p>
  <ul id="preview-errors"></ul>
  <pre id="preview-response" tabindex="0" aria-label="Response JSON"></pre>
</section>""",
)

AUDIT = Page(
    "audit",
    "Audit trail",
    """
<h1>Audit trail</h1>
<form id="audit-filter" class="card inline-grid" role="search">
  <div class="row"><label for="au-actor">Admin</label>
    <input id="au-actor" name="actor" autocomplete="off"></div>
  <div class="row"><label for="au-target">Target (Type or Type.field)</label>
    <input id="au-target" name="target" autocomplete="off"></div>
  <div class="row"><label for="au-rule">Rule id</label>
    <input id="au-rule" name="ruleId" autocomplete="off"></div>
  <div class="row"><label for="au-since">From (date)</label>
    <input id="au-since" name="since" type="date"></div>
  <div class="row"><label for="au-until">To (date, inclusive)</label>
    <input id="au-until" name="until" type="date"></div>
  <div class="actions"><button type="submit">Filter</button></div>
</form>
<p id="audit-summary" aria-live="polite"></p>
<div id="audit-list"></div>""",
)

LIVE = Page(
    "live",
    "Live",
    """
<h1>Live</h1>
<form id="live-controls" class="inline">
  <input type="checkbox" id="live-auto" checked>
  <label for="live-auto">Refresh every few seconds</label>
  <button type="button" id="live-refresh">Refresh now</button>
</form>
<p id="live-summary" aria-live="polite"></p>
<ul id="live-notes"></ul>
<div class="split">
  <section aria-labelledby="subs-heading" class="card">
    <h2 id="subs-heading">Active subscriptions per partner</h2>
    <div id="live-subscriptions"></div>
  </section>
  <section aria-labelledby="versions-heading" class="card">
    <h2 id="versions-heading">Recent policy versions</h2>
    <div id="live-versions"></div>
  </section>
</div>
<section aria-labelledby="events-heading" class="card">
  <h2 id="events-heading">Recent change events</h2>
  <div id="live-events" class="table-scroll"></div>
</section>""",
)

PAGES: dict[str, Page] = {page.slug: page for page in (SIGN_IN, GRAPH, RULES, PREVIEW, AUDIT, LIVE)}


def render(page: Page, *, base: str, api_url: str) -> str:
    """The whole HTML document of `page` for a console mounted at `base`."""
    root = escape(base, quote=True)
    nav = ""
    if page.slug:
        links = "".join(
            f'<li><a href="{root}/{slug}"'
            + (' aria-current="page"' if slug == page.slug else "")
            + f">{escape(label)}</a></li>"
            for slug, label in NAV
        )
        nav = (
            f'<nav aria-label="Console"><ul>{links}</ul></nav>'
            '<div class="who"><span id="who"></span>'
            '<button type="button" id="sign-out" class="secondary">Sign out</button></div>'
        )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(page.title)} · {PRODUCT}</title>
<link rel="stylesheet" href="{root}/static/console.css">
<script src="{root}/static/console.js" defer></script>
</head>
<body data-page="{escape(page.slug or "signin", quote=True)}" data-base="{root}"
  data-api="{escape(api_url, quote=True)}">
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">{PRODUCT}</span>{nav}</header>
<p id="status" class="status" role="status" aria-live="polite"></p>
<main id="main" tabindex="-1">{page.main}
</main>
</body>
</html>
"""
