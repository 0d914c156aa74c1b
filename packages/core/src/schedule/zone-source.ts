/**
 * Where a zone's rules come from: the system's tzdata (ZONEINFO_DIR/<name>, a TZif file, read once
 * per name and kept), else Node's ICU through Intl (a name the system does not have, or no tzdata
 * installed). Both are the IANA database; the system's copy is the one `apt` keeps current.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTzif, tzifOffsetAt, type TzifZone } from './tzif.js';

/** The system's time-zone database. */
export const ZONEINFO_DIR = '/usr/share/zoneinfo';

/** The region folders of the IANA names the system copy answers for ("America/...", "Etc/...", "UTC"). */
const IANA_NAME = /^(?:(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*|UTC)$/;

const zones = new Map<string, TzifZone | null>();

/** The system's parsed zone for an IANA name, or null (not a region name, no such file, unreadable). */
export function systemZone(name: string, dir = ZONEINFO_DIR): TzifZone | null {
  const key = `${dir}\0${name}`;
  let zone = zones.get(key);
  if (zone === undefined) {
    zone = null;
    if (IANA_NAME.test(name) && !name.split('/').includes('..')) {
      try {
        zone = parseTzif(readFileSync(join(dir, name)));
      } catch {
        zone = null;
      }
    }
    zones.set(key, zone);
  }
  return zone;
}

/** The UTC offset (ms east) of `timezone` at atMs, from the system's tzdata; undefined when it has none. */
export function systemOffsetMs(timezone: string, atMs: number): number | undefined {
  const zone = systemZone(timezone);
  return zone === null ? undefined : tzifOffsetAt(zone, atMs) * 1000;
}
