// qsenctl in a real terminal (tmux): bash completion completes commands, second words and
// options from `qsenctl completion bash`; zsh the same through bashcompinit; `--help` per command
// shows its examples. (Ctrl-C on `logs tail -f`: test/system/outside-window.test.ts.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireTool } from '@qsen/testkit';
import { REPOSITORY } from '../support/system.js';
import { openTerminal } from '../support/terminal.js';

const BIN = join(REPOSITORY, 'node_modules/.bin');
const env = { PATH: `${BIN}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: '/nonexistent', TERM: 'xterm', PS1: '$ ' };

describe('qsenctl in a terminal', () => {
  it('bash: qsenctl sta<Tab> completes status, logs <Tab><Tab> lists its second words, --fo<Tab> completes --follow', async (t) => {
    const tmux = requireTool('tmux');
    if (typeof tmux !== 'string') return t.skip(tmux.skip);
    const term = await openTerminal(tmux, { shell: ['bash', '--norc', '--noprofile'], env, cwd: REPOSITORY });
    try {
      await term.type('source <(qsenctl completion bash) && complete -p qsenctl && echo LOADED', { enter: true });
      await term.waitFor(/^LOADED$/m);
      await term.type('qsenctl sta');
      await term.keys('Tab');
      await term.waitFor(/\$ qsenctl status $/m);
      await term.keys('C-u');
      await term.type('qsenctl logs ');
      await term.keys('Tab', 'Tab');
      await term.waitFor(/get\s+ls\s+tail\s+truncate/);
      await term.keys('C-u');
      await term.type('qsenctl logs tail x.log --fo');
      await term.keys('Tab');
      await term.waitFor(/\$ qsenctl logs tail x\.log --follow $/m);
      await term.keys('C-u');
      await term.type('qsenctl logs --help; echo EXIT=$?', { enter: true });
      const screen = await term.waitFor(/^EXIT=\d+$/m);
      assert.match(screen, /^Examples:$/m);
      assert.match(screen, /^ {2}qsenctl logs tail qsen-2026-12-01\.log --lines 50 -f$/m);
      assert.match(screen, /^EXIT=0$/m);
    } finally {
      await term.close();
    }
  });

  it('zsh: the same script completes through bashcompinit', async (t) => {
    const tmux = requireTool('tmux');
    if (typeof tmux !== 'string') return t.skip(tmux.skip);
    const zsh = requireTool('zsh');
    if (typeof zsh !== 'string') return t.skip(zsh.skip);
    const term = await openTerminal(tmux, { shell: [zsh, '-f'], env: { ...env, PROMPT: '$ ' }, cwd: REPOSITORY });
    try {
      await term.type('source <(qsenctl completion zsh) && complete -p qsenctl && echo LOADED', { enter: true });
      await term.waitFor(/^LOADED$/m);
      await term.type('qsenctl compl');
      await term.keys('Tab');
      await term.waitFor(/\$ qsenctl completion $/m);
    } finally {
      await term.close();
    }
  });
});
