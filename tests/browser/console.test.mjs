// The web console end to end, in Debian's chromium (playwright-core), against a `weft demo` of
// a few customers that this test starts on free ports and stops: sign in (the session cookie's
// attributes checked), every control of every page reached by Tab, the overview filling while
// the scenario plays, a credit over the policy limit approved by finance-ops and then found as
// a NetSuite credit memo and on the ticket, an exception retried after fixing its input, a
// lineage timeline followed, the workflow pages, a billing-vs-ERP reconciliation started and
// its lines filtered, and the audit log as platform-admin after
// signing out. axe-core runs on every page (no serious or critical violation); a screenshot of
// every page goes to WEFT_ARTIFACTS.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const weft = process.env.WEFT_BINARY;
const repo = process.env.WEFT_REPO;
const artifacts = process.env.WEFT_ARTIFACTS;
assert.ok(weft && repo && artifacts, 'run through tests/browser/run.sh');

const config = join(repo, 'examples/demo.yaml');
const data = mkdtempSync(join(tmpdir(), 'weft-console-'));
const zendeskAuth = `Basic ${Buffer.from('demo@weft.example/token:zd_demo_token').toString('base64')}`;
const INVOICE_FIELD = 360000101;
const AMOUNT_FIELD = 360000102;

let demo;
let demoErr = '';
let hub;
let sandbox;
let browser;
let page;
const keys = {};
const tickets = {};
const usedInvoices = new Set();  // each test credits an invoice of its own

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(250);
  }
}

async function createKey(name, role) {
  const { stdout } = await promisify(execFile)(weft, ['keys', 'create', '-c', config, '--storage',
    `sqlite:${join(data, 'weft.db')}`, '--name', name, '--role', role]);
  return stdout.trim().split('\n').pop();
}

async function sandboxState() {
  const r = await fetch(`${sandbox}/_sandbox/state`);
  assert.equal(r.status, 200);
  return r.json();
}

async function createTicket(organizationId, subject, fields) {
  const r = await fetch(`${sandbox}/api/v2/tickets.json`, {
    method: 'POST',
    headers: { Authorization: zendeskAuth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ticket: {
      subject, comment: { body: subject }, organization_id: organizationId,
      tags: ['service_credit_request'], type: 'question', custom_fields: fields,
    } }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text).ticket;
}

// Every visible control of the page (links, buttons, fields) is reached by Tab alone. Controls
// are named by what they are and say, not by element, since the overview redraws itself.
async function checkKeyboard(name) {
  const wanted = await page.evaluate(() => {
    globalThis.weftDescribeControl = (e) => [e.tagName.toLowerCase(), e.getAttribute('href') || '', e.id || '',
      (e.getAttribute('aria-label') || e.textContent || e.getAttribute('name') || '').trim().slice(0, 60)].join('|');
    const controls = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, summary';
    return [...new Set([...document.querySelectorAll(controls)]
      .filter((e) => e.getClientRects().length > 0).map(globalThis.weftDescribeControl))];
  });
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const seen = new Set();
  for (let presses = 0; presses < wanted.length * 3 + 10 && wanted.some((w) => !seen.has(w)); ++presses) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => (document.activeElement && document.activeElement !== document.body
      ? globalThis.weftDescribeControl(document.activeElement) : null));
    if (focused) seen.add(focused);
  }
  assert.deepEqual(wanted.filter((w) => !seen.has(w)), [], `controls not reachable by Tab on ${name}`);
}

