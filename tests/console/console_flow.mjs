// Drives the admin console in headless Chromium (playwright-core, Debian's /usr/bin/chromium)
// through the issue-7 story, while a reseller's live subscription runs beside it (graphql-ws):
// sign in, read the matrix, watch the live panel, preview as the reseller, publish a rule
// (inline condition error first), meet a stale edit, preview again, see the audit entry and its
// diff, roll back. Saves a screenshot of each main screen.
//
// argv[2]: JSON {baseUrl, wsUrl, chromium, artifacts, adminToken, otherAdminToken, resellerToken,
// adminApiKey}.
// Prints one JSON line per step; the last one is {step: "done", ...} or {step: "failed", ...}.
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(new URL('../node/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const config = JSON.parse(process.argv[2]);
const WAIT_MS = 30000; // a bound on waiting for something that should happen, not a timing check
const log = (step, detail = {}) => process.stdout.write(`${JSON.stringify({ step, ...detail })}\n`);
const check = (condition, message) => {
  if (!condition) throw new Error(message);
};

// --- outside the browser: the test hook, another admin, the reseller's subscription -------

async function emitDealEvent() {
  const response = await fetch(`${config.baseUrl}/test/deal-event`, { method: 'POST' });
  check(response.ok, `the test hook answered ${response.status}`);
  return response.json();
}

async function adminApi(token, query, variables) {
  const response = await fetch(`${config.baseUrl}/admin/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  check(!body.errors, `admin API: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function subscribeAsReseller() {
  const received = [];
  let wake = () => {};
  const client = createClient({
    url: config.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${config.resellerToken}` },
    retryAttempts: 0,
    lazy: false,
  });
  const push = (item) => {
    received.push(item);
    wake();
  };
  const unsubscribe = client.subscribe(
    { query: 'subscription ResellerDeals { dealChanged(filter: {partnerId: "P-R01"}) { id notes } }' },
    { next: push, error: (error) => push({ failed: JSON.stringify(error?.reason ?? error?.message ?? error) }), complete: () => {} },
  );
  return {
    async event(number) {
      const deadline = Date.now() + WAIT_MS;
      while (received.length < number) {
        check(Date.now() < deadline, `the subscription never got event ${number}: ${JSON.stringify(received)}`);
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, 250);
        });
      }
      const payload = received[number - 1];
      check(!payload.failed, `the subscription failed: ${payload.failed}`);
      return payload;
    },
    close() {
      unsubscribe();
      client.dispose();
    },
  };
}

// --- the browser ----------------------------------------------------------------------------

mkdirSync(config.artifacts, { recursive: true });
const userDataDir = mkdtempSync(path.join(tmpdir(), 'pg-console-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: config.chromium,
  headless: true,
  viewport: { width: 1366, height: 860 },
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(WAIT_MS);
const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(String(error)));
page.on('console', (message) => {
  if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
});
const shot = (name, fullPage = true) => page.screenshot({ path: path.join(config.artifacts, `${name}.png`), fullPage });
const base = `${config.baseUrl}/admin`;
const text = async (selector) => (await page.textContent(selector)) ?? '';
const waitText = (selector, needle) =>
  page.waitForFunction(
    ([sel, want]) => (document.querySelector(sel)?.textContent ?? '').includes(want),
    [selector, needle],
  );

async function open(slug) {
  await page.goto(`${base}/${slug}`);
  await page.waitForSelector('body[data-ready="true"]');
  // Every form control has a label (or an aria-label).
  const unlabelled = await page.$$eval('input, select, textarea', (elements) =>
    elements.filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map((el) => el.id || el.outerHTML),
  );
  check(unlabelled.length === 0, `${slug}: controls without a label: ${unlabelled}`);
}

async function preview(query) {
  await open('preview');
  check((await page.inputValue('#pv-partner')) === 'P-R01', 'the preview does not default to reseller P-R01');
  await page.fill('#pv-query', query);
  await page.click('#preview-form button[type="submit"]');
  await waitText('#preview-meta', 'policy version');
  return JSON.parse(await text('#preview-response'));
}

const subscription = subscribeAsReseller();
const summary = {};
try {
  // Sign in: a bad credential is refused inline, the admin token gets in (keyboard only).
  await page.goto(base);
  check(page.url() === `${base}/`, `/admin did not lead to the sign-in page: ${page.url()}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.keyboard.type('not-a-token');
  await page.keyboard.press('Enter');
  await waitText('#signin-error', 'Not signed in');
  check((await page.getAttribute('#cred-value', 'aria-invalid')) === 'true', 'the refused credential is not marked invalid');
  await shot('01-signin-refused');
  await page.fill('#cred-value', config.adminToken);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/graph`);
  await page.waitForSelector('body[data-ready="true"]');
  log('signed in');

  // Graph & access: the tree and the matrix for Deal.
  await page.waitForSelector('#matrix-table');
  const notesCells = await page.$$eval('td[data-coordinate="Deal.notes"]', (cells) => cells.map((cell) => cell.dataset.decision));
  check(notesCells[0] === 'deny', `anonymous should be denied Deal.notes: ${notesCells}`);
  check(notesCells[3] !== 'deny', `reseller P-R01 should see Deal.notes before the change: ${notesCells}`);
  check((await page.$$('#tree details')).length > 5, 'the schema tree is missing');
  await page.keyboard.press('Tab');
  const firstFocus = await page.evaluate(() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]);
  check(firstFocus[0] === 'Skip to content', `the first Tab stop is ${firstFocus[0]}`);
  await shot('02-graph-matrix');
  summary.matrixBefore = notesCells;
  log('matrix', { notesCells });
  // A principal column of the admin's own: a bad partner id is refused inline.
  await page.click('#add-column summary');
  await page.fill('#col-label', 'Reseller P-R03');
  await page.selectOption('#col-kind', 'RESELLER');
  await page.fill('#col-partner', 'P R03 with spaces');
  await page.click('#column-form button[type="submit"]');
  await waitText('#col-error', 'Not added');
  await page.fill('#col-label', 'Reseller P-R03');
  await page.fill('#col-partner', 'P-R03');
  await page.click('#column-form button[type="submit"]');
  await waitText('#matrix-table thead', 'Reseller P-R03');
  const columns = await page.$$eval('#matrix-table thead th', (cells) => cells.length);
  check(columns === 10, `the matrix has ${columns} header cells`);
  await shot('02b-graph-custom-column');

  // A cell names its deciding rules; following one opens it in the rule form.
  await page.click('td[data-coordinate="Deal.vendorMargin"][data-decision="deny"] a');
  await page.waitForSelector('body[data-ready="true"]');
  await waitText('#form-heading', 'Edit rule reseller-no-margin');
  check((await page.inputValue('#rule-target')) === 'Deal.vendorMargin', 'the rule form holds another rule');

  // Live: the reseller's subscription is counted; an event reaches it with the notes.
  await open('live');
  await page.waitForFunction(() => /P-R01\s*dealChanged\s*1/.test(document.querySelector('#subscriptions-table')?.innerText ?? ''));
  const first = await emitDealEvent();
  const delivered = await subscription.event(1);
  check(delivered.data?.dealChanged?.notes === first.notes, `event 1: ${JSON.stringify(delivered)}`);
  check(!delivered.errors, `event 1 has errors: ${JSON.stringify(delivered.errors)}`);
  await page.click('#live-refresh');
  await waitText('#events-table', first.eventId);
  await shot('03-live');
  log('live', { eventId: first.eventId, notes: delivered.data.dealChanged.notes });

  // View as reseller P-R01, before the change.
  const dealQuery = `query OneDeal { deal(id: "${first.dealId}") { id notes } }`;
  const before = await preview(dealQuery);
  check(before.data?.deal?.notes === first.notes && !before.errors, `preview before: ${JSON.stringify(before)}`);
  await shot('04-preview-before');

  // Rules: a new deny rule; the bad condition is named inline and nothing is published.
  const startVersion = (await adminApi(config.adminToken, '{ policy { version } }')).policy.version;
  await open('rules?target=Deal.notes');
  check((await page.inputValue('#rule-target')) === 'Deal.notes', 'the target was not prefilled');
  await page.fill('#rule-id', 'reseller-no-notes');
  await page.selectOption('#rule-effect', 'DENY');
  await page.fill('#rule-kinds', 'RESELLER');
  await page.fill('#rule-condition', 'record.notes ==');
  await page.fill('#rule-reason', 'Deal notes are internal');
  await page.click('#publish');
  await waitText('#rule-condition-error', 'condition');
  check((await page.getAttribute('#rule-condition', 'aria-invalid')) === 'true', 'the condition is not marked invalid');
  const unchanged = (await adminApi(config.adminToken, '{ policy { version } }')).policy.version;
  check(unchanged === startVersion, 'an invalid rule changed the policy');
  await shot('05-rule-invalid-condition', false);
  summary.conditionError = await text('#rule-condition-error');
  await page.fill('#rule-condition', '');
  await page.click('#publish');
  await waitText('#status', 'Published rule reseller-no-notes as policy version');
  const created = Number((await text('#status')).match(/version (\d+)/)[1]);
  check(created === startVersion + 1, `created as version ${created}`);
  log('published', { version: created });

  // A stale edit: another admin publishes meanwhile; the console shows it, overwrites nothing.
  const other = await adminApi(
    config.otherAdminToken,
    `mutation Other($rule: RuleInput!, $expected: Int!) {
      updateRule(rule: $rule, reason: "margin wording", expectedVersion: $expected) { version }
    }`,
    {
      rule: { id: 'reseller-no-margin', target: 'Deal.vendorMargin', effect: 'DENY', principals: { partnerKinds: ['RESELLER'] }, description: 'The margin is the vendor\'s business.' },
      expected: created,
    },
  );
  const otherVersion = other.updateRule.version;
  await page.fill('#rule-description', 'Resellers never see deal notes.');
  await page.fill('#rule-reason', 'describe the rule');
  await page.click('#publish');
  await page.waitForSelector('#conflict:not([hidden])');
  const conflictText = await text('#conflict');
  check(conflictText.includes('someone else changed the policy'), `conflict panel: ${conflictText}`);
  check(conflictText.includes(`version ${otherVersion}`) && conflictText.includes('other-admin'), `conflict panel: ${conflictText}`);
  const stored = (await adminApi(config.adminToken, '{ rule(id: "reseller-no-notes") { description } }')).rule;
  check(stored.description === '', 'the stale edit was written');
  check((await page.inputValue('#rule-description')) === 'Resellers never see deal notes.', 'the draft was lost');
  await shot('06-stale-edit', false);
  await page.click('#rebase');
  await page.click('#publish');
  await waitText('#status', `as policy version ${otherVersion + 1}`);
  log('stale edit', { otherVersion, republished: otherVersion + 1 });

  // View as reseller P-R01 again: the notes are now denied.
  const after = await preview(dealQuery);
  check(after.data?.deal?.id === first.dealId && after.data.deal.notes === null, `preview after: ${JSON.stringify(after)}`);
  check(after.errors?.some((error) => error.extensions?.code === 'FORBIDDEN' && error.path?.join('.') === 'deal.notes'), `preview after: ${JSON.stringify(after)}`);
  await waitText('#preview-errors', 'FORBIDDEN');
  await shot('07-preview-after');

  // The live subscription stops receiving the denied field.
  const second = await emitDealEvent();
  const denied = await subscription.event(2);
  check(denied.data?.dealChanged?.id === second.dealId && denied.data.dealChanged.notes === null, `event 2: ${JSON.stringify(denied)}`);
  check(denied.errors?.some((error) => error.extensions?.code === 'FORBIDDEN'), `event 2: ${JSON.stringify(denied)}`);
  check(!JSON.stringify(denied).includes(second.notes), 'the denied notes reached the subscriber');
  log('subscription denied', { event: denied });

  // Audit: filter by admin and target, read the diff, roll the creation back.
  await open('audit');
  await page.fill('#au-actor', 'console-admin');
  await page.fill('#au-target', 'Deal.notes');
  await page.click('#audit-filter button[type="submit"]');
  await waitText('#audit-summary', 'change(s) shown (admin console-admin, target Deal.notes)');
  const createdEntry = `article[data-version="${created}"]`;
  await page.waitForSelector(createdEntry);
  check(await page.$(`article[data-version="${otherVersion + 1}"]`), 'the update is not in the audit trail');
  check(!(await page.$(`article[data-version="${otherVersion}"]`)), 'the filter let another admin\'s change through');
  const diff = await page.$$eval(`${createdEntry} table.diff tr[data-changed="true"]`, (rows) => rows.map((row) => row.innerText.replace(/\s+/g, ' ').trim()));
  check(diff.some((row) => row.startsWith('effect') && row.includes('"deny"')), `diff: ${diff}`);
  check(diff.some((row) => row.startsWith('target') && row.includes('"Deal.notes"')), `diff: ${diff}`);
  await shot('08-audit');
  await page.click(`${createdEntry} button[aria-expanded]`);
  await page.keyboard.type('Notes are fine to share after all');
  await page.keyboard.press('Enter');
  await waitText('#status', `Restored version ${created - 1} as policy version ${otherVersion + 2}`);
  await waitText('#audit-summary', 'the policy is at version');
  await shot('09-rolled-back');
  // The date filter: today's changes are there, nothing before today.
  const today = await page.evaluate(() => new Date().toLocaleDateString('en-CA'));
  const yesterday = await page.evaluate(() => new Date(Date.now() - 86400000).toLocaleDateString('en-CA'));
  await page.fill('#au-since', today);
  await page.click('#audit-filter button[type="submit"]');
  await waitText('#audit-summary', `3 change(s) shown (admin console-admin, target Deal.notes, from ${today})`);
  await page.fill('#au-since', '');
  await page.fill('#au-until', yesterday);
  await page.click('#audit-filter button[type="submit"]');
  await waitText('#audit-summary', `0 change(s) shown (admin console-admin, target Deal.notes, to ${yesterday})`);
  log('rolled back', { restored: created - 1, version: otherVersion + 2 });

  // After the rollback the reseller sees the notes again, in a preview and live.
  const restored = await preview(dealQuery);
  check(typeof restored.data?.deal?.notes === 'string' && !restored.errors, `preview restored: ${JSON.stringify(restored)}`);
  await shot('10-preview-restored');
  const third = await emitDealEvent();
  const again = await subscription.event(3);
  check(again.data?.dealChanged?.notes === third.notes, `event 3: ${JSON.stringify(again)}`);

  // A credential the admin API stops accepting sends the admin back to sign in.
  await page.evaluate(() => sessionStorage.setItem('partnergraph.admin.credential', JSON.stringify({ kind: 'token', value: 'expired.token.value' })));
  await page.goto(`${base}/audit`);
  await page.waitForURL(`${base}/?expired`);
  await waitText('#status', 'refused or has expired');
  check((await page.evaluate(() => sessionStorage.length)) === 0, 'the refused credential was kept');
  await page.fill('#cred-value', config.adminToken);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/graph`);
  await page.waitForSelector('body[data-ready="true"]');

  // Sign out: the credential is gone from the tab; an API key signs in too.
  await page.click('#sign-out');
  await waitText('#status', 'Signed out.');
  check((await page.evaluate(() => sessionStorage.length)) === 0, 'sign-out left the credential behind');
  await page.goto(`${base}/rules`);
  await page.waitForURL(`${base}/?signin`);
  await page.selectOption('#cred-kind', 'apikey');
  await page.fill('#cred-value', config.adminApiKey);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/graph`);
  await page.waitForSelector('body[data-ready="true"]');
  log('api key sign-in');

  check(pageErrors.length === 0, `errors in the page: ${pageErrors}`);
  Object.assign(summary, { created, otherVersion, rolledBack: otherVersion + 2 });
  log('done', summary);
} catch (error) {
  await shot('failure').catch(() => {});
  log('failed', { error: String(error?.stack ?? error), pageErrors });
  process.exitCode = 1;
} finally {
  subscription.close();
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
