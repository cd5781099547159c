// Stripe's own Node library (stripe-node) against the sandbox's /v1: form-encoded bodies with
// bracket notation, its API version header, idempotency keys and its error classes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Stripe from 'stripe';

import { baseUrl, credentials, onlyRecord, sandboxState, uniqueSuffix } from './sandbox.mjs';

function stripeClient(apiKey) {
  const { hostname, port } = new URL(baseUrl);
  // Retries off: a retried request would hide an answer the library did not accept.
  return new Stripe(apiKey, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 0 });
}

const stripe = stripeClient(credentials.stripeApiKey);

test('a customer, an invoice and a credit note, as stripe-node sends and reads them', async () => {
  const suffix = uniqueSuffix();
  const email = `ada-${suffix}@example.com`;

  const customer = await stripe.customers.create({ email, name: 'Ada Lovelace', metadata: { run: suffix } });
  assert.match(customer.id, /^cus_/);
  assert.equal(customer.object, 'customer');
  assert.equal(customer.email, email);
  assert.deepEqual(customer.metadata, { run: suffix });

  const item = await stripe.invoiceItems.create({
    customer: customer.id, amount: 12000, currency: 'usd', description: 'Annual support',
  });
  assert.match(item.id, /^ii_/);
  assert.equal(item.amount, 12000);

  const draft = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
  assert.match(draft.id, /^in_/);
  assert.equal(draft.status, 'draft');
  assert.equal(draft.customer, customer.id);
  assert.equal(draft.total, 12000);

  const invoice = await stripe.invoices.finalizeInvoice(draft.id);
  assert.equal(invoice.status, 'open');
  assert.equal(invoice.amount_due, 12000);
  assert.ok(invoice.number, 'a finalized invoice has a number');

  const lines = await stripe.invoices.listLineItems(invoice.id);
  assert.deepEqual(lines.data.map((line) => line.amount), [12000]);

  const note = await stripe.creditNotes.create({ invoice: invoice.id, amount: 2500, reason: 'order_change' });
  assert.match(note.id, /^cn_/);
  assert.equal(note.object, 'credit_note');
  assert.equal(note.invoice, invoice.id);
  assert.equal(note.amount, 2500);
  assert.equal(note.reason, 'order_change');
  assert.equal(note.status, 'issued');

  const credited = await stripe.invoices.retrieve(invoice.id, { expand: ['customer'] });
  assert.equal(credited.amount_remaining, 9500, 'the credit note lowers what is left to pay');
  assert.equal(credited.customer.email, email, 'expand[]=customer gives the customer object');

  const notes = await stripe.creditNotes.list({ invoice: invoice.id });
  assert.deepEqual(notes.data.map((n) => n.id), [note.id]);

  const state = (await sandboxState()).stripe;
  assert.equal(onlyRecord(state.customers, 'id', customer.id).email, email);
  assert.equal(onlyRecord(state.invoices, 'id', invoice.id).status, 'open');
  assert.equal(onlyRecord(state.credit_notes, 'id', note.id).amount, 2500);
});

test('the same idempotency key twice creates one customer and replays the first answer', async () => {
  const suffix = uniqueSuffix();
  const key = `weft-client-test-${suffix}`;
  const params = { email: `grace-${suffix}@example.com`, name: 'Grace Hopper' };

  const first = await stripe.customers.create(params, { idempotencyKey: key });
  const again = await stripe.customers.create(params, { idempotencyKey: key });
  assert.equal(again.id, first.id);
  assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');

  const state = (await sandboxState()).stripe;
  onlyRecord(state.customers, 'email', params.email);

  await assert.rejects(stripe.customers.create({ ...params, name: 'Someone Else' }, { idempotencyKey: key }),
                       (error) => error instanceof Stripe.errors.StripeIdempotencyError);
});

test('a wrong API key is an authentication error naming the masked key', async () => {
  const wrong = stripeClient('sk_test_not_the_sandbox_key');
  await assert.rejects(wrong.customers.list({ limit: 1 }), (error) => {
    assert.ok(error instanceof Stripe.errors.StripeAuthenticationError, `got ${error.constructor.name}`);
    assert.equal(error.statusCode, 401);
    assert.equal(error.message, `Invalid API Key provided: sk_test_${'*'.repeat(15)}_key`);
    return true;
  });
});

test('an unknown customer is StripeInvalidRequestError resource_missing', async () => {
  await assert.rejects(stripe.customers.retrieve('cus_doesnotexist'), (error) => {
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, `got ${error.constructor.name}`);
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'resource_missing');
    assert.equal(error.param, 'id');
    return true;
  });
});
