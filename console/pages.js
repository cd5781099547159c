// The console's pages. Each takes the <main> element and its route's parameters, fills it
// from /v1, and may return a function that stops what it started (the overview's polling).

import { api, allPages } from './api.js';
import { badge, barChart, clear, el, money, pre, rowChart, say, table, time } from './ui.js';

function heading(main, text) {
  clear(main).append(el('h1', {}, text));
  document.title = `${text} · Weft console`;
}

function failure(main, error) {
  main.append(el('p', { class: 'error', role: 'alert' }, `Could not load: ${error.message}`));
}

function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return el('div', { class: 'field' }, el('label', { for: id }, label), control);
}

// --- Overview ---------------------------------------------------------------------------

export function overview(main) {
  heading(main, 'Overview');
  const body = el('div', { id: 'overview' }, el('p', {}, 'Loading…'));
  main.append(body);
  let stopped = false;
  let timer = null;
  const percent = (x) => `${(x * 100).toFixed(1)}%`;
  const sloTarget = (s) => (s.kind === 'sla'
    ? `${percent(s.ratio)} of ${s.sla} met in ${s.window} (objective ${percent(s.objective)})`
    : `${s.open_exceptions} open exceptions (at most ${s.max_open})`);
  const draw = (o, slos) => {
    const minutes = o.per_minute.map((m) => ({ label: time(m.minute).slice(11, 16), value: m.events_in }));
    const done = o.per_minute.map((m) => ({ label: time(m.minute).slice(11, 16), value: m.workflows_completed }));
    const eventsTotal = minutes.reduce((s, m) => s + m.value, 0);
    const doneTotal = done.reduce((s, m) => s + m.value, 0);
    const inFlight = o.workflows.reduce((s, w) => s + w.in_flight, 0);
    const breaches = o.workflows.reduce((s, w) => s + w.sla_breaches, 0);
    const open = o.exceptions_open.reduce((s, e) => s + e.count, 0);
    const tile = (id, label, value) => el('div', { class: 'tile' },
      el('span', { class: 'tile-label', id: `${id}-label` }, label),
      el('span', { class: 'tile-value', id, 'aria-describedby': `${id}-label` }, String(value)));
    clear(body).append(
      el('section', { 'aria-label': 'Totals', class: 'tiles' },
        tile('events-in', `Events in (last ${o.window_minutes} min)`, eventsTotal),
        tile('workflows-completed', `Workflows completed (last ${o.window_minutes} min)`, doneTotal),
        tile('in-flight', 'Workflows in flight', inFlight),
        tile('sla-breaches', 'SLA breaches', breaches),
        tile('exceptions-open', 'Open exceptions', open),
        tile('events-unprocessed', 'Event log backlog', o.queues.events_unprocessed),
        tile('tasks-due', 'Task queue (due now)', o.queues.tasks_due)),
      el('section', { 'aria-labelledby': 'h-activity' },
        el('h2', { id: 'h-activity' }, 'Activity per minute'),
        el('div', { class: 'charts' },
          barChart('Events in per minute', minutes),
          barChart('Workflows completed per minute', done))),
      el('section', { 'aria-labelledby': 'h-workflows' },
        el('h2', { id: 'h-workflows' }, 'Workflows'),
        rowChart('Workflows in flight per type', o.workflows.map((w) => ({ label: w.workflow, value: w.in_flight }))),
        table('Workflows by type', [
          { title: 'Workflow', cell: (w) => el('a', { href: `#/workflows?workflow=${encodeURIComponent(w.workflow)}` }, w.workflow) },
          { title: 'In flight', cell: (w) => w.in_flight },
          { title: 'Completed', cell: (w) => w.completed },
          { title: 'Failed', cell: (w) => w.failed },
          { title: 'SLA breaches', cell: (w) => w.sla_breaches },
        ], o.workflows)),
      el('section', { 'aria-labelledby': 'h-slos' },
        el('h2', { id: 'h-slos' }, 'Service level objectives'),
        table('SLOs', [
          { title: 'SLO', cell: (s) => s.name },
          { title: 'Workflow', cell: (s) => s.workflow },
          { title: 'State', cell: (s) => badge(s.state) },
          { title: 'Measured', cell: sloTarget },
          { title: 'Error budget left', cell: (s) => percent(s.error_budget_remaining) },
          { title: 'Since', cell: (s) => time(s.since) },
        ], slos, 'none configured (slos: in the config).')),
      el('section', { 'aria-labelledby': 'h-exceptions' },
        el('h2', { id: 'h-exceptions' }, 'Open exceptions by class'),
        o.exceptions_open.length
          ? rowChart('Open exceptions by class', o.exceptions_open.map((e) => ({ label: e.class, value: e.count })))
          : el('p', { class: 'empty' }, 'No open exceptions.')),
      el('section', { 'aria-labelledby': 'h-connectors' },
        el('h2', { id: 'h-connectors' }, 'Connector health'),
        table('Connectors', [
          { title: 'Connector', cell: (c) => c.connector },
          { title: 'Circuit', cell: (c) => badge(c.circuit) },
          { title: 'Rate-limit headroom', cell: (c) => (c.rate_limit
            ? `${c.rate_limit.available} of ${c.rate_limit.burst} (${c.rate_limit.per_second}/s)${c.rate_limit.penalised ? ', held by Retry-After' : ''}`
            : 'unlimited') },
          { title: 'Last error', cell: (c) => (c.last_error ? `${time(c.last_error.at)} ${c.last_error.class}: ${c.last_error.message}` : 'none') },
        ], o.connectors)),
      el('p', { class: 'muted' }, `Updated ${time(o.generated_at)}; refreshes every 3 seconds.`));
  };
  const poll = async () => {
    try {
      const [o, slos] = await Promise.all([api('GET', '/v1/overview'), api('GET', '/v1/slos')]);
      draw(o, slos.data);
    } catch (error) {
      say(`Overview: ${error.message}`);
    }
    if (!stopped) timer = setTimeout(poll, 3000);
  };
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// --- Approvals ------------------------------------------------------------------------------

// The business context of a service-credit approval, read from the workflow state it carries.
export function creditContext(ctx = {}) {
  const vars = ctx.vars || {};
  const ticket = ctx.ticket && ctx.ticket.ticket;
  const invoice = ctx.stripe_invoice || {};
  const org = ctx.organization && ctx.organization.organization;
  const currency = invoice.currency;
  const per = (vars.minor_units_per_major || {})[currency] || 100;
  const custom = (id) => ((ticket && ticket.custom_fields) || []).find((f) => f.id === id);
  const amountField = custom(vars.amount_field_id ?? 360000102);
  const open = (ctx.open_invoices && ctx.open_invoices.data) || [];
  const exposure = open.reduce((s, i) => s + (i.amount_remaining || 0), 0);
  const prior = (invoice.pre_payment_credit_notes_amount || 0) + (invoice.post_payment_credit_notes_amount || 0);
  return {
    customer: org ? `${org.name || 'organization'} (${org.external_id || 'not linked'})` : (ctx.account && ctx.account.id) || '—',
    amount: amountField ? money(Number(amountField.value), currency, per) : '—',
    invoice: invoice.id ? `${invoice.number || invoice.id} (${invoice.status || '?'}, total ${money(invoice.total, currency, per)})` : '—',
    exposure: open.length ? `${money(exposure, currency, per)} on ${open.length} open invoice(s)` : 'no open invoices',
    prior: money(prior, currency, per),
    ticketId: ticket && ticket.id,
    ticketUrl: ticket && ticket.url,
  };
}

export async function approvals(main, params, session) {
  heading(main, 'Approvals');
  main.append(el('p', { class: 'muted' }, `Pending approvals for ${session.role}.`));
  let pending;
  try {
    pending = await allPages('/v1/approvals');
  } catch (error) {
    return failure(main, error);
  }
  if (!pending.length) {
    main.append(el('p', { class: 'empty', id: 'no-approvals' }, 'Nothing waits for a decision.'));
    return;
  }
  const list = el('ul', { class: 'cards', 'aria-label': 'Pending approvals' });
  for (const a of pending) {
    const c = creditContext(a.context || {});
    const comment = el('textarea', { rows: 2, id: `comment-${a.id}` });
    const decide = async (decision) => {
      try {
        await api('POST', `/v1/approvals/${encodeURIComponent(a.id)}/decision`,
          comment.value.trim() ? { decision, comment: comment.value.trim() } : { decision });
        say(`Approval ${a.id}: ${decision === 'approve' ? 'approved' : 'rejected'}.`);
        approvals(main, params, session);
      } catch (error) {
        say(`Approval ${a.id}: ${error.message}`);
      }
    };
    const mayDecide = a.role === session.role;
    list.append(el('li', { class: 'card', 'data-approval': a.id },
      el('h2', {}, a.title),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Customer'), el('dd', {}, c.customer),
        el('dt', {}, 'Amount'), el('dd', { class: 'amount' }, c.amount),
        el('dt', {}, 'Invoice'), el('dd', {}, c.invoice),
        el('dt', {}, 'Invoice exposure'), el('dd', {}, c.exposure),
        el('dt', {}, 'Prior credits on the invoice'), el('dd', {}, c.prior),
        el('dt', {}, 'Ticket'), el('dd', {}, c.ticketId
          ? el('a', { href: `#/lineage/${encodeURIComponent(`zen:ticket:${c.ticketId}`)}` }, `Zendesk ticket ${c.ticketId} (lineage)`)
          : '—'),
        el('dt', {}, 'Asked'), el('dd', {}, `${time(a.created_at)} for ${a.role}${a.requested_by ? `, by ${a.requested_by}` : ''}`),
        el('dt', {}, 'Workflow'), el('dd', {}, el('a', { href: `#/workflows/${encodeURIComponent(a.instance_id)}` }, a.instance_id))),
      mayDecide
        ? el('div', { class: 'actions' },
          field('Comment (needed to reject)', comment),
          el('button', { type: 'button', class: 'primary', onclick: () => decide('approve') }, 'Approve'),
          el('button', { type: 'button', onclick: () => decide('reject') }, 'Reject'))
        : el('p', { class: 'muted' }, `Only ${a.role} decides this.`)));
  }
  main.append(list);
}

