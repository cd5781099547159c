// NetSuite REST with Token-Based Authentication: requests signed by the oauth-1.0a library
// (HMAC-SHA256, realm = account id) and sent with Node's fetch, as a SuiteTalk user would.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import OAuth from 'oauth-1.0a';

import { baseUrl, credentials, sandboxState, uniqueSuffix } from './sandbox.mjs';

// A function sending signed requests to /services/rest with the given consumer secret.
function netsuiteClient(consumerSecret) {
  const oauth = OAuth({
    consumer: { key: credentials.netsuiteConsumerKey, secret: consumerSecret },
    signature_method: 'HMAC-SHA256',
    realm: credentials.netsuiteAccountId,
    hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
  });
  const token = { key: credentials.netsuiteTokenId, secret: credentials.netsuiteTokenSecret };
  return (method, path, body) => {
    const url = path.startsWith('http') ? path : `${baseUrl}/services/rest${path}`;
    const headers = oauth.toHeader(oauth.authorize({ url, method }, token));
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
}

const netsuite = netsuiteClient(credentials.netsuiteConsumerSecret);

// The state's NetSuite customers with this external id.
async function customersWithExternalId(externalId) {
  const { customer } = (await sandboxState()).netsuite;
  return customer.filter((record) => record.externalId === externalId);
}

test('a signed request creates a customer and a signed GET reads it back', async () => {
  const externalId = `weft-${uniqueSuffix()}`;
  const created = await netsuite('POST', '/record/v1/customer', {
    externalId, companyName: `Acme ${externalId}`, email: `ap-${externalId}@example.com`,
  });
  assert.equal(created.status, 204, await created.text());
  const location = created.headers.get('location');
  assert.match(location, /\/services\/rest\/record\/v1\/customer\/\d+$/);

  const read = await netsuite('GET', location);
  assert.equal(read.status, 200);
  const customer = await read.json();
  assert.equal(customer.id, location.split('/').pop());
  assert.equal(customer.externalId, externalId);
  assert.equal(customer.companyName, `Acme ${externalId}`);

  // A query string is part of what is signed.
  const listed = await netsuite('GET', `/record/v1/customer?q=${encodeURIComponent(`externalId IS ${externalId}`)}&limit=5`);
  assert.equal(listed.status, 200);
  const page = await listed.json();
  assert.deepEqual(page.items.map((item) => item.id), [customer.id]);

  const stored = await customersWithExternalId(externalId);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].id, customer.id);
});

test('a request signed with a wrong consumer secret is rejected and changes nothing', async () => {
  const externalId = `weft-${uniqueSuffix()}`;
  const forged = netsuiteClient('not_the_consumer_secret');
  const response = await forged('POST', '/record/v1/customer', { externalId, companyName: `Forged ${externalId}` });
  assert.equal(response.status, 401);
  const body = await response.json();
  assert.equal(body.status, 401);
  assert.equal(body['o:errorDetails'][0]['o:errorCode'], 'INVALID_LOGIN');
  assert.match(body['o:errorDetails'][0].detail, /Invalid login attempt/);

  assert.deepEqual(await customersWithExternalId(externalId), []);
});
