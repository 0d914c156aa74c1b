/**
 * The system's time-zone database (TZif files, RFC 8536, as /usr/share/zoneinfo holds them), read
 * without Intl: an idle node that only needs "what time is it in Buenos Aires" does not load ICU's
 * date-formatting data (about 8 MiB per process; bench/RESULTS.md, "kan idle memory"). Pure: bytes
 * in, offsets out; zone-source.ts does the file I/O.
 */

/** A parsed TZif zone: transitions (seconds since the epoch), the offset in force after each, the footer rule. */
export interface TzifZone {
  /** Transition instants, ascending (seconds). */
  readonly transitions: readonly number[];
  /** The UTC offset (seconds) in force from transitions[i] on. */
  readonly offsets: readonly number[];
  /** The offset before the first transition (local time type 0). */
  readonly initialOffset: number;
  /** The POSIX TZ rule for instants after the last transition (undefined: the last offset stays). */
  readonly rule: PosixRule | undefined;
}

/** A POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"): offsets east of UTC, in seconds. */
export interface PosixRule {
  readonly stdOffset: number;
  readonly dst?: { readonly offset: number; readonly start: RuleDate; readonly end: RuleDate };
}

/** One transition date of a POSIX rule, with its local time of day (seconds, may be negative or past 24 h). */
export type RuleDate =
  | { readonly kind: 'M'; readonly month: number; readonly week: number; readonly weekday: number; readonly time: number }
  | { readonly kind: 'J'; readonly day: number; readonly time: number } // 1-365, February 29 never counted
  | { readonly kind: 'N'; readonly day: number; readonly time: number }; // 0-365, leap days counted

/** Parses a TZif file (version 1 to 4); throws on anything else. */
export function parseTzif(bytes: Uint8Array): TzifZone {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (at: number): { version: number; isut: number; isstd: number; leap: number; time: number; type: number; chars: number } => {
    if (at + 44 > bytes.length || String.fromCharCode(...bytes.subarray(at, at + 4)) !== 'TZif') throw new Error('not a TZif file');
    const c = (i: number): number => view.getUint32(at + 20 + 4 * i);
    return { version: bytes[at + 4] === 0 ? 1 : (bytes[at + 4] ?? 0x31) - 0x30, isut: c(0), isstd: c(1), leap: c(2), time: c(3), type: c(4), chars: c(5) };
  };
  const first = header(0);
  const blockSize = (h: ReturnType<typeof header>, timeSize: number): number =>
    h.time * timeSize + h.time + h.type * 6 + h.chars + h.leap * (timeSize + 4) + h.isstd + h.isut;
  let h = first;
  let at = 44;
  let timeSize = 4;
  if (first.version >= 2) {
    at += blockSize(first, 4);
    h = header(at);
    at += 44;
    timeSize = 8;
  }
  if (h.type === 0 || at + blockSize(h, timeSize) > bytes.length) throw new Error('truncated TZif file');
  const transitions: number[] = [];
  for (let i = 0; i < h.time; i++) {
    transitions.push(timeSize === 8 ? Number(view.getBigInt64(at + 8 * i)) : view.getInt32(at + 4 * i));
  }
  at += h.time * timeSize;
  const indices = bytes.subarray(at, at + h.time);
  at += h.time;
  const typeOffsets: number[] = [];
  for (let i = 0; i < h.type; i++) typeOffsets.push(view.getInt32(at + 6 * i));
  at += h.type * 6 + h.chars + h.leap * (timeSize + 4) + h.isstd + h.isut;
  const offsets = [...indices].map((index) => {
    const offset = typeOffsets[index];
    if (offset === undefined) throw new Error('TZif transition to an unknown type');
    return offset;
  });
  let rule: PosixRule | undefined;
  if (first.version >= 2 && bytes[at] === 0x0a) {
    const end = bytes.indexOf(0x0a, at + 1);
    if (end === -1) throw new Error('unterminated TZif footer');
    const text = Buffer.from(bytes.subarray(at + 1, end)).toString('latin1');
    if (text !== '') rule = parsePosixRule(text);
  }
  return { transitions, offsets, initialOffset: typeOffsets[0] ?? 0, rule };
}