// --- Exceptions -------------------------------------------------------------------------

function rootCause(e) {
  return `${e.workflow || 'no workflow'} · ${e.step || 'no step'} · ${e.class}: ${e.reason}`;
}

export async function exceptions(main) {
  heading(main, 'Exceptions');
  let open;
  try {
    open = await allPages('/v1/exceptions?status=open');
  } catch (error) {
    return failure(main, error);
  }
  if (!open.length) {
    main.append(el('p', { class: 'empty', id: 'no-exceptions' }, 'No open exceptions.'));
    return;
  }
  const groups = new Map();
  for (const e of open) {
    const key = rootCause(e);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  }
  const refresh = () => exceptions(main);
  const retry = async (e, body) => {
    await api('POST', `/v1/exceptions/${encodeURIComponent(e.id)}/retry`, body);
  };
  main.append(el('p', { class: 'muted' }, `${open.length} open, in ${groups.size} group(s) by workflow, step and root cause.`));
  let n = 0;
  for (const [cause, items] of groups) {
    n += 1;
    const first = items[0];
    const bulk = async () => {
      let done = 0;
      for (const e of items) {
        try {
          await retry(e, {});
          done += 1;
        } catch (error) {
          say(`Retry of ${e.id}: ${error.message}`);
        }
      }
      say(`Retried ${done} of ${items.length} exception(s).`);
      refresh();
    };
    const section = el('section', { class: 'group', 'aria-labelledby': `group-${n}` },
      el('h2', { id: `group-${n}` }, `${first.workflow || 'no workflow'} · ${first.step || 'no step'}`),
      el('p', {}, badge(first.class), ' ', first.reason),
      el('p', {}, `${items.length} open. `,
        el('button', { type: 'button', onclick: bulk, 'aria-label': `Retry all ${items.length} in group: ${cause}` }, `Retry all ${items.length}`)));
    for (const e of items) {
      const input = e.context && Object.prototype.hasOwnProperty.call(e.context, 'input') ? e.context.input : undefined;
      const original = input === undefined ? '' : JSON.stringify(input, null, 2);
      const editor = el('textarea', { rows: 6, class: 'code', id: `input-${e.id}` }, original);
      const reason = el('input', { type: 'text', id: `reason-${e.id}` });
      const doRetry = async () => {
        let body = {};
        if (editor.value.trim() !== original.trim()) {
          try {
            body = { input: JSON.parse(editor.value) };
          } catch (error) {
            say(`The input of ${e.id} is not JSON: ${error.message}`);
            editor.focus();
            return;
          }
        }
        try {
          await retry(e, body);
          say(`Exception ${e.id} retried${body.input ? ' with the edited input' : ''}.`);
          refresh();
        } catch (error) {
          say(`Retry of ${e.id}: ${error.message}`);
        }
      };
      const doDiscard = async () => {
        if (!reason.value.trim()) {
          say('Say why before discarding.');
          reason.focus();
          return;
        }
        try {
          await api('POST', `/v1/exceptions/${encodeURIComponent(e.id)}/discard`, { reason: reason.value.trim() });
          say(`Exception ${e.id} discarded.`);
          refresh();
        } catch (error) {
          say(`Discard of ${e.id}: ${error.message}`);
        }
      };
      section.append(el('details', { class: 'exception', 'data-exception': e.id },
        el('summary', {}, `${e.id} · ${time(e.created_at)} · ${(e.context && e.context.business_key) || ''}`),
        el('dl', { class: 'facts' },
          el('dt', {}, 'Error'), el('dd', { class: 'error-text' }, `${e.class}: ${e.reason}`),
          el('dt', {}, 'Instance'), el('dd', {}, e.instance_id
            ? el('a', { href: `#/workflows/${encodeURIComponent(e.instance_id)}` }, e.instance_id) : '—')),
        el('h3', {}, 'Payload and context'),
        pre(e.context),
        input === undefined ? el('p', { class: 'muted' }, 'This step takes no input to edit: fix the cause, then retry.') : field('Input of the failed step (JSON; edit, then retry)', editor),
        el('div', { class: 'actions' },
          el('button', { type: 'button', class: 'primary', onclick: doRetry }, 'Retry'),
          field('Reason to discard', reason),
          el('button', { type: 'button', onclick: doDiscard }, 'Discard'))));
    }
    main.append(section);
  }
}

