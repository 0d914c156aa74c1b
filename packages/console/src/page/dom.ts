/** Small DOM helpers of the console: elements are built with text nodes only, never from HTML strings. */

type Child = Node | string | null | undefined;

/** Makes an element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** The element with `id` (throws when the page lacks it: a bug of the page). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** Replaces the rows of a table body; `cells` are strings or nodes. */
export function fillRows(body: HTMLElement, rows: ReadonlyArray<{ readonly cells: readonly Child[]; readonly attrs?: Record<string, string> }>, empty: string, columns: number): void {
  const out = rows.map((row) => el('tr', row.attrs ?? {}, ...row.cells.map((cell, i) => (i === 0 ? el('th', { scope: 'row' }, cell) : el('td', {}, cell)))));
  if (out.length === 0) out.push(el('tr', {}, el('td', { colspan: String(columns) }, empty)));
  body.replaceChildren(...out);
}

/** A span with a class (ok, bad, warn). */
export function badge(text: string, kind: 'ok' | 'bad' | 'warn' | 'muted'): HTMLSpanElement {
  return el('span', { class: kind }, text);
}

/** Fills a definition list from term/description pairs. */
export function fillList(list: HTMLElement, items: ReadonlyArray<readonly [string, Child]>): void {
  list.replaceChildren(...items.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}