async function checkPage(name) {
  await checkKeyboard(name);
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
    `axe on ${name}`);
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function signIn(key) {
  await page.goto(`${hub}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-name').waitFor();
}

before(async () => {
  demo = spawn(weft, ['demo', '-c', config, '--data', data, '--listen', '127.0.0.1:0',
    '--sandbox-listen', '127.0.0.1:0', '--customers', '6', '--seed', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let spawnError = null;
  demo.on('error', (error) => { spawnError = error; });
  demo.stdout.resume();
  demo.stderr.on('data', (chunk) => { demoErr += chunk; });
  const started = await eventually('weft demo to start', () => {
    if (spawnError) throw spawnError;
    if (demo.exitCode !== null) throw new Error(`weft demo exited ${demo.exitCode}: ${demoErr}`);
    return /weft demo: hub (http:\S+), sandbox (http:\S+),/.exec(demoErr);
  }, 30_000);
  [, hub, sandbox] = started;
  keys.finance = await createKey('fin-approver', 'finance-ops');
  keys.admin = await createKey('ops-admin', 'platform-admin');
  browser = await chromium.launch({
    executablePath: process.env.WEFT_CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (error) => { throw error; });
});

after(async () => {
  if (browser) await browser.close();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await eventually('weft demo to stop', () => demo.exitCode !== null, 30_000).catch(() => demo.kill('SIGKILL'));
  }
  rmSync(data, { recursive: true, force: true });
});

test('signs in with a key; the session cookie is HttpOnly, Secure and SameSite=Strict', async () => {
  await page.goto(`${hub}/console/`);
  await checkPage('sign-in');
  await page.getByLabel('API key').fill('weft_not-a-real-key-not-a-real-key-not-a-rea');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That key is unknown or revoked.').waitFor();
  await signIn(keys.finance);
  assert.equal(await page.locator('#who-name').textContent(), 'fin-approver (finance-ops)');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'weft_session');
  assert.ok(session, 'the browser kept the session cookie on http://127.0.0.1');
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the cookie');
  // A POST with the cookie but without the CSRF token is refused.
  const refused = await page.evaluate(async () => (await fetch('/v1/exceptions/x/retry', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status);
  assert.equal(refused, 403);
});

test('the overview fills while the scenario runs', async () => {
  await page.goto(`${hub}/console/#/overview`);
  await eventually('events in on the overview', async () => Number(await page.locator('#events-in').textContent()) > 0);
  await eventually('workflows completed on the overview',
    async () => Number(await page.locator('#workflows-completed').textContent()) > 0, 120_000);
  assert.ok(await page.getByRole('img', { name: /Events in per minute/ }).count() >= 1);
  assert.ok(await page.getByRole('cell', { name: 'netsuite' }).count() >= 1);
  // The demo config's SLOs, as the hub last computed them.
  await eventually('the SLOs on the overview',
    async () => (await page.getByRole('cell', { name: 'credits-posted-fast' }).count()) === 1);
  assert.equal(await page.getByRole('cell', { name: 'credit-exceptions' }).count(), 1);
  await checkPage('overview');
});

// The demo's scenario at rest; a paid invoice over the credit we ask and its customer's
// Zendesk organization.
async function quietCustomer(minTotal) {
  await eventually('the scenario to finish', () => demoErr.includes('Serving until Ctrl-C'), 240_000);
  const state = await sandboxState();
  const credited = new Set(state.stripe.credit_notes.map((n) => n.invoice));
  for (const invoice of state.stripe.invoices) {
    if (invoice.status !== 'paid' || invoice.total < minTotal || credited.has(invoice.id) || usedInvoices.has(invoice.id)) continue;
    const org = state.zendesk.organizations.find((o) => o.external_id === invoice.customer);
    if (org) {
      usedInvoices.add(invoice.id);
      return { invoice, org };
    }
  }
  throw new Error(`no paid invoice of at least ${minTotal} without credit notes in the scenario`);
}

test('finance-ops approves a credit over the limit; the memo reaches NetSuite and the ticket', async () => {
  const { invoice, org } = await quietCustomer(15_000);
  const ticket = await createTicket(org.id, 'Console test: credit over the policy limit', [
    { id: INVOICE_FIELD, value: invoice.id }, { id: AMOUNT_FIELD, value: 12_000 }]);
  tickets.approval = ticket.id;
  await page.goto(`${hub}/console/#/approvals`);
  const card = page.locator('li.card', { hasText: `ticket ${ticket.id}` });
  await eventually('the approval in the inbox', async () => {
    await page.reload();
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
    return (await card.count()) === 1;
  });
  assert.match(await card.locator('.amount').textContent(), /^120\.00 /);
  assert.ok((await card.textContent()).includes(invoice.customer));
  await checkPage('approvals');
  await card.getByLabel(/Comment/).fill('within the customer contract');
  await card.getByRole('button', { name: 'Approve' }).click();
  await page.getByText(/approved\./).waitFor();

  const memo = await eventually('the credit memo in NetSuite and the outcome on the ticket', async () => {
    const state = await sandboxState();
    const note = state.stripe.credit_notes.find((n) => n.metadata && n.metadata.zendesk_ticket_id === String(ticket.id));
    if (!note) return null;
    const posted = state.netsuite.creditMemo.find((m) => m.externalId === note.id);
    const t = state.zendesk.tickets.find((x) => x.id === ticket.id);
    return posted && t.tags.includes('service_credit_issued') ? { note, posted } : null;
  });
  assert.equal(memo.note.total, 12_000);
});

test('an exception is retried after its input is fixed', async () => {
  const { invoice, org } = await quietCustomer(1_000);
  // The ticket names an invoice Stripe does not have: the workflow's invoice lookup fails.
  const ticket = await createTicket(org.id, 'Console test: wrong invoice', [
    { id: INVOICE_FIELD, value: 'in_0000missing' }, { id: AMOUNT_FIELD, value: 500 }]);
  await page.goto(`${hub}/console/#/exceptions`);
  const item = page.locator('details.exception', { hasText: `zen:ticket:${ticket.id}` });
  await eventually('the exception in the workbench', async () => {
    await page.reload();
    await page.locator('h1', { hasText: 'Exceptions' }).waitFor();
    return (await item.count()) === 1;
  });
  await item.locator('summary').click();
  const editor = item.getByLabel(/Input of the failed step/);
  assert.match(await editor.inputValue(), /in_0000missing/);
  await checkPage('exceptions');
  await editor.fill(JSON.stringify({ id: invoice.id }));
  await item.getByRole('button', { name: 'Retry' }).click();
  await page.getByText(/retried with the edited input/).waitFor();
  await eventually('the credit note of the retried request', async () => {
    const state = await sandboxState();
    const t = state.zendesk.tickets.find((x) => x.id === ticket.id);
    return t.tags.includes('service_credit_issued');
  });
});