// --- Lineage ----------------------------------------------------------------------------

const KINDS = [
  ['any', 'Correlation id, business key or instance id'],
  ['customer', 'Customer (Stripe id cus_…)'],
  ['invoice', 'Invoice (Stripe id in_…)'],
  ['ticket', 'Zendesk ticket number'],
];

function lineageKey(kind, text) {
  const t = text.trim();
  if (kind === 'ticket' && /^\d+$/.test(t)) return `zen:ticket:${t}`;
  return t;
}

function entryText(e) {
  switch (e.kind) {
    case 'raw_event': return `${e.connector} sent ${e.type || 'an event'} (${e.event_id || ''})`;
    case 'canonical_event': return `${e.type} for ${e.business_key || ''}`;
    case 'workflow': return `workflow ${e.workflow || ''} ${e.status || 'started'} (${e.instance_id || e.id || ''})`;
    case 'step': return `step ${e.step || ''}: ${e.event || e.status || ''}${e.attempt ? ` (attempt ${e.attempt})` : ''}`;
    case 'outbound': return `call ${e.action || ''}: ${e.outcome || ''} (key ${e.idempotency_key || ''})`;
    case 'decision': return `${e.event || 'decided'} by ${e.by || 'unknown'}${e.comment ? `: ${e.comment}` : ''}`;
    default: return e.kind;
  }
}

