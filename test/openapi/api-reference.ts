// Reading the endpoint tables of docs/api.md (sections 4 and 5) as "METHOD /path" lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY } from '../support/system.js';

/** The path of the API reference. */
export const API_REFERENCE = join(REPOSITORY, 'docs', 'api.md');

/** The text of one numbered section (`## N. ...`) of docs/api.md, up to the next one. */
export function readSection(markdown: string, number: number): string {
  const start = markdown.search(new RegExp(`^## ${number}\\. `, 'm'));
  if (start < 0) throw new Error(`docs/api.md has no section ${number}`);
  const rest = markdown.slice(start + 1);
  const next = rest.search(/^## \d+\. /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/**
 * The endpoints of a section's tables: each row whose first cell lists methods ("GET, POST")
 * and whose second cell holds one or more backquoted paths; query strings are dropped.
 */
export function listReferenceEndpoints(section: string): string[] {
  const out = new Set<string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4) continue;
    const methods = (cells[1] ?? '').split(/\s*,\s*/);
    if (!methods.every((m) => /^(GET|POST|PUT|DELETE|PATCH)$/.test(m))) continue;
    const paths = [...(cells[2] ?? '').matchAll(/`(\/[^`?]+)(?:\?[^`]*)?`/g)].map((m) => m[1] ?? '');
    for (const method of methods) for (const path of paths) out.add(`${method} ${path}`);
  }
  return [...out].sort();
}

/** The endpoints docs/api.md lists for qsen (section 4) and for the kans (section 5). */
export function readReferenceEndpoints(): { qsen: string[]; kan: string[] } {
  const markdown = readFileSync(API_REFERENCE, 'utf8');
  return { qsen: listReferenceEndpoints(readSection(markdown, 4)), kan: listReferenceEndpoints(readSection(markdown, 5)) };
}
