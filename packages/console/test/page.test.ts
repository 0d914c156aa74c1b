// The console's client side: the one HTML page (no inline script or style, only this origin's
// files, every control labelled), the fixed asset list built from the compiled page scripts, and
// the page's follow logic as shipped (the compiled browser module, property-tested). kan's
// packages/kan/test/console.test.ts checks the server side; test/console drives a real browser.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConsoleAssets, renderConsolePage } from '../src/index.js';

describe('the page and its assets', () => {
  it('has no inline script or style and no external asset; every script and stylesheet is this origin\'s', () => {
    const html = renderConsolePage(1);
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc="\/kan\/v1\/console\/assets\/)/);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=|javascript:|https?:\/\//i);
    for (const [, src] of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.match(src ?? '', /^(\/kan\/v1\/|#)/);
    // Every control has a label.
    for (const [, id] of html.matchAll(/<(?:input|select)[^>]*\sid="([^"]+)"/g)) assert.match(html, new RegExp(`<label for="${id}"`));
  });

  it('serves the compiled page scripts and the stylesheet, and nothing else', () => {
    const assets = loadConsoleAssets();
    assert.deepEqual([...assets.keys()].sort(), ['console.css', 'console.js', 'dom.js', 'follow.js', 'format.js']);
    assert.match(assets.get('console.js')?.body.toString('utf8') ?? '', /from '\.\/dom\.js'/);
    assert.equal(assets.get('console.css')?.type, 'text/css; charset=utf-8');
  });
});

interface FollowModule {
  planFollowStep(previousEnd: number | null, range: { start: number; end: number }): { reset: boolean; from: number; skipped: number; end: number };
  keepLastLines(text: string, maxLines: number): string;
}

describe('the page\'s follow logic (the shipped browser module)', () => {
  const load = async (): Promise<FollowModule> => (await import(new URL('../src/page/follow.js', import.meta.url).href)) as FollowModule;

  it('shows every byte of a growing file once, in order, and says exactly how much it skipped', async () => {
    const { planFollowStep } = await load();
    await fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(-1)), { maxLength: 60 }), (windowBytes, steps) => {
      // The file is a string of bytes; -1 truncates it to nothing (a truncation from the API).
      let file = '';
      let counter = 0;
      let shown = '';
      let skipped = 0;
      let end: number | null = null;
      const poll = (): void => {
        const start = Math.max(0, file.length - windowBytes);
        const step = planFollowStep(end, { start, end: file.length });
        const piece = file.slice(start).slice(step.from);
        if (step.reset) { shown = piece; skipped = 0; } else { shown += piece; skipped += step.skipped; }
        end = step.end;
      };
      poll();
      for (const grow of steps) {
        if (grow < 0) file = '';
        else for (let i = 0; i < grow; i++) file += String.fromCharCode(97 + (counter++ % 26));
        poll();
        // What is shown plus what was skipped is the file since the last reset, in order.
        assert.equal(shown.length + skipped, file.length);
        if (skipped === 0) assert.equal(shown, file);
        else assert.ok(file.endsWith(shown.slice(-Math.min(shown.length, windowBytes))));
      }
    }), { numRuns: 300 });
  });

  it('keeps the newest lines', async () => {
    const { keepLastLines } = await load();
    assert.equal(keepLastLines('a\nb\nc\n', 2), 'b\nc\n');
    assert.equal(keepLastLines('a\nb', 5), 'a\nb');
    assert.equal(keepLastLines('a\nb\nc', 1), 'c');
  });
});
