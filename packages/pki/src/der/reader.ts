/**
 * A minimal DER reader (no dependency): enough of X.690 to walk a certificate's names and a
 * CRL's fields. It never decodes a value it is not asked for and throws a plain Error on any
 * malformed or truncated encoding (callers turn it into their PkiError).
 */

/** One DER element: its tag and where its contents lie in the input. */
export interface DerNode {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly tagClass: number;
  readonly constructed: boolean;
  /** The tag number (low-tag form: 0-30). */
  readonly tag: number;
  /** The whole input the element was read from. */
  readonly input: Uint8Array;
  /** Offset of the element's first (tag) byte. */
  readonly start: number;
  /** Offset of its contents. */
  readonly contentStart: number;
  /** Offset just past its contents. */
  readonly end: number;
}

/** Universal tag numbers this package reads. */
export const DER = {
  BOOLEAN: 1, INTEGER: 2, BIT_STRING: 3, OCTET_STRING: 4, NULL: 5, OID: 6, UTF8_STRING: 12, SEQUENCE: 16, SET: 17, UTC_TIME: 23, GENERALIZED_TIME: 24,
} as const;
/** The universal and context-specific tag classes. */
export const UNIVERSAL = 0;
export const CONTEXT_SPECIFIC = 2;

/** Reads the element starting at `offset` of `input` (definite lengths only, as DER requires). */
export function readNode(input: Uint8Array, offset = 0, limit = input.length): DerNode {
  if (offset + 2 > limit) throw new Error('truncated DER element');
  const first = input[offset] ?? 0;
  const tag = first & 0x1f;
  if (tag === 0x1f) throw new Error('high tag numbers are not supported');
  let length = input[offset + 1] ?? 0;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    if (contentStart + count > limit) throw new Error('truncated DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (input[contentStart + i] ?? 0);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error('truncated DER contents');
  return { tagClass: first >> 6, constructed: (first & 0x20) !== 0, tag, input, start: offset, contentStart, end };
}

/** The elements inside a constructed element (empty for a primitive one). */
export function childrenOf(node: DerNode | undefined): DerNode[] {
  if (!node?.constructed) return [];
  const out: DerNode[] = [];
  for (let at = node.contentStart; at < node.end;) {
    const child = readNode(node.input, at, node.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The contents bytes of an element. */
export function contentsOf(node: DerNode): Uint8Array {
  return node.input.subarray(node.contentStart, node.end);
}

/** The whole encoding of an element (tag, length and contents). */
export function encodingOf(node: DerNode): Uint8Array {
  return node.input.subarray(node.start, node.end);
}

/** True when the node is the universal element with this tag number. */
export function isUniversal(node: DerNode | undefined, tag: number): node is DerNode {
  return node !== undefined && node.tagClass === UNIVERSAL && node.tag === tag;
}

/** Decodes an OBJECT IDENTIFIER to its dotted form. */
export function oidOf(node: DerNode | undefined): string {
  if (!isUniversal(node, DER.OID)) throw new Error('expected an OID');
  const bytes = contentsOf(node);
  if (bytes.length === 0) throw new Error('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** Decodes a small INTEGER (two's complement) as a number. */
export function integerOf(node: DerNode | undefined): number {
  if (!isUniversal(node, DER.INTEGER)) throw new Error('expected an INTEGER');
  const bytes = contentsOf(node);
  if (bytes.length === 0) throw new Error('empty INTEGER');
  let value = BigInt.asIntN(bytes.length * 8, BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) value = BigInt.asIntN(53, value);
  return Number(value);
}

/** Decodes a UTCTime (years 1950-2049) or GeneralizedTime, with Z or a +hhmm/-hhmm offset. */
export function timeOf(node: DerNode | undefined): Date {
  const utc = isUniversal(node, DER.UTC_TIME);
  if (!utc && !isUniversal(node, DER.GENERALIZED_TIME)) throw new Error('expected a UTCTime or GeneralizedTime');
  const text = Buffer.from(contentsOf(node)).toString('latin1');
  const match = utc
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?()(Z|[+-]\d{4})$/.exec(text)
    : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})?$/.exec(text);
  if (!match) throw new Error(`unreadable time ${JSON.stringify(text)}`);
  let year = Number(match[1]);
  if (utc) year += year >= 50 ? 1900 : 2000;
  const fraction = match[7] ? Math.round(Number(`0.${match[7]}`) * 1000) : 0;
  let ms = Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6] ?? 0), fraction);
  const zone = match[8];
  if (zone !== undefined && zone !== 'Z') {
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    ms -= (zone.startsWith('-') ? -1 : 1) * minutes * 60_000;
  }
  return new Date(ms);
}

/** Reads the first PEM block of one of these types and returns its DER bytes, or undefined. */
export function pemBlock(text: string, types: readonly string[]): Uint8Array | undefined {
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (!types.includes(match[1] ?? '')) continue;
    // RFC 1421 headers ("Proc-Type: ...") end at the first blank line; a CRL or certificate has none.
    const body = (match[2] ?? '').split(/\r?\n/).filter((line) => !line.includes(':')).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('the PEM body is not base64');
    return new Uint8Array(Buffer.from(body, 'base64'));
  }
  return undefined;
}
