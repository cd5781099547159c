// node-zendesk against the sandbox's /api/v2: API-token Basic auth, the {"ticket": {…}}
// envelopes, and the library's error for a 401.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import zendesk from 'node-zendesk';

import { baseUrl, credentials, onlyRecord, sandboxState, uniqueSuffix } from './sandbox.mjs';

function zendeskClient(token) {
  return zendesk.createClient({
    username: credentials.zendeskEmail,
    token,
    endpointUri: `${baseUrl}/api/v2`,
  });
}

const client = zendeskClient(credentials.zendeskApiToken);

test('a ticket created and updated through node-zendesk', async () => {
  const suffix = uniqueSuffix();
  const email = `customer-${suffix}@example.com`;

  const { result: created } = await client.tickets.create({
    ticket: {
      subject: `Printer on fire ${suffix}`,
      comment: { body: 'It started smoking after the update.' },
      requester: { name: 'Pat Customer', email },
      priority: 'high',
      tags: ['hardware'],
      external_id: `weft-${suffix}`,
    },
  });
  assert.ok(Number.isInteger(created.id), `ticket id ${created.id}`);
  assert.equal(created.subject, `Printer on fire ${suffix}`);
  assert.equal(created.status, 'new');
  assert.equal(created.priority, 'high');
  assert.deepEqual(created.tags, ['hardware']);
  assert.equal(created.external_id, `weft-${suffix}`);

  const { result: requester } = await client.users.show(created.requester_id);
  assert.equal(requester.email, email, 'the requester was found or created from {name, email}');

  const { result: updated } = await client.tickets.update(created.id, {
    ticket: {
      status: 'pending',
      priority: 'low',
      additional_tags: ['escalated'],
      comment: { body: 'Replacement unit on its way.', public: true },
    },
  });
  assert.equal(updated.id, created.id);
  assert.equal(updated.status, 'pending');
  assert.equal(updated.priority, 'low');
  assert.deepEqual([...updated.tags].sort(), ['escalated', 'hardware']);

  const { result: shown } = await client.tickets.show(created.id);
  assert.equal(shown.status, 'pending');
  assert.equal(shown.priority, 'low');

  const state = (await sandboxState()).zendesk;
  const stored = onlyRecord(state.tickets, 'id', created.id);
  assert.equal(stored.status, 'pending');
  assert.equal(stored.priority, 'low');
  assert.equal(stored.requester_id, requester.id);
  assert.deepEqual(state.ticket_comments[String(created.id)].map((comment) => comment.body),
                   ['It started smoking after the update.', 'Replacement unit on its way.']);
});

test('a wrong API token is rejected with Zendesk\'s 401', async () => {
  const wrong = zendeskClient('not_the_sandbox_token');
  await assert.rejects(wrong.tickets.list(), (error) => {
    assert.equal(error.statusCode, 401, `got ${error}`);
    assert.deepEqual(error.result, { error: "Couldn't authenticate you" });
    return true;
  });
});