/** Parses a POSIX TZ rule string (the TZif footer); throws when it is not one. */
export function parsePosixRule(text: string): PosixRule {
  let at = 0;
  const fail = (): never => { throw new Error(`unreadable POSIX TZ rule ${JSON.stringify(text)}`); };
  const name = (): void => {
    if (text[at] === '<') {
      const close = text.indexOf('>', at);
      if (close === -1) fail();
      at = close + 1;
      return;
    }
    const start = at;
    while (at < text.length && /[A-Za-z]/.test(text[at] ?? '')) at++;
    if (at - start < 3) fail();
  };
  /** [+-]hh[:mm[:ss]] in seconds. */
  const clock = (): number => {
    const match = /^([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?/.exec(text.slice(at));
    if (!match) return fail();
    at += match[0].length;
    const seconds = Number(match[2]) * 3600 + Number(match[3] ?? 0) * 60 + Number(match[4] ?? 0);
    return match[1] === '-' ? -seconds : seconds;
  };
  const date = (): RuleDate => {
    let result: RuleDate;
    const m = /^M(\d{1,2})\.(\d)\.(\d)/.exec(text.slice(at));
    const j = /^J(\d{1,3})/.exec(text.slice(at));
    const n = /^(\d{1,3})/.exec(text.slice(at));
    if (m) {
      at += m[0].length;
      result = { kind: 'M', month: Number(m[1]), week: Number(m[2]), weekday: Number(m[3]), time: 7200 };
    } else if (j) {
      at += j[0].length;
      result = { kind: 'J', day: Number(j[1]), time: 7200 };
    } else if (n) {
      at += n[0].length;
      result = { kind: 'N', day: Number(n[1]), time: 7200 };
    } else {
      return fail();
    }
    if (text[at] === '/') {
      at += 1;
      result = { ...result, time: clock() };
    }
    return result;
  };
  name();
  const stdOffset = 0 - clock(); // POSIX offsets are west of UTC (0 - x: never -0)
  if (at === text.length) return { stdOffset };
  name();
  let dstOffset = stdOffset + 3600;
  if (text[at] !== ',' && at < text.length) dstOffset = 0 - clock();
  if (text[at] !== ',') return fail(); // a DST name without rules: no TZif footer has one
  at += 1;
  const start = date();
  if (text[at] !== ',') fail();
  at += 1;
  const end = date();
  if (at !== text.length) fail();
  return { stdOffset, dst: { offset: dstOffset, start, end } };
}

const DAY_S = 86_400;
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The UTC instant (seconds) of a rule date in `year`, given the offset in force before it. */
function instantOf(d: RuleDate, year: number, offsetBefore: number): number {
  const jan1 = Date.UTC(year, 0, 1) / 1000;
  let dayStart: number;
  if (d.kind === 'M') {
    const firstOfMonth = Date.UTC(year, d.month - 1, 1) / 1000;
    const firstWeekday = new Date(firstOfMonth * 1000).getUTCDay();
    let day = 1 + ((d.weekday - firstWeekday + 7) % 7) + (d.week - 1) * 7;
    const daysInMonth = new Date(Date.UTC(year, d.month, 0)).getUTCDate();
    while (day > daysInMonth) day -= 7; // week 5: the last such weekday
    dayStart = firstOfMonth + (day - 1) * DAY_S;
  } else if (d.kind === 'J') {
    dayStart = jan1 + (d.day - 1 + (isLeap(year) && d.day >= 60 ? 1 : 0)) * DAY_S;
  } else {
    dayStart = jan1 + d.day * DAY_S;
  }
  return dayStart + d.time - offsetBefore;
}

/** The offset (seconds east of UTC) a POSIX rule gives at an instant (seconds). */
export function ruleOffsetAt(rule: PosixRule, atS: number): number {
  const { dst } = rule;
  if (!dst) return rule.stdOffset;
  const year = new Date((atS + rule.stdOffset) * 1000).getUTCFullYear();
  // Check the neighbouring years too: a rule time past midnight can move a transition across New Year.
  let offset = rule.stdOffset;
  let latest = -Infinity;
  for (const y of [year - 1, year, year + 1]) {
    const start = instantOf(dst.start, y, rule.stdOffset);
    const end = instantOf(dst.end, y, dst.offset);
    for (const [when, after] of [[start, dst.offset], [end, rule.stdOffset]] as const) {
      if (when <= atS && when > latest) {
        latest = when;
        offset = after;
      }
    }
  }
  return offset;
}

/** The UTC offset (seconds east) a zone has at an instant (epoch ms). */
export function tzifOffsetAt(zone: TzifZone, atMs: number): number {
  const atS = Math.floor(atMs / 1000);
  const { transitions, offsets } = zone;
  if (transitions.length === 0 || atS < (transitions[0] ?? 0)) {
    return transitions.length === 0 && zone.rule ? ruleOffsetAt(zone.rule, atS) : zone.initialOffset;
  }
  if (atS >= (transitions.at(-1) ?? 0) && zone.rule) return ruleOffsetAt(zone.rule, atS);
  let lo = 0;
  let hi = transitions.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((transitions[mid] ?? 0) <= atS) lo = mid;
    else hi = mid - 1;
  }
  return offsets[lo] ?? zone.initialOffset;
}