export async function lineage(main, params) {
  heading(main, 'Lineage');
  const kind = el('select', { id: 'lineage-kind' }, KINDS.map(([v, label]) => el('option', { value: v }, label)));
  const text = el('input', { type: 'search', id: 'lineage-key', required: true, value: params.key || '' });
  const results = el('div', { id: 'lineage-results' });
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Lineage search' },
    field('Search by', kind), field('Id', text), el('button', { type: 'submit', class: 'primary' }, 'Show timeline'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/lineage/${encodeURIComponent(lineageKey(kind.value, text.value))}`;
  });
  main.append(form, results);
  if (!params.key) return;
  try {
    const l = await api('GET', `/v1/lineage/${encodeURIComponent(params.key)}`);
    results.append(el('h2', {}, `Timeline of ${l.key}`));
    if (!l.entries.length) {
      results.append(el('p', { class: 'empty' }, 'Nothing recorded under this id.'));
      return;
    }
    results.append(el('ol', { class: 'timeline', 'aria-label': `Timeline of ${l.key}` }, l.entries.map((e) =>
      el('li', { class: `entry entry-${e.kind}` },
        el('span', { class: 'when' }, time(e.at)), ' ',
        badge(e.kind.replace('_', ' '), e.kind), ' ',
        el('span', { class: 'what' }, entryText(e)),
        e.instance_id ? [' ', el('a', { href: `#/workflows/${encodeURIComponent(e.instance_id)}` }, 'instance')] : null))));
    if (l.truncated) results.append(el('p', { class: 'muted' }, 'Only the first 1,000 entries are shown.'));
  } catch (error) {
    failure(results, error);
  }
}

