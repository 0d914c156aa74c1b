// Mutual TLS: only the agent's certificate gets an answer; anything else is refused at the
// TLS layer (closed without any HTTP response).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { startSimulator, isTrustedAgent, describeTrustedAgent, type RunningSimulator } from '../src/index.js';
import { makeClient, makeTestHome, makeTestPki, type SimClient, type TestHome, type TestPki } from './support/home.js';

describe('mutual TLS with the agent certificate', () => {
  let pki: TestPki;
  let home: TestHome;
  let sim: RunningSimulator;
  let client: SimClient;

  before(async () => {
    pki = makeTestPki();
    home = makeTestHome(pki);
    sim = await startSimulator({ home: home.path, port: 0 });
    client = makeClient(sim.url, pki);
  });
  after(async () => {
    await sim.close();
    home.remove();
  });

  test("the agent's certificate is answered", async () => {
    assert.equal((await client.call('GET', '/senebi/v1/ping')).status, 200);
  });

  test('a client without a certificate is refused', async () => {
    await assert.rejects(client.call('GET', '/senebi/v1/ping', undefined, null));
  });

  test('another certificate signed by the SENEBI CA is refused', async () => {
    await assert.rejects(client.call('GET', '/senebi/v1/ping', undefined, pki.intruder));
    await assert.rejects(client.call('GET', '/admin/v1/counters', undefined, pki.intruder));
  });

  test("a certificate with the agent's name from another CA is refused", async () => {
    await assert.rejects(client.call('GET', '/senebi/v1/ping', undefined, pki.foreign));
  });

  test('the trust check accepts the fingerprint or the CN of agent.crt and nothing else', () => {
    const agent = describeTrustedAgent(pki.agent.certPem);
    assert.equal(agent.commonName, 'agent-210');
    const intruder = new X509Certificate(pki.intruder.certPem);
    assert.equal(isTrustedAgent({ fingerprint256: agent.fingerprint256, subject: { CN: 'x' } }, agent), true);
    assert.equal(isTrustedAgent({ fingerprint256: intruder.fingerprint256, subject: { CN: 'agent-210' } }, agent), true);
    assert.equal(isTrustedAgent({ fingerprint256: intruder.fingerprint256, subject: { CN: 'someone-else' } }, agent), false);
    assert.equal(isTrustedAgent(undefined, agent), false);
  });
});
