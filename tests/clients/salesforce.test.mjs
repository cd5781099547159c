// Salesforce without a client library: the REST flow every client performs, with Node's fetch
// (a client-credentials token, then records and SOQL at the token's instance_url).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { baseUrl, credentials, onlyRecord, sandboxState, uniqueSuffix } from './sandbox.mjs';

async function token(clientSecret) {
  return fetch(`${baseUrl}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: credentials.salesforceClientId, client_secret: clientSecret,
    }),
  });
}

test('a client-credentials token, an Account created with it and found by SOQL', async () => {
  const granted = await token(credentials.salesforceClientSecret);
  assert.equal(granted.status, 200);
  const { access_token: accessToken, instance_url: instanceUrl, token_type: tokenType } = await granted.json();
  assert.equal(tokenType, 'Bearer');
  assert.equal(instanceUrl, baseUrl);

  const api = (path, init = {}) => fetch(`${instanceUrl}/services/data/v60.0${path}`, {
    ...init, headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
  });
  const name = `Globex ${uniqueSuffix()}`;
  const created = await api('/sobjects/Account', { method: 'POST', body: JSON.stringify({ Name: name }) });
  assert.equal(created.status, 201);
  const { id, success } = await created.json();
  assert.equal(success, true);
  assert.match(id, /^001[A-Za-z0-9]{15}$/);

  const queried = await api(`/query?q=${encodeURIComponent(`SELECT Id, Name FROM Account WHERE Name = '${name}'`)}`);
  assert.equal(queried.status, 200);
  const result = await queried.json();
  assert.equal(result.totalSize, 1);
  assert.equal(result.done, true);
  assert.equal(result.records[0].Id, id);
  assert.equal(result.records[0].attributes.type, 'Account');

  const { salesforce } = await sandboxState();
  assert.equal(onlyRecord(salesforce.Account, 'Id', id).Name, name);
});

test('a wrong client secret gets invalid_client', async () => {
  const refused = await token('not_the_client_secret');
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), { error: 'invalid_client', error_description: 'invalid client credentials' });
});