// --- Workflows --------------------------------------------------------------------------

const STATUSES = ['', 'running', 'waiting', 'completed', 'failed', 'discarded'];

export async function workflows(main, params) {
  heading(main, 'Workflows');
  const workflow = el('input', { type: 'text', id: 'wf-workflow', value: params.workflow || '' });
  const status = el('select', { id: 'wf-status' }, STATUSES.map((s) => el('option', { value: s, selected: s === (params.status || '') }, s || 'any')));
  const key = el('input', { type: 'text', id: 'wf-key', value: params.key || '' });
  const form = el('form', { class: 'filters', 'aria-label': 'Workflow filters' },
    field('Workflow', workflow), field('Status', status), field('Business key', key),
    el('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (workflow.value.trim()) q.set('workflow', workflow.value.trim());
    if (status.value) q.set('status', status.value);
    if (key.value.trim()) q.set('key', key.value.trim());
    location.hash = `#/workflows?${q}`;
  });
  main.append(form);
  const q = new URLSearchParams();
  for (const name of ['workflow', 'status', 'key']) if (params[name]) q.set(name, params[name]);
  q.set('limit', '100');
  try {
    const page = await api('GET', `/v1/workflows?${q}`);
    main.append(table('Workflow instances (newest 100 that match)', [
      { title: 'Instance', cell: (w) => el('a', { href: `#/workflows/${encodeURIComponent(w.id)}` }, w.id) },
      { title: 'Workflow', cell: (w) => `${w.workflow} v${w.version}` },
      { title: 'Business key', cell: (w) => w.business_key },
      { title: 'Status', cell: (w) => badge(w.status) },
      { title: 'Created', cell: (w) => time(w.created_at) },
      { title: 'Updated', cell: (w) => time(w.updated_at) },
    ], page.data, 'no instance matches.'));
  } catch (error) {
    failure(main, error);
  }
}

export async function workflow(main, params) {
  heading(main, `Workflow instance ${params.id}`);
  try {
    const w = await api('GET', `/v1/workflows/${encodeURIComponent(params.id)}`);
    main.append(
      el('dl', { class: 'facts' },
        el('dt', {}, 'Workflow'), el('dd', {}, `${w.workflow} v${w.version}`),
        el('dt', {}, 'State'), el('dd', { id: 'instance-status' }, badge(w.status)),
        el('dt', {}, 'Business key'), el('dd', {}, el('a', { href: `#/lineage/${encodeURIComponent(w.business_key)}` }, w.business_key)),
        el('dt', {}, 'Correlation id'), el('dd', {}, el('a', { href: `#/lineage/${encodeURIComponent(w.correlation_id)}` }, w.correlation_id)),
        el('dt', {}, 'Created'), el('dd', {}, time(w.created_at)),
        el('dt', {}, 'Next due'), el('dd', {}, time(w.next_due_at))),
      el('h2', {}, 'SLA timers'),
      table('SLA timers', [
        { title: 'SLA', cell: (s) => `${s.name} (${s.from} → ${s.to})` },
        { title: 'State', cell: (s) => badge(s.state) },
        { title: 'Elapsed', cell: (s) => (s.elapsed_seconds === null ? '—' : `${s.elapsed_seconds.toFixed(1)} s`) },
        { title: 'Limit', cell: (s) => `${s.limit_seconds} s` },
      ], w.slas, 'this workflow has none.'),
      el('h2', {}, 'Milestones'),
      table('Milestones', [
        { title: 'Milestone', cell: (m) => m[0] },
        { title: 'Reached', cell: (m) => time(m[1]) },
      ], Object.entries(w.milestones)),
      el('h2', {}, 'Step history'),
      table('Step history', [
        { title: 'At', cell: (h) => time(h.at) },
        { title: 'Step', cell: (h) => h.step },
        { title: 'What', cell: (h) => h.kind },
        { title: 'Attempt', cell: (h) => h.attempt },
        { title: 'Detail', cell: (h) => (h.detail === null ? '' : JSON.stringify(h.detail)) },
      ], w.history),
      el('details', {}, el('summary', {}, 'Workflow state'), pre(w.state)));
  } catch (error) {
    failure(main, error);
  }
}

// --- Audit ------------------------------------------------------------------------------

