// PartnerGraph admin console: fetches from the admin API (GraphQL over fetch) and fills the
// server-rendered pages. No framework, no build step. Data is only ever written into the page
// as text (textContent / text nodes), never as HTML.
'use strict';

(() => {
  const CREDENTIAL_KEY = 'partnergraph.admin.credential';
  const body = document.body;
  const API = body.dataset.api;
  const BASE = body.dataset.base;

  // --- credentials (sessionStorage: this tab only; see gateway/console/app.py) ----------

  const readCredential = () => {
    try {
      const value = JSON.parse(sessionStorage.getItem(CREDENTIAL_KEY) || 'null');
      return value && typeof value.value === 'string' ? value : null;
    } catch {
      return null;
    }
  };
  const authHeaders = (credential) =>
    credential.kind === 'apikey'
      ? { 'X-API-Key': credential.value }
      : { Authorization: `Bearer ${credential.value}` };
  const signOut = (reason) => {
    sessionStorage.clear();
    location.assign(`${BASE}/?${reason}`);
  };

  // --- DOM helpers -----------------------------------------------------------------------

  const $ = (selector) => document.querySelector(selector);
  function h(tag, attrs = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') element.className = value;
      else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : String(child));
    }
    return element;
  }
  const setStatus = (text) => {
    const status = $('#status');
    if (status) status.textContent = text;
  };
  const list = (text) =>
    String(text || '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const pretty = (value) => JSON.stringify(value, null, 2);
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

  // --- the admin API ---------------------------------------------------------------------

  class ApiError extends Error {
    constructor(errors, status) {
      super(errors.map((error) => error.message).join('\n'));
      this.errors = errors;
      this.status = status;
      this.code = errors[0]?.extensions?.code;
      this.extensions = errors[0]?.extensions || {};
    }
  }

  async function request(url, init, credential) {
    let response;
    try {
      response = await fetch(url, {
        ...init,
        headers: { Accept: 'application/json', ...(init.headers || {}), ...authHeaders(credential) },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(
        [{ message: `The admin API is not reachable (${error.message}).`, extensions: { code: 'NETWORK_ERROR' } }],
        0,
      );
    }
    let payload;
    try {
      payload = await response.json();
    } catch {
      throw new ApiError(
        [{ message: `The server answered HTTP ${response.status} without JSON.`, extensions: { code: 'BAD_RESPONSE' } }],
        response.status,
      );
    }
    if (payload.errors && payload.errors.length) throw new ApiError(payload.errors, response.status);
    return payload.data;
  }

  async function gql(query, variables, credential = readCredential()) {
    if (!credential) {
      signOut('signin');
      throw new ApiError([{ message: 'Sign in first.', extensions: { code: 'UNAUTHENTICATED' } }], 401);
    }
    try {
      return await request(
        API,
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }) },
        credential,
      );
    } catch (error) {
      if (error.status === 401 && readCredential()?.value === credential.value) signOut('expired');
      throw error;
    }
  }

  const showError = (error, where = '#status') => {
    const target = $(where);
    if (target) target.textContent = `${error.code ? `[${error.code}] ` : ''}${error.message}`;
  };

  // --- principals the console offers ------------------------------------------------------

  const PRESETS = [
    { label: 'Anonymous', principal: { anonymous: true } },
    { label: 'Admin', principal: { roles: ['admin'], subject: 'preview-admin' } },
    { label: 'Vendor staff', principal: { partnerKind: 'VENDOR', partnerId: 'vendor' } },
    { label: 'Reseller P-R01 (PLATINUM)', principal: { partnerKind: 'RESELLER', partnerId: 'P-R01', tier: 'PLATINUM', regions: ['NA'] } },
    { label: 'Reseller P-R05 (REGISTERED)', principal: { partnerKind: 'RESELLER', partnerId: 'P-R05', tier: 'REGISTERED', regions: ['APAC'] } },
    { label: 'Distributor P-D02 (GOLD, EMEA)', principal: { partnerKind: 'DISTRIBUTOR', partnerId: 'P-D02', tier: 'GOLD', regions: ['EMEA'] } },
    { label: 'Distributor P-D04 (SILVER, LATAM)', principal: { partnerKind: 'DISTRIBUTOR', partnerId: 'P-D04', tier: 'SILVER', regions: ['LATAM'] } },
    { label: 'Supplier P-S02 (GOLD)', principal: { partnerKind: 'SUPPLIER', partnerId: 'P-S02', tier: 'GOLD', regions: ['NA'] } },
  ];

  // --- pages ---------------------------------------------------------------------------------

  async function signinPage() {
    const params = new URLSearchParams(location.search);
    if (params.has('expired')) setStatus('Your credential was refused or has expired: sign in again.');
    if (params.has('signed-out')) setStatus('Signed out.');
    const form = $('#signin');
    const input = $('#cred-value');
    input.focus();
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const credential = { kind: $('#cred-kind').value, value: input.value.trim() };
      const error = $('#signin-error');
      error.textContent = '';
      input.removeAttribute('aria-invalid');
      if (!credential.value) {
        error.textContent = 'Paste an admin token or API key.';
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      try {
        await request(
          API,
          { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: 'query ConsoleSignIn { policy { version } }' }) },
          credential,
        );
      } catch (failure) {
        error.textContent = `Not signed in: ${failure.message}`;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      sessionStorage.setItem(CREDENTIAL_KEY, JSON.stringify(credential));
      location.assign(`${BASE}/graph`);
    });
  }

  // Graph & access: the schema tree and the decision matrix for one type.
  async function graphPage() {
    const data = await gql('query ConsoleSchema { schemaTree { name kind fields { name coordinate type } } }');
    const types = data.schemaTree;
    const select = $('#matrix-type');
    const tree = h(
      'ul',
      {},
      types.map((type) =>
        h(
          'li',
          {},
          h(
            'details',
            {},
            h('summary', {}, type.name, ' ', h('span', { class: 'kind' }, type.kind.toLowerCase())),
            h(
              'ul',
              {},
              type.fields.map((field) =>
                h(
                  'li',
                  {},
                  h('a', { href: `${BASE}/rules?target=${encodeURIComponent(field.coordinate)}`, 'aria-label': `New rule for ${field.coordinate}` }, h('code', {}, field.name)),
                  ': ',
                  h('span', { class: 'ftype' }, field.type),
                ),
              ),
            ),
            h('button', { type: 'button', class: 'link', onclick: () => showType(type.name) }, `Show ${type.name} in the matrix`),
          ),
        ),
      ),
    );
    $('#tree').replaceChildren(tree);
    for (const type of types) select.append(h('option', { value: type.name }, type.name));
    const wanted = new URLSearchParams(location.search).get('type');
    select.value = types.some((type) => type.name === wanted) ? wanted : types.some((t) => t.name === 'Deal') ? 'Deal' : types[0]?.name;

    async function showType(name) {
      select.value = name;
      await drawMatrix();
      $('#matrix table')?.focus();
    }
    async function drawMatrix() {
      const type = types.find((candidate) => candidate.name === select.value);
      if (!type) return;
      const coordinates = [type.name, ...type.fields.map((field) => field.coordinate)];
      const columns = [...PRESETS, ...customColumns()];
      const principals = columns.map((column) => column.principal);
      setStatus(`Loading decisions for ${type.name}…`);
      let matrix;
      try {
        matrix = (
          await gql(
            `query ConsoleMatrix($principals: [PrincipalInput!]!, $coordinates: [String!]) {
              decisionMatrix(principals: $principals, coordinates: $coordinates) {
                policyVersion coordinates
                rows { principal { text } cells { coordinate decision ruleIds mask condition } }
              }
            }`,
            { principals, coordinates },
          )
        ).decisionMatrix;
      } catch (error) {
        showError(error);
        return;
      }
      const table = h(
        'table',
        { tabindex: '-1', id: 'matrix-table' },
        h('caption', {}, `Decisions for ${type.name} at policy version ${matrix.policyVersion} (rows: the type's records, then its fields)`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Coordinate'), columns.map((column) => h('th', { scope: 'col' }, column.label)))),
        h(
          'tbody',
          {},
          matrix.coordinates.map((coordinate, index) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('code', {}, coordinate === type.name ? `${type.name} (records)` : coordinate)),
              matrix.rows.map((row) => matrixCell(row.cells[index])),
            ),
          ),
        ),
      );
      $('#matrix').replaceChildren(table);
      setStatus(`Showing ${type.name} at policy version ${matrix.policyVersion}.`);
    }
    // Extra columns of the admin's choosing, kept in this tab like the credential.
    $('#column-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const error = $('#col-error');
      const label = $('#col-label');
      error.textContent = '';
      label.removeAttribute('aria-invalid');
      const principal = Object.fromEntries(
        Object.entries({
          partnerKind: $('#col-kind').value || null,
          partnerId: $('#col-partner').value.trim() || null,
          tier: $('#col-tier').value || null,
          regions: list($('#col-regions').value),
          roles: list($('#col-roles').value),
        }).filter(([, value]) => value !== null && !(Array.isArray(value) && !value.length)),
      );
      if (!label.value.trim()) {
        error.textContent = 'Name the column (e.g. "Reseller P-R03").';
        label.setAttribute('aria-invalid', 'true');
        label.focus();
        return;
      }
      if (!Object.keys(principal).length) {
        error.textContent = 'Describe the principal: at least a partner kind, tier, partner id, region or role.';
        $('#col-kind').focus();
        return;
      }
      try {
        await gql('query ConsoleCheckPrincipal($p: PrincipalInput!) { explain(principal: $p, coordinate: "Query") { decision } }', { p: principal });
      } catch (failure) {
        error.textContent = `Not added: ${failure.message}`;
        return;
      }
      saveColumns([...customColumns(), { label: label.value.trim(), principal }]);
      event.target.reset();
      await drawMatrix();
    });
    $('#reset-columns').addEventListener('click', async () => {
      saveColumns([]);
      await drawMatrix();
    });
    $('#matrix-form').addEventListener('submit', (event) => {
      event.preventDefault();
      drawMatrix();
    });
    await drawMatrix();
  }

  const COLUMNS_KEY = 'partnergraph.admin.columns';
  function customColumns() {
    try {
      const columns = JSON.parse(sessionStorage.getItem(COLUMNS_KEY) || '[]');
      return Array.isArray(columns) ? columns : [];
    } catch {
      return [];
    }
  }
  const saveColumns = (columns) => sessionStorage.setItem(COLUMNS_KEY, JSON.stringify(columns));

  function matrixCell(cell) {
    const decision = cell.decision.toLowerCase();
    const details = [];
    if (cell.condition) details.push(`if ${cell.condition}`);
    if (decision === 'mask') details.push(`shown as ${JSON.stringify(cell.mask)}`);
    return h(
      'td',
      { class: `cell-${decision}`, 'data-coordinate': cell.coordinate, 'data-decision': decision },
      h('span', { class: `decision decision-${decision}` }, decision),
      details.length ? h('span', { class: 'cell-rules' }, details.join('; ')) : null,
      cell.ruleIds.length
        ? h(
            'span',
            { class: 'cell-rules' },
            'by ',
            cell.ruleIds.map((id, position) => [
              position ? ', ' : '',
              h('a', { href: `${BASE}/rules?edit=${encodeURIComponent(id)}` }, id),
            ]),
          )
        : h('span', { class: 'cell-rules' }, 'no rule matches'),
    );
  }

  // Rules: the list, and the edit form with inline errors and stale-edit detection.
  const RULE_FIELDS = 'id description target effect condition mask text principals { anonymous roles partnerKinds tiers partnerIds }';
  const FIELD_INPUTS = {
    id: '#rule-id',
    target: '#rule-target',
    effect: '#rule-effect',
    principals: '#rule-principals',
    mask: '#rule-mask',
    condition: '#rule-condition',
    reason: '#rule-reason',
  };

  async function rulesPage() {
    const state = { version: null, rules: [], editing: null, baseVersion: null };
    const form = $('#rule-form');

    async function load() {
      const data = await gql(`query ConsoleRules { policy { version rules { ${RULE_FIELDS} } } schemaTree { fields { coordinate } name } }`);
      state.version = data.policy.version;
      state.rules = data.policy.rules;
      const options = data.schemaTree.flatMap((type) => [type.name, `${type.name}.*`, ...type.fields.map((field) => field.coordinate)]);
      $('#coordinates').replaceChildren(...options.map((value) => h('option', { value })));
      drawList();
      if (state.baseVersion === null) setBase(state.version);
    }
    function setBase(version) {
      state.baseVersion = version;
      $('#form-base').textContent = `This edit is based on policy version ${version}.`;
    }
    function who(principals) {
      const parts = [];
      if (principals.anonymous) parts.push('anonymous');
      if (principals.roles.length) parts.push(`roles ${principals.roles.join(', ')}`);
      if (principals.partnerKinds.length) parts.push(`kinds ${principals.partnerKinds.join(', ')}`);
      if (principals.tiers.length) parts.push(`tiers ${principals.tiers.join(', ')}`);
      if (principals.partnerIds.length) parts.push(`partners ${principals.partnerIds.join(', ')}`);
      return parts.join('; ') || 'everyone signed in';
    }
    function drawList() {
      const needle = $('#rules-search').value.trim().toLowerCase();
      const shown = state.rules.filter((rule) => !needle || `${rule.id} ${rule.target} ${who(rule.principals)}`.toLowerCase().includes(needle));
      $('#rules-list').replaceChildren(
        h(
          'table',
          {},
          h('caption', {}, `${shown.length} of ${state.rules.length} rules, policy version ${state.version}`),
          h('thead', {}, h('tr', {}, ['Rule (select to edit)', 'Target', 'Effect', 'Applies to', 'Condition'].map((label) => h('th', { scope: 'col' }, label)))),
          h(
            'tbody',
            {},
            shown.map((rule) =>
              h(
                'tr',
                { 'data-rule': rule.id },
                h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', 'aria-label': `Edit rule ${rule.id}`, onclick: () => edit(rule.id) }, h('code', {}, rule.id))),
                h('td', {}, h('code', {}, rule.target)),
                h('td', {}, h('span', { class: `decision decision-${rule.effect.toLowerCase()}` }, rule.effect.toLowerCase())),
                h('td', {}, who(rule.principals)),
                h('td', {}, rule.condition ? h('code', {}, rule.condition) : ''),
              ),
            ),
          ),
        ),
      );
    }
    function clearErrors() {
      $('#form-error').textContent = '';
      for (const selector of Object.values(FIELD_INPUTS)) {
        $(selector).removeAttribute('aria-invalid');
        const error = $(`${selector}-error`);
        if (error) error.textContent = '';
      }
    }
    function fieldError(field, message) {
      const selector = FIELD_INPUTS[field];
      const error = selector && $(`${selector}-error`);
      if (!error) {
        $('#form-error').textContent += `${$('#form-error').textContent ? ' ' : ''}${message}`;
        return null;
      }
      error.textContent += `${error.textContent ? ' ' : ''}${message}`;
      $(selector).setAttribute('aria-invalid', 'true');
      return $(selector);
    }
    // The admin API names the problem's subject first ("condition 'x', column 3: ...").
    function problemField(message) {
      const text = message.toLowerCase();
      if (text.startsWith('condition') || text.includes(' condition')) return 'condition';
      if (text.startsWith('target') || text.includes("target '")) return 'target';
      if (text.startsWith('id ') || text.includes('rule id')) return 'id';
      if (text.includes('mask')) return 'mask';
      if (text.includes('principal')) return 'principals';
      if (text.includes('effect')) return 'effect';
      if (text.includes('reason')) return 'reason';
      return null;
    }
    function fill(rule) {
      $('#rule-id').value = rule?.id ?? '';
      $('#rule-description').value = rule?.description ?? '';
      $('#rule-target').value = rule?.target ?? '';
      $('#rule-effect').value = rule?.effect ?? 'ALLOW';
      $('#rule-anonymous').checked = Boolean(rule?.principals.anonymous);
      $('#rule-roles').value = (rule?.principals.roles ?? []).join(', ');
      $('#rule-kinds').value = (rule?.principals.partnerKinds ?? []).join(', ');
      $('#rule-tiers').value = (rule?.principals.tiers ?? []).join(', ');
      $('#rule-partners').value = (rule?.principals.partnerIds ?? []).join(', ');
      $('#rule-mask').value = rule && rule.effect === 'MASK' ? JSON.stringify(rule.mask) : '';
      $('#rule-condition').value = rule?.condition ?? '';
      $('#rule-reason').value = '';
    }
    function edit(id) {
      const rule = state.rules.find((candidate) => candidate.id === id);
      if (!rule) {
        setStatus(`There is no rule ${id} at version ${state.version}.`);
        return;
      }
      state.editing = id;
      clearErrors();
      $('#conflict').hidden = true;
      fill(rule);
      $('#rule-id').readOnly = true;
      $('#form-heading').textContent = `Edit rule ${id}`;
      $('#delete-rule').hidden = false;
      setBase(state.version);
      $('#rule-effect').focus();
    }
    function startNew(target = '') {
      state.editing = null;
      clearErrors();
      $('#conflict').hidden = true;
      fill(null);
      $('#rule-target').value = target;
      $('#rule-id').readOnly = false;
      $('#form-heading').textContent = 'New rule';
      $('#delete-rule').hidden = true;
      setBase(state.version);
    }
    // The draft as the admin API's RuleInput; client-side checks first (each names the field).
    function draft() {
      const rule = {
        id: $('#rule-id').value.trim(),
        target: $('#rule-target').value.trim(),
        effect: $('#rule-effect').value,
        description: $('#rule-description').value.trim(),
        principals: {
          anonymous: $('#rule-anonymous').checked,
          roles: list($('#rule-roles').value),
          partnerKinds: list($('#rule-kinds').value),
          tiers: list($('#rule-tiers').value),
          partnerIds: list($('#rule-partners').value),
        },
        condition: $('#rule-condition').value.trim() || null,
      };
      const problems = [];
      if (!rule.id) problems.push(['id', 'Give the rule an id.']);
      if (!rule.target) problems.push(['target', 'Say what the rule targets: Type, Type.* or Type.field.']);
      const maskText = $('#rule-mask').value.trim();
      if (rule.effect === 'MASK') {
        if (!maskText) problems.push(['mask', 'A mask rule needs the value shown instead, as JSON (e.g. null, 0 or "hidden").']);
        else {
          try {
            rule.mask = JSON.parse(maskText);
          } catch (error) {
            problems.push(['mask', `The mask value is not valid JSON: ${error.message}`]);
          }
        }
      } else if (maskText) problems.push(['mask', 'Only mask rules take a mask value: clear it or choose the mask effect.']);
      const reason = $('#rule-reason').value.trim();
      if (!reason) problems.push(['reason', 'Give a reason: it is recorded in the audit trail.']);
      return { rule, reason, problems };
    }
    function showProblems(problems) {
      let first = null;
      for (const [field, message] of problems) {
        const input = fieldError(field, message);
        first = first || input;
      }
      (first || $('#form-error')).focus?.();
    }
    async function publish(event) {
      event.preventDefault();
      clearErrors();
      const { rule, reason, problems } = draft();
      if (problems.length) {
        showProblems(problems);
        setStatus('Not published: fix the fields marked below.');
        return;
      }
      const mutation = state.editing ? 'updateRule' : 'createRule';
      setStatus('Publishing…');
      try {
        const data = await gql(
          `mutation ConsolePublish($rule: RuleInput!, $reason: String!, $expected: Int!) {
            ${mutation}(rule: $rule, reason: $reason, expectedVersion: $expected) { version }
          }`,
          { rule, reason, expected: state.baseVersion },
        );
        const version = data[mutation].version;
        setStatus(`Published rule ${rule.id} as policy version ${version}.`);
        state.baseVersion = null;
        await load();
        edit(rule.id);
        $('#status').focus?.();
      } catch (error) {
        await refused(error, rule);
      }
    }
    async function refused(error, rule) {
      if (error.code === 'CONFLICT' && error.extensions.currentVersion !== undefined) {
        await conflict(error.extensions.currentVersion, rule.id);
        return;
      }
      if (error.code === 'INVALID_POLICY' && Array.isArray(error.extensions.problems)) {
        showProblems(error.extensions.problems.map((problem) => [problemField(problem.message), problem.message]));
        setStatus('Not published: the admin API found problems, marked below. Nothing was changed.');
        return;
      }
      fieldError(null, `Not published: ${error.code ? `[${error.code}] ` : ''}${error.message}`);
      setStatus('Not published.');
      $('#form-error').focus?.();
    }
    // Someone else changed the policy since this edit began: show what is there now and keep
    // the draft; publishing again needs an explicit decision.
    async function conflict(currentVersion, ruleId) {
      const current = (await gql(`query ConsoleCurrent($id: String!) { rule(id: $id) { ${RULE_FIELDS} } policy { version } }`, { id: ruleId })).rule;
      const recent = (await gql('query ConsoleRecent { audit(filter: {limit: 5}) { version actor action reason ruleIds } }')).audit.filter((entry) => entry.version > state.baseVersion);
      const panel = $('#conflict');
      panel.replaceChildren(
        h('h3', {}, 'Not published: someone else changed the policy'),
        h('p', {}, `Your edit is based on version ${state.baseVersion}; the policy is now at version ${currentVersion}. Nothing was overwritten and your draft is kept below.`),
        h(
          'ul',
          {},
          recent.map((entry) => h('li', {}, `Version ${entry.version}: ${entry.action} of ${entry.ruleIds.join(', ') || 'rules'} by ${entry.actor} — "${entry.reason}"`)),
        ),
        h('p', {}, current ? ['Rule ', h('code', {}, ruleId), ' is now: ', h('code', { id: 'conflict-current' }, current.text)] : `Rule ${ruleId} does not exist any more.`),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', id: 'rebase', onclick: () => rebase(currentVersion) }, `Keep my draft and base it on version ${currentVersion}`),
          current ? h('button', { type: 'button', class: 'secondary', onclick: () => { state.baseVersion = null; load().then(() => edit(ruleId)); } }, 'Discard my draft, load the current rule') : null,
        ),
      );
      panel.hidden = false;
      panel.setAttribute('tabindex', '-1');
      panel.focus();
      setStatus(`Not published: the policy changed to version ${currentVersion} meanwhile.`);
      state.baseVersion = state.baseVersion ?? currentVersion;
      await load();
    }
    function rebase(version) {
      setBase(version);
      $('#conflict').hidden = true;
      setStatus(`Your draft is now based on version ${version}: review it, then publish.`);
      $('#publish').focus();
    }
    async function remove() {
      clearErrors();
      const reason = $('#rule-reason').value.trim();
      if (!reason) {
        showProblems([['reason', 'Give a reason for deleting the rule: it is recorded in the audit trail.']]);
        return;
      }
      try {
        const data = await gql(
          'mutation ConsoleDelete($id: String!, $reason: String!, $expected: Int!) { deleteRule(id: $id, reason: $reason, expectedVersion: $expected) { version } }',
          { id: state.editing, reason, expected: state.baseVersion },
        );
        setStatus(`Deleted rule ${state.editing}: policy version ${data.deleteRule.version}.`);
        state.baseVersion = null;
        await load();
        startNew();
      } catch (error) {
        await refused(error, { id: state.editing });
      }
    }

    form.addEventListener('submit', publish);
    $('#delete-rule').addEventListener('click', remove);
    $('#reset-form').addEventListener('click', () => startNew());
    $('#new-rule').addEventListener('click', () => {
      startNew();
      $('#rule-id').focus();
    });
    $('#rules-search').addEventListener('input', drawList);
    $('#rules-filter').addEventListener('submit', (event) => event.preventDefault());
    await load();
    const params = new URLSearchParams(location.search);
    if (params.get('edit')) edit(params.get('edit'));
    else if (params.get('target')) startNew(params.get('target'));
  }

  // View as: a query through the gateway as a chosen principal.
  function principalForm() {
    const preset = $('#pv-preset');
    preset.append(h('option', { value: '' }, '(custom)'));
    PRESETS.forEach((item, index) => preset.append(h('option', { value: String(index) }, item.label)));
    const apply = (principal) => {
      $('#pv-anonymous').checked = Boolean(principal.anonymous);
      $('#pv-kind').value = principal.partnerKind ?? '';
      $('#pv-partner').value = principal.partnerId ?? '';
      $('#pv-tier').value = principal.tier ?? '';
      $('#pv-regions').value = (principal.regions ?? []).join(', ');
      $('#pv-roles').value = (principal.roles ?? []).join(', ');
      $('#pv-subject').value = principal.subject ?? '';
    };
    preset.addEventListener('change', () => {
      if (preset.value !== '') apply(PRESETS[Number(preset.value)].principal);
    });
    preset.value = '3';
    apply(PRESETS[3].principal);
    return () => {
      if ($('#pv-anonymous').checked) return { anonymous: true };
      const principal = {
        partnerKind: $('#pv-kind').value || null,
        partnerId: $('#pv-partner').value.trim() || null,
        tier: $('#pv-tier').value || null,
        regions: list($('#pv-regions').value),
        roles: list($('#pv-roles').value),
        subject: $('#pv-subject').value.trim() || null,
      };
      return Object.fromEntries(Object.entries(principal).filter(([, value]) => value !== null));
    };
  }

  async function previewPage() {
    const principal = principalForm();
    const query = $('#pv-query');
    if (!query.value) query.value = 'query DealsAsPartner {\n  deals(first: 5) {\n    items { id customer stage amount notes }\n  }\n}';
    $('#preview-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const error = $('#pv-error');
      error.textContent = '';
      $('#pv-variables').removeAttribute('aria-invalid');
      let variables = null;
      const variablesText = $('#pv-variables').value.trim();
      if (variablesText) {
        try {
          variables = JSON.parse(variablesText);
        } catch (failure) {
          error.textContent = `The variables are not valid JSON: ${failure.message}`;
          $('#pv-variables').setAttribute('aria-invalid', 'true');
          $('#pv-variables').focus();
          return;
        }
      }
      $('#preview-meta').textContent = 'Running…';
      try {
        const data = await gql(
          `query ConsolePreview($principal: PrincipalInput!, $query: String!, $variables: JSON) {
            preview(principal: $principal, query: $query, variables: $variables) { policyVersion principal { text } response }
          }`,
          { principal: principal(), query: query.value, variables },
        );
        const result = data.preview;
        const errors = result.response.errors || [];
        $('#preview-meta').textContent = `As ${result.principal.text}, policy version ${result.policyVersion}: ${errors.length ? `${errors.length} error(s)` : 'no errors'}.`;
        $('#preview-errors').replaceChildren(
          ...errors.map((item) => h('li', {}, h('code', {}, item.extensions?.code || 'ERROR'), ` at ${(item.path || []).join('.') || '(request)'}: ${item.message}`)),
        );
        $('#preview-response').textContent = pretty(result.response);
      } catch (failure) {
        $('#preview-meta').textContent = 'The preview was refused.';
        error.textContent = `${failure.code ? `[${failure.code}] ` : ''}${failure.message}`;
        $('#preview-errors').replaceChildren();
        $('#preview-response').textContent = '';
      }
    });
  }

  // Audit trail: filters, each change's diff, and rollback.
  async function auditPage() {
    const form = $('#audit-filter');
    const params = new URLSearchParams(location.search);
    for (const name of ['actor', 'target', 'ruleId', 'since', 'until']) {
      if (params.get(name)) form.elements[name].value = params.get(name);
    }
    let currentVersion = null;

    async function load() {
      const filter = { limit: 100 };
      for (const name of ['actor', 'target', 'ruleId']) {
        const value = form.elements[name].value.trim();
        if (value) filter[name] = value;
      }
      if (form.elements.since.value) filter.since = new Date(`${form.elements.since.value}T00:00:00`).toISOString();
      if (form.elements.until.value) {
        const end = new Date(`${form.elements.until.value}T00:00:00`);
        end.setDate(end.getDate() + 1);
        filter.until = end.toISOString();
      }
      let data;
      try {
        data = await gql(
          `query ConsoleAudit($filter: AuditFilter) {
            policy { version }
            audit(filter: $filter) {
              id at actor actorSubject action version previousVersion ruleIds reason
              diff { ruleId kind before after }
            }
          }`,
          { filter },
        );
      } catch (error) {
        showError(error, '#audit-summary');
        return;
      }
      currentVersion = data.policy.version;
      const applied = Object.entries({ admin: filter.actor, target: filter.target, rule: filter.ruleId, from: form.elements.since.value, to: form.elements.until.value })
        .filter(([, value]) => value)
        .map(([name, value]) => `${name} ${value}`);
      const scope = applied.length ? ` (${applied.join(', ')})` : '';
      $('#audit-summary').textContent = `${data.audit.length} change(s) shown${scope}; the policy is at version ${currentVersion}.`;
      $('#audit-list').replaceChildren(...data.audit.map(entryView));
    }

    function entryView(entry) {
      const status = h('p', { class: 'field-error', role: 'alert' });
      const reason = h('input', { id: `rb-reason-${entry.id}`, autocomplete: 'off', required: true, 'aria-describedby': `rb-hint-${entry.id}` });
      const rollbackForm = h(
        'form',
        { class: 'inline', hidden: true, onsubmit: (event) => rollback(event, entry, reason, status) },
        h('p', { class: 'hint', id: `rb-hint-${entry.id}` }, `Restores every rule as it was at version ${entry.previousVersion}: changes made after it are undone too (see the newer entries above).`),
        h('label', { for: `rb-reason-${entry.id}` }, `Reason for restoring version ${entry.previousVersion}`),
        reason,
        h('button', { type: 'submit' }, 'Roll back'),
      );
      return h(
        'article',
        { class: 'audit-entry', 'data-version': entry.version, 'aria-labelledby': `ae-${entry.id}` },
        h('h3', { id: `ae-${entry.id}` }, `Version ${entry.version}: ${entry.action} by ${entry.actor}`),
        h('p', { class: 'meta' }, `${when(entry.at)} · from version ${entry.previousVersion} · rules: ${entry.ruleIds.join(', ') || '—'}`),
        h('p', {}, 'Reason: ', h('q', {}, entry.reason)),
        entry.diff.map(diffView),
        entry.previousVersion > 0
          ? h(
              'div',
              {},
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-expanded': 'false',
                  onclick: (event) => {
                    rollbackForm.hidden = !rollbackForm.hidden;
                    event.currentTarget.setAttribute('aria-expanded', String(!rollbackForm.hidden));
                    if (!rollbackForm.hidden) reason.focus();
                  },
                },
                `Undo: restore version ${entry.previousVersion}`,
              ),
              rollbackForm,
              status,
            )
          : null,
      );
    }

    function diffView(change) {
      const before = change.before || {};
      const after = change.after || {};
      const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
      const show = (value) => (value === undefined ? '' : JSON.stringify(value));
      return h(
        'table',
        { class: 'diff' },
        h('caption', {}, `Rule ${change.ruleId} ${change.kind.toLowerCase()}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
        h(
          'tbody',
          {},
          keys.map((key) => {
            const old = show(before[key]);
            const now = show(after[key]);
            const changed = old !== now;
            return h(
              'tr',
              { 'data-changed': String(changed) },
              h('th', { scope: 'row' }, key),
              h('td', { class: changed ? 'diff-before' : '' }, changed && old ? h('del', {}, old) : old),
              h('td', { class: changed ? 'diff-after' : '' }, changed && now ? h('ins', {}, now) : now),
            );
          }),
        ),
      );
    }

    async function rollback(event, entry, reasonInput, status) {
      event.preventDefault();
      status.textContent = '';
      reasonInput.removeAttribute('aria-invalid');
      const reason = reasonInput.value.trim();
      if (!reason) {
        status.textContent = 'Give a reason: it is recorded in the audit trail.';
        reasonInput.setAttribute('aria-invalid', 'true');
        reasonInput.focus();
        return;
      }
      try {
        const data = await gql(
          'mutation ConsoleRollback($to: Int!, $reason: String!, $expected: Int!) { rollback(toVersion: $to, reason: $reason, expectedVersion: $expected) { version } }',
          { to: entry.previousVersion, reason, expected: currentVersion },
        );
        setStatus(`Restored version ${entry.previousVersion} as policy version ${data.rollback.version}.`);
        await load();
      } catch (error) {
        if (error.code === 'CONFLICT') {
          status.textContent = `Not rolled back: the policy changed meanwhile (now version ${error.extensions.currentVersion}). The list is refreshed: check it, then try again.`;
          await load();
        } else {
          status.textContent = `Not rolled back: ${error.code ? `[${error.code}] ` : ''}${error.message}`;
        }
      }
    }

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      load();
    });
    await load();
  }

  // Live: subscriptions per partner, recent change events, recent policy versions.
  async function livePage() {
    let timer = null;
    async function refresh() {
      clearTimeout(timer);
      try {
        const credential = readCredential();
        if (!credential) return signOut('signin');
        const [live, versions] = await Promise.all([
          request(`${BASE}/live.json`, { method: 'GET' }, credential),
          gql('query ConsoleVersions { versions(limit: 10) { version createdAt actor action reason } }'),
        ]);
        draw(live, versions.versions);
      } catch (error) {
        if (error.status === 401) return signOut('expired');
        showError(error, '#live-summary');
      }
      if ($('#live-auto').checked && !document.hidden) timer = setTimeout(refresh, 3000);
    }
    function table(caption, headings, rows, attrs = {}) {
      return h(
        'table',
        attrs,
        h('caption', {}, caption),
        h('thead', {}, h('tr', {}, headings.map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell, index) => (index ? h('td', {}, cell) : h('th', { scope: 'row' }, cell)))))),
      );
    }
    function draw(live, versions) {
      const subscriptions = live.subscriptions || [];
      const events = live.events || [];
      const total = subscriptions.reduce((sum, row) => sum + row.count, 0);
      $('#live-summary').textContent = `${total} active subscription(s); ${events.length} recent event(s); updated ${new Date().toLocaleTimeString()}.`;
      $('#live-notes').replaceChildren(...live.notes.map((note) => h('li', {}, note)));
      $('#live-subscriptions').replaceChildren(
        table(`${total} active in this gateway process`, ['Partner', 'Subscription', 'Active'], subscriptions.map((row) => [row.partner, row.field, String(row.count)]), { id: 'subscriptions-table' }),
      );
      $('#live-events').replaceChildren(
        table('Newest first', ['Event id', 'When', 'Entity', 'Key', 'Changed', 'Version', 'Partners'], events.map((row) => [row.id, when(row.at), row.type, JSON.stringify(row.key), row.changed.join(', '), String(row.version), row.partners.join(', ')]), { id: 'events-table' }),
      );
      $('#live-versions').replaceChildren(
        table('Newest first', ['Version', 'When', 'By', 'Action', 'Reason'], versions.map((row) => [String(row.version), when(row.createdAt), row.actor, row.action, row.reason])),
      );
    }
    $('#live-refresh').addEventListener('click', refresh);
    $('#live-auto').addEventListener('change', refresh);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) refresh();
    });
    await refresh();
  }

  // --- start --------------------------------------------------------------------------------

  const PAGES = { signin: signinPage, graph: graphPage, rules: rulesPage, preview: previewPage, audit: auditPage, live: livePage };

  async function start() {
    const page = body.dataset.page;
    if (page !== 'signin') {
      const credential = readCredential();
      if (!credential) return signOut('signin');
      $('#sign-out')?.addEventListener('click', () => signOut('signed-out'));
      const whoLabel = $('#who');
      if (whoLabel) whoLabel.textContent = credential.kind === 'apikey' ? 'Signed in with an API key' : 'Signed in with a token';
    }
    try {
      await PAGES[page]?.();
      body.dataset.ready = 'true';
    } catch (error) {
      showError(error);
      body.dataset.ready = 'error';
    }
  }
  start();
})();
