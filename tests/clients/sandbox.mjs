// What every client-library test shares: the base URL of the `weft sandbox` under test (run.sh
// starts one and passes it in WEFT_SANDBOX_URL), the credentials it accepts, and its admin API.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

const url = process.env.WEFT_SANDBOX_URL;
if (!url) {
  throw new Error('WEFT_SANDBOX_URL is not set: run these tests through tests/clients/run.sh <weft binary>, ' +
                  'or start `weft sandbox` and export its URL');
}
export const baseUrl = url.replace(/\/+$/, '');

// The sandbox's defaults (docs/sandbox.md, "Credentials"), or what the environment gave both.
const env = (name, fallback) => process.env[name] || fallback;
export const credentials = {
  stripeApiKey: env('STRIPE_API_KEY', 'sk_test_weft_demo'),
  zendeskEmail: env('ZENDESK_EMAIL', 'demo@weft.example'),
  zendeskApiToken: env('ZENDESK_API_TOKEN', 'zd_demo_token'),
  netsuiteAccountId: env('NETSUITE_ACCOUNT_ID', '1234567_SB1'),
  netsuiteConsumerKey: env('NETSUITE_CONSUMER_KEY', 'ns_demo_consumer_key'),
  netsuiteConsumerSecret: env('NETSUITE_CONSUMER_SECRET', 'ns_demo_consumer_secret'),
  netsuiteTokenId: env('NETSUITE_TOKEN_ID', 'ns_demo_token_id'),
  netsuiteTokenSecret: env('NETSUITE_TOKEN_SECRET', 'ns_demo_token_secret'),
  salesforceClientId: env('SALESFORCE_CLIENT_ID', 'sf_demo_client_id'),
  salesforceClientSecret: env('SALESFORCE_CLIENT_SECRET', 'sf_demo_client_secret'),
};

// The test files run at the same time against one sandbox: each names what it creates with
// this run's suffix and looks only at its own records, never at counts.
export function uniqueSuffix() {
  return randomBytes(4).toString('hex');
}

// GET /_sandbox/state: every record the emulators hold, by platform and type.
export async function sandboxState() {
  const response = await fetch(`${baseUrl}/_sandbox/state`);
  assert.equal(response.status, 200, 'GET /_sandbox/state');
  return response.json();
}

// The one record of `records` with field `key` equal to `value` (asserts there is exactly one).
export function onlyRecord(records, key, value) {
  assert.ok(Array.isArray(records), `expected a list of records, got ${JSON.stringify(records)}`);
  const found = records.filter((record) => record[key] === value);
  assert.equal(found.length, 1, `records with ${key} = ${JSON.stringify(value)}`);
  return found[0];
}
