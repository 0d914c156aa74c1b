// errorMessage (packages/core/src/errors/api-error.ts): the message of anything thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError, errorMessage, httpErrors } from '../src/errors/api-error.js';

test('errorMessage gives an Error\'s message, subclasses included, and String() of anything else', () => {
  assert.equal(errorMessage(new Error('disk full')), 'disk full');
  assert.equal(errorMessage(new TypeError('not a function')), 'not a function');
  const apiError = httpErrors.create('NOT_FOUND');
  assert.ok(apiError instanceof ApiError);
  assert.equal(errorMessage(apiError), 'no such endpoint');
  assert.equal(errorMessage('a string'), 'a string');
  assert.equal(errorMessage(42), '42');
  assert.equal(errorMessage(undefined), 'undefined');
  assert.equal(errorMessage(null), 'null');
  assert.equal(errorMessage({ toString: () => 'custom' }), 'custom');
  fc.assert(fc.property(fc.string(), (text) => errorMessage(new Error(text)) === text && errorMessage(text) === text));
});