export async function audit(main) {
  heading(main, 'Audit log');
  try {
    const records = (await allPages('/v1/audit', 1000)).reverse();
    main.append(table(`Audit log (${records.length} records, newest first; at most the first 1,000)`, [
      { title: 'Seq', cell: (a) => a.seq },
      { title: 'At', cell: (a) => time(a.at) },
      { title: 'Actor', cell: (a) => a.actor },
      { title: 'Action', cell: (a) => a.action },
      { title: 'Target', cell: (a) => a.target },
      { title: 'After', cell: (a) => JSON.stringify(a.after) },
    ], records));
  } catch (error) {
    failure(main, error);
  }
}

// --- Reconciliation ---------------------------------------------------------------------

const VERDICTS = ['matched', 'pending', 'missing_in_erp', 'amount_mismatch', 'currency_mismatch',
  'payment_missing', 'duplicate_in_erp', 'void_but_posted', 'missing_in_billing'];
const RECONCILERS = ['finance-ops', 'platform-admin'];

function runLink(r) {
  return el('a', { href: `#/reconciliation/${encodeURIComponent(r.id)}` }, r.id);
}

function amount(side) {
  return side ? `${side.amount} ${(side.currency || `currency ${side.currency_id}`).toUpperCase()}` : '—';
}

// Runs, newest first, and (for the roles that may) a form to start one.
export async function reconciliations(main, params, session) {
  heading(main, 'Reconciliation');
  main.append(el('p', { class: 'muted' },
    'Billing (Stripe) against the ERP (NetSuite): every invoice created in a period, read from both platforms, with a verdict.'));
  if (session && RECONCILERS.includes(session.role)) {
    const to = new Date();
    const from = new Date(to.getTime() - 24 * 3600 * 1000);
    const iso = (d) => d.toISOString().replace(/\.\d+Z$/, 'Z');
    const fromInput = el('input', { type: 'text', id: 'rec-from', value: iso(from), 'aria-describedby': 'rec-help' });
    const toInput = el('input', { type: 'text', id: 'rec-to', value: iso(to), 'aria-describedby': 'rec-help' });
    const form = el('form', { class: 'filters', 'aria-labelledby': 'rec-start' },
      el('h2', { id: 'rec-start' }, 'Start a reconciliation'),
      field('From (invoices created at or after)', fromInput),
      field('To (created before)', toInput),
      el('button', { type: 'submit', class: 'primary' }, 'Start reconciliation'),
      el('p', { id: 'rec-help', class: 'muted' }, 'ISO-8601 times in UTC, like 2026-11-25T10:00:00Z; at most 366 days.'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const run = await api('POST', '/v1/reconciliations', { from: fromInput.value.trim(), to: toInput.value.trim() });
        say(`Reconciliation ${run.id} started.`);
        location.hash = `#/reconciliation/${encodeURIComponent(run.id)}`;
      } catch (error) {
        const fields = error.problem && error.problem.invalid_params;
        say(fields ? fields.map((f) => `${f.name.replace('/', '')}: ${f.reason}`).join('; ') : `Could not start: ${error.message}`);
        fromInput.focus();
      }
    });
    main.append(form);
  }
  try {
    const page = await api('GET', `/v1/reconciliations?limit=50${params.cursor ? `&cursor=${encodeURIComponent(params.cursor)}` : ''}`);
    main.append(table('Reconciliation runs (newest first)', [
      { title: 'Run', cell: runLink },
      { title: 'Status', cell: (r) => badge(r.status) },
      { title: 'Period', cell: (r) => `${time(r.from)} – ${time(r.to)}` },
      { title: 'Requested by', cell: (r) => r.requested_by },
      { title: 'Started', cell: (r) => time(r.started_at) },
      { title: 'Differences', cell: (r) => (r.summary ? String(r.summary.differences) : r.error || '—') },
    ], page.data, 'none yet.'));
    if (page.next_cursor) {
      main.append(el('p', {}, el('a', { href: `#/reconciliation?cursor=${encodeURIComponent(page.next_cursor)}` }, 'Older runs')));
    }
  } catch (error) {
    failure(main, error);
  }
}

// One run: its summary, and its lines filtered by verdict, each linking to what the hub did.
// A run still being read is read again every 2 s until it ends or the page is left.
export async function reconciliation(main, params) {
  let timer = null;
  let left = false;
  const poll = () => {
    timer = setTimeout(() => {
      if (!left) showRun(main, params, poll);
    }, 2000);
  };
  await showRun(main, params, poll);
  return () => {
    left = true;
    clearTimeout(timer);
  };
}

