/**
 * systemd/50-qsen.rules: run the rule's JavaScript in a harness that stands in for polkit
 * (polkit.addRule, polkit.Result, action.lookup) and ask it about many actions and subjects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { repoPath } from './staging.js';

type Verdict = 'yes' | 'no' | 'not-handled';
type Rule = (action: { id: string; lookup: (key: string) => string | undefined }, subject: { user: string }) => Verdict | undefined;

/** Loads the rules file the way polkitd does (a script calling polkit.addRule) and returns its rules. */
function loadRules(): Rule[] {
  const rules: Rule[] = [];
  const polkit = {
    Result: { YES: 'yes', NO: 'no', NOT_HANDLED: 'not-handled', AUTH_ADMIN: 'auth_admin', AUTH_SELF: 'auth_self' },
    addRule: (rule: Rule) => rules.push(rule),
    log: () => undefined,
  };
  runInNewContext(readFileSync(repoPath('systemd/50-qsen.rules'), 'utf8'), { polkit }, { filename: '50-qsen.rules' });
  return rules;
}

/** What the rules answer for one request (the first answer other than not-handled wins, as in polkitd). */
function decide(rules: Rule[], user: string, actionId: string, details: Record<string, string>): Verdict {
  for (const rule of rules) {
    const verdict = rule({ id: actionId, lookup: (key) => details[key] }, { user }) ?? 'not-handled';
    if (verdict !== 'not-handled') return verdict;
  }
  return 'not-handled';
}

const MANAGE_UNITS = 'org.freedesktop.systemd1.manage-units';
const OWN_UNITS = ['qsen.service', 'kan@0.service', 'kan@1.service', 'kan@2.service'];

test('user qsen may start, stop and restart qsen.service and kan@0..2.service', () => {
  const rules = loadRules();
  assert.equal(rules.length, 1);
  for (const unit of OWN_UNITS) {
    for (const verb of ['start', 'stop', 'restart']) {
      assert.equal(decide(rules, 'qsen', MANAGE_UNITS, { unit, verb }), 'yes', `${verb} ${unit}`);
    }
  }
});

test('user qsen may do nothing else: other units, other verbs, other actions', () => {
  const rules = loadRules();
  const otherUnits = ['ssh.service', 'nftables.service', 'kan@3.service', 'kan@.service', 'kan@00.service', 'kan@0.service.d',
    'qsen.socket', 'qsen.service ', 'xqsen.service', 'kan@0.serviceX', 'prometheus-node-exporter.service', 'polkit.service', ''];
  for (const unit of otherUnits) {
    for (const verb of ['start', 'stop', 'restart']) {
      assert.equal(decide(rules, 'qsen', MANAGE_UNITS, { unit, verb }), 'no', `${verb} ${JSON.stringify(unit)}`);
    }
  }
  for (const unit of OWN_UNITS) {
    for (const verb of ['reload', 'reload-or-restart', 'try-restart', 'kill', 'reset-failed', 'enable', 'mask', '']) {
      assert.equal(decide(rules, 'qsen', MANAGE_UNITS, { unit, verb }), 'no', `${verb || '(no verb)'} ${unit}`);
    }
  }
  assert.equal(decide(rules, 'qsen', MANAGE_UNITS, {}), 'no', 'no unit, no verb (e.g. a manager-wide action)');
  for (const action of ['org.freedesktop.systemd1.manage-unit-files', 'org.freedesktop.systemd1.reload-daemon',
    'org.freedesktop.systemd1.set-environment', 'org.freedesktop.login1.reboot', 'org.freedesktop.policykit.exec']) {
    assert.equal(decide(rules, 'qsen', action, { unit: 'qsen.service', verb: 'start' }), 'not-handled', `${action} left to polkit's defaults (which deny a user without a password)`);
  }
});

test('other users get no new rights from the rule', () => {
  const rules = loadRules();
  for (const user of ['root', 'nobody', 'qsen2', 'Qsen', 'www-data']) {
    for (const unit of OWN_UNITS) {
      assert.equal(decide(rules, user, MANAGE_UNITS, { unit, verb: 'restart' }), 'not-handled', `${user}: restart ${unit}`);
    }
  }
});
