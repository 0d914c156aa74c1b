/**
 * The pure parts of the HTTP layer, with literal inputs: the loopback test, the connection
 * decision (including non-loopback peers), OU -> role, role checks and JSON body parsing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError, admitCaller, assertRole, decideConnection, isLoopbackAddress, isLosslessNumber, jsonNestingDepth, MAX_JSON_DEPTH, parseJsonObjectBody, resolveRole,
  REASON_NO_CERTIFICATE, REASON_NO_CLIENT_AUTH_EKU, REASON_NOT_AUTHORIZED, TLS_CIPHERS, TLS12_CIPHERS,
  type Caller, type ConnectionFacts,
} from '../src/index.js';

describe('isLoopbackAddress', () => {
  for (const address of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:127.1.2.3', '0:0:0:0:0:0:0:1']) {
    test(`${address} is loopback`, () => assert.equal(isLoopbackAddress(address), true));
  }
  for (const address of [undefined, '', '10.0.0.1', '192.0.2.2', '128.0.0.1', '126.255.255.255', '::2', '::ffff:10.0.0.1', 'fd00::1', '0.0.0.0', '::', 'localhost', '127.0.0.1.example', 'garbage']) {
    test(`${String(address)} is not loopback`, () => assert.equal(isLoopbackAddress(address), false));
  }
});

describe('decideConnection', () => {
  const valid: ConnectionFacts = { authorized: true, authorizationError: undefined, hasCertificate: true, clientAuthEku: true, remoteAddress: '192.0.2.10' };

  test('a verified certificate with clientAuth is accepted from any address', () => {
    assert.deepEqual(decideConnection(valid), { accept: true, certificate: 'valid', loopback: false });
    assert.deepEqual(decideConnection({ ...valid, remoteAddress: '::1' }), { accept: true, certificate: 'valid', loopback: true });
  });

  for (const reason of ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'INVALID_PURPOSE']) {
    test(`an unauthorized certificate (${reason}) is refused with that reason, from loopback too`, () => {
      for (const remoteAddress of ['192.0.2.10', '127.0.0.1', '::ffff:127.0.0.1']) {
        assert.deepEqual(decideConnection({ ...valid, authorized: false, authorizationError: reason, remoteAddress }), { accept: false, reason });
      }
    });
  }

  test('an unauthorized certificate without a reason gets a generic reason', () => {
    assert.deepEqual(decideConnection({ ...valid, authorized: false, authorizationError: undefined }), { accept: false, reason: REASON_NOT_AUTHORIZED });
  });

  test('a verified certificate without the clientAuth usage is refused, from loopback too', () => {
    for (const remoteAddress of ['192.0.2.10', '127.0.0.1']) {
      assert.deepEqual(decideConnection({ ...valid, clientAuthEku: false, remoteAddress }), { accept: false, reason: REASON_NO_CLIENT_AUTH_EKU });
    }
  });

  test('the client certificate policy: its reason refuses a verified certificate, and replaces a vague OpenSSL reason only', () => {
    assert.deepEqual(decideConnection({ ...valid, policyViolation: 'CERT_IS_CA' }), { accept: false, reason: 'CERT_IS_CA' });
    assert.deepEqual(decideConnection({ ...valid, remoteAddress: '127.0.0.1', policyViolation: 'CERT_OU_NOT_SINGLE' }), { accept: false, reason: 'CERT_OU_NOT_SINGLE' });
    assert.deepEqual(decideConnection({ ...valid, authorized: false, authorizationError: 'UNSPECIFIED', policyViolation: 'CERT_SIGNATURE_TOO_WEAK' }), { accept: false, reason: 'CERT_SIGNATURE_TOO_WEAK' });
    assert.deepEqual(decideConnection({ ...valid, authorized: false, authorizationError: undefined, policyViolation: 'CERT_KEY_TOO_WEAK' }), { accept: false, reason: 'CERT_KEY_TOO_WEAK' });
    assert.deepEqual(decideConnection({ ...valid, authorized: false, authorizationError: 'CERT_REVOKED', policyViolation: 'CERT_KEY_TOO_WEAK' }), { accept: false, reason: 'CERT_REVOKED' });
    assert.deepEqual(decideConnection({ ...valid, authorized: false, authorizationError: 'UNSPECIFIED' }), { accept: false, reason: 'UNSPECIFIED' });
    assert.deepEqual(decideConnection({ ...valid, clientAuthEku: false, policyViolation: 'CERT_IS_CA' }), { accept: false, reason: REASON_NO_CLIENT_AUTH_EKU });
  });

  test('no certificate from a non-loopback peer is refused', () => {
    for (const remoteAddress of ['192.0.2.10', '::ffff:10.1.2.3', 'fd00::2', undefined]) {
      assert.deepEqual(
        decideConnection({ authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT', hasCertificate: false, clientAuthEku: false, remoteAddress }),
        { accept: false, reason: REASON_NO_CERTIFICATE },
      );
    }
  });

  test('no certificate from a loopback peer is accepted as "absent"', () => {
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      assert.deepEqual(
        decideConnection({ authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT', hasCertificate: false, clientAuthEku: false, remoteAddress }),
        { accept: true, certificate: 'absent', loopback: true },
      );
    }
  });
});

describe('roles', () => {
  test('exactly one OU naming a role maps to that role', () => {
    assert.equal(resolveRole(['platform']), 'platform');
    assert.equal(resolveRole(['operator']), 'operator');
    assert.equal(resolveRole(['auditor']), 'auditor');
  });

  test('anything else has no role', () => {
    assert.equal(resolveRole([]), undefined);
    assert.equal(resolveRole(['Platform']), undefined);
    assert.equal(resolveRole(['trading']), undefined);
    assert.equal(resolveRole(['platform', 'operator']), undefined);
    assert.equal(resolveRole(['constructor']), undefined);
  });

  const base: Caller = { requestId: 'r', loopback: false, certificate: 'valid', subject: 'CN=x', serial: '01' };
  const codeOf = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return `${err.status} ${err.code}`;
    }
  };

  test('assertRole: 401 without certificate, 403 for an unknown OU or another role, passes for a listed role', () => {
    assert.equal(codeOf(() => assertRole({ ...base, certificate: 'absent', loopback: true }, ['platform'])), '401 CERTIFICATE_REQUIRED');
    assert.equal(codeOf(() => assertRole({ ...base, ou: 'trading' }, ['platform'])), '403 FORBIDDEN');
    assert.equal(codeOf(() => assertRole({ ...base, role: 'auditor', ou: 'auditor' }, ['platform', 'operator'])), '403 FORBIDDEN');
    assert.equal(codeOf(() => assertRole({ ...base, role: 'operator', ou: 'operator' }, ['platform', 'operator'])), undefined);
  });

  test('admitCaller: internal paths pass loopback only; elsewhere a valid certificate with a role; internal off loopback is 404 after 401/403', () => {
    const operator: Caller = { ...base, role: 'operator', ou: 'operator' };
    assert.equal(codeOf(() => admitCaller({ ...base, certificate: 'absent', loopback: true }, true)), undefined);
    assert.equal(codeOf(() => admitCaller({ ...base, ou: 'trading', loopback: true }, true)), undefined);
    assert.equal(codeOf(() => admitCaller({ ...base, certificate: 'absent', loopback: true }, false)), '401 CERTIFICATE_REQUIRED');
    assert.equal(codeOf(() => admitCaller({ ...base, ou: 'trading' }, false)), '403 FORBIDDEN');
    assert.equal(codeOf(() => admitCaller({ ...base, ou: 'trading', loopback: false }, true)), '403 FORBIDDEN');
    assert.equal(codeOf(() => admitCaller({ ...operator, loopback: false }, true)), '404 NOT_FOUND');
    assert.equal(codeOf(() => admitCaller({ ...operator, loopback: false }, false)), undefined);
  });
});

describe('parseJsonObjectBody', () => {
  test('an empty or blank body is {}', () => {
    assert.deepEqual(parseJsonObjectBody(''), {});
    assert.deepEqual(parseJsonObjectBody(' \r\n\t'), {});
  });

  test('nesting deeper than MAX_JSON_DEPTH is INVALID_JSON every time, brackets inside strings do not count', () => {
    const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    assert.equal(JSON.stringify(parseJsonObjectBody(nested(MAX_JSON_DEPTH))).length > 0, true);
    for (let i = 0; i < 3; i += 1) assert.throws(() => parseJsonObjectBody(nested(MAX_JSON_DEPTH + 1)), (e: unknown) => e instanceof ApiError && e.code === 'INVALID_JSON');
    assert.equal(jsonNestingDepth('{"a": "' + '['.repeat(5000) + '\\"{"}'), 1);
    assert.deepEqual(parseJsonObjectBody(`{"a": "${'['.repeat(5000)}"}`), { a: '['.repeat(5000) });
  });

  test('numbers stay exact (LosslessNumber)', () => {
    const body = parseJsonObjectBody('{"id": 18446744073709551615, "price": 1234.50}');
    assert.ok(isLosslessNumber(body['id']));
    assert.equal(String(body['id']), '18446744073709551615');
    assert.equal(String(body['price']), '1234.50');
  });

  for (const text of ['not json', '{"a":', '[1,2]', '"text"', '42', 'null', 'true', "{'a':1}", '{"a":1} trailing']) {
    test(`${JSON.stringify(text)} is 400 INVALID_JSON`, () => {
      assert.throws(() => parseJsonObjectBody(text), (err: unknown) => err instanceof ApiError && err.code === 'INVALID_JSON' && err.status === 400);
    });
  }
});

describe('cipher policy', () => {
  test('TLS 1.2 suites are ECDHE with AEAD only', () => {
    for (const suite of TLS12_CIPHERS) assert.match(suite, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
  });

  test('the cipher string names TLS 1.3 suites (Node would disable TLS 1.3 otherwise) and nothing with CBC, SHA1 or RSA key exchange', () => {
    assert.match(TLS_CIPHERS, /TLS_AES_256_GCM_SHA384/);
    for (const suite of TLS_CIPHERS.split(':')) assert.doesNotMatch(suite, /CBC|-SHA$|^AES|^DHE|RC4|3DES|NULL/);
  });
});