async function showRun(main, params, poll) {
  heading(main, `Reconciliation ${params.id}`);
  const q = new URLSearchParams({ limit: '200' });
  if (params.verdict) q.set('verdict', params.verdict);
  if (params.cursor) q.set('cursor', params.cursor);
  let run;
  try {
    run = await api('GET', `/v1/reconciliations/${encodeURIComponent(params.id)}?${q}`);
  } catch (error) {
    failure(main, error);
    return;
  }
  main.append(el('p', {}, el('a', { href: '#/reconciliation' }, 'All reconciliation runs')),
    el('dl', { class: 'facts' },
      el('dt', {}, 'Status'), el('dd', { id: 'reconciliation-status' }, badge(run.status)),
      el('dt', {}, 'Invoices created'), el('dd', {}, `${time(run.from)} – ${time(run.to)}`),
      el('dt', {}, 'Requested by'), el('dd', {}, run.requested_by),
      el('dt', {}, 'Started'), el('dd', {}, time(run.started_at)),
      el('dt', {}, 'Finished'), el('dd', {}, time(run.finished_at)),
      run.error ? [el('dt', {}, 'Error'), el('dd', { class: 'error-text' }, run.error)] : null));
  if (run.status === 'running') {
    // Read again shortly: the run is read in the background.
    main.append(el('p', { class: 'muted' }, 'Reading both platforms; this page updates when the run ends.'));
    poll();
    return;
  }
  if (!run.summary) return;
  const s = run.summary;
  main.append(el('h2', {}, 'Summary'),
    el('p', { id: 'reconciliation-differences' }, `${s.lines} line(s), ${s.differences} difference(s).`),
    table('Lines per verdict', [
      { title: 'Verdict', cell: (v) => el('a', { href: `#/reconciliation/${encodeURIComponent(run.id)}?verdict=${v[0]}` }, v[0]) },
      { title: 'Lines', cell: (v) => String(v[1]) },
    ], Object.entries(s.verdicts)),
    table('Totals per currency (major units)', [
      { title: 'Currency', cell: (c) => c[0].toUpperCase() },
      { title: 'Billed', cell: (c) => c[1].billed },
      { title: 'Posted', cell: (c) => c[1].posted },
      { title: 'Difference', cell: (c) => c[1].difference },
    ], Object.entries(s.currencies), 'no invoices in the period.'));

  const verdict = el('select', { id: 'rec-verdict' },
    ['', ...VERDICTS].map((v) => el('option', { value: v, selected: v === (params.verdict || '') }, v || 'any')));
  const filter = el('form', { class: 'filters', 'aria-label': 'Line filter' },
    field('Verdict', verdict), el('button', { type: 'submit', class: 'primary' }, 'Show lines'));
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/reconciliation/${encodeURIComponent(run.id)}${verdict.value ? `?verdict=${verdict.value}` : ''}`;
  });
  main.append(el('h2', {}, 'Lines'), filter, table(`Lines${params.verdict ? ` (${params.verdict})` : ''}`, [
    { title: 'Verdict', cell: (l) => badge(l.verdict) },
    { title: 'Invoice', cell: (l) => el('a', { href: `#/lineage/${encodeURIComponent(l.invoice_id)}` }, l.invoice_id) },
    { title: 'Billing', cell: (l) => (l.billing ? `${l.billing.total} ${l.billing.currency.toUpperCase()} (${l.billing.status})` : '—') },
    { title: 'ERP invoice', cell: (l) => amount(l.erp.invoice) },
    { title: 'ERP payment', cell: (l) => amount(l.erp.payment) },
    { title: 'Posting', cell: (l) => (l.instance
      ? el('a', { href: `#/workflows/${encodeURIComponent(l.instance.id)}` }, `${l.instance.status}`) : '—') },
    { title: 'Exception', cell: (l) => (l.exception_id
      ? el('a', { href: '#/exceptions' }, l.exception_id) : '—') },
    { title: 'Detail', cell: (l) => l.detail },
  ], run.lines.data, 'no line has this verdict.'));
  if (run.lines.next_cursor) {
    const next = new URLSearchParams();
    if (params.verdict) next.set('verdict', params.verdict);
    next.set('cursor', run.lines.next_cursor);
    main.append(el('p', {}, el('a', { href: `#/reconciliation/${encodeURIComponent(run.id)}?${next}` }, 'Next lines')));
  }
}