test('follows a lineage timeline from a ticket to the workflow', async () => {
  await page.goto(`${hub}/console/#/lineage`);
  await page.getByLabel('Search by').selectOption('ticket');
  await page.getByLabel('Id').fill(String(tickets.approval));
  await page.getByRole('button', { name: 'Show timeline' }).click();
  const timeline = page.getByRole('list', { name: `Timeline of zen:ticket:${tickets.approval}` });
  await timeline.waitFor();
  const text = await timeline.textContent();
  for (const kind of ['raw event', 'workflow', 'outbound', 'decision']) assert.ok(text.includes(kind), `${kind} in the timeline`);
  assert.ok(text.includes('approved by fin-approver: within the customer contract'), 'the decision names who made it');
  await checkPage('lineage');
  await timeline.getByRole('link', { name: 'instance' }).first().click();
  await page.locator('#instance-status').waitFor();
  assert.equal((await page.locator('#instance-status').textContent()).trim(), 'completed');
  assert.ok(await page.getByRole('table', { name: 'SLA timers' }).count() === 1);
  await checkPage('workflow-instance');
});

test('lists workflows with filters', async () => {
  await page.goto(`${hub}/console/#/workflows`);
  await page.getByLabel('Workflow', { exact: true }).fill('service-credit');
  await page.getByLabel('Status').selectOption('completed');
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = page.getByRole('table').locator('tbody tr');
  await eventually('filtered instances', async () => (await rows.count()) >= 2);
  for (const status of await rows.locator('td:nth-child(4)').allTextContents()) assert.equal(status, 'completed');
  await checkPage('workflows');
});

test('finance-ops reconciles billing against the ERP and filters the lines', async () => {
  await eventually('the scenario to finish', () => demoErr.includes('Serving until Ctrl-C'), 240_000);
  await page.goto(`${hub}/console/#/reconciliation`);
  await page.locator('h1', { hasText: 'Reconciliation' }).waitFor();
  assert.match(await page.getByLabel(/^From/).inputValue(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await checkPage('reconciliation');
  await page.getByRole('button', { name: 'Start reconciliation' }).click();
  await eventually('the run to complete', async () => (
    (await page.locator('#reconciliation-status').textContent().catch(() => '')).trim() === 'completed'), 120_000);
  const perVerdict = page.getByRole('table', { name: 'Lines per verdict' });
  await perVerdict.waitFor();
  const matched = Number(await perVerdict.locator('tr', { hasText: /^matched/ }).locator('td').nth(1).textContent());
  assert.ok(matched > 0, 'the demo\'s posted invoices match');
  assert.equal(await page.getByRole('table', { name: 'Totals per currency (major units)' }).count(), 1);
  await page.getByLabel('Verdict').selectOption('matched');
  await page.getByRole('button', { name: 'Show lines' }).click();
  const lines = page.getByRole('table', { name: 'Lines (matched)' }).locator('tbody tr');
  await eventually('the matched lines', async () => (await lines.count()) === matched);
  for (const verdict of await lines.locator('td:nth-child(1)').allTextContents()) assert.equal(verdict, 'matched');
  // Each line links to the hub's posting of the invoice.
  assert.ok(await lines.first().getByRole('link').count() >= 1);
  await checkPage('reconciliation-run');
  await page.getByRole('link', { name: 'All reconciliation runs' }).click();
  await page.getByRole('table', { name: 'Reconciliation runs (newest first)' }).waitFor();
  assert.equal(await page.getByRole('table', { name: 'Reconciliation runs (newest first)' }).locator('tbody tr').count(), 1);
});

test('signs out; platform-admin reads the audit log', async () => {
  assert.equal(await page.locator('#nav-audit').isHidden(), true);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Signed out.').waitFor();
  const after = await page.evaluate(async () => (await fetch('/v1/overview')).status);
  assert.equal(after, 401);
  await signIn(keys.admin);
  await page.getByRole('link', { name: 'Audit' }).click();
  const log = page.getByRole('table', { name: /Audit log/ });
  await log.waitFor();
  const text = await log.textContent();
  assert.ok(text.includes('approval.decide') && text.includes('exception.retry'), text);
  assert.ok(text.includes('reconciliation.start'), text);
  await checkPage('audit');
});
