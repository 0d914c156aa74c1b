/**
 * Reading a CRL back (no node-forge): what the TLS gate of every node needs at start and at each
 * reload. Writing CRLs (crl.ts) is install- and operator-time work and stays with forge.
 */
import { CONTEXT_SPECIFIC, DER, UNIVERSAL, childrenOf, contentsOf, encodingOf, integerOf, isUniversal, oidOf, pemBlock, readNode, timeOf } from './der/reader.js';
import { PkiError } from './errors.js';
import { normalizeSerial } from './serials.js';

/** How long, at most, a change of the CRL file takes to be enforced by every node (seconds). */
export const CRL_TAKES_EFFECT_WITHIN_S = 2;

/** What a CRL says, as read back by `describeCrl`. */
export interface CrlInfo { issuerDer: string; thisUpdate: Date; nextUpdate: Date | undefined; crlNumber: number | undefined; revoked: Array<{ serial: string; revokedAt: Date }> }

const CRL_NUMBER_OID = '2.5.29.20';

/** Reads a CRL PEM back: dates, CRL number and revoked serials (canonical hex). It does not check the signature. */
export function describeCrl(crlPem: string): CrlInfo {
  try {
    const der = pemBlock(crlPem, ['X509 CRL']);
    if (!der) throw new Error('no X509 CRL block');
    const tbs = childrenOf(readNode(der)).at(0);
    const fields = childrenOf(tbs);
    let i = isUniversal(fields[0], DER.INTEGER) ? 1 : 0;
    i += 1; // signature algorithm
    const issuer = fields[i++];
    const thisUpdateNode = fields[i++];
    if (!issuer || !thisUpdateNode) throw new Error('truncated CRL');
    const thisUpdate = timeOf(thisUpdateNode);
    let nextUpdate: Date | undefined;
    const maybeNext = fields[i];
    if (isUniversal(maybeNext, DER.UTC_TIME) || isUniversal(maybeNext, DER.GENERALIZED_TIME)) {
      nextUpdate = timeOf(maybeNext);
      i += 1;
    }
    const revoked: CrlInfo['revoked'] = [];
    const maybeRevoked = fields[i];
    if (isUniversal(maybeRevoked, DER.SEQUENCE)) {
      for (const entry of childrenOf(maybeRevoked)) {
        const [serialNode, dateNode] = childrenOf(entry);
        if (!isUniversal(serialNode, DER.INTEGER) || !dateNode) throw new Error('malformed revoked entry');
        revoked.push({ serial: normalizeSerial(Buffer.from(contentsOf(serialNode)).toString('hex') || '0'), revokedAt: timeOf(dateNode) });
      }
      i += 1;
    }
    let crlNumber: number | undefined;
    const extensionsNode = fields[i];
    if (extensionsNode && extensionsNode.tagClass === CONTEXT_SPECIFIC) {
      for (const ext of childrenOf(childrenOf(extensionsNode)[0])) {
        const parts = childrenOf(ext);
        const value = parts.at(-1);
        if (oidOf(parts[0]) === CRL_NUMBER_OID && value && value.tagClass === UNIVERSAL && value.tag === DER.OCTET_STRING) {
          crlNumber = integerOf(readNode(contentsOf(value)));
        }
      }
    }
    return { issuerDer: Buffer.from(encodingOf(issuer)).toString('binary'), thisUpdate, nextUpdate, crlNumber, revoked };
  } catch (err) {
    if (err instanceof PkiError) throw err;
    throw new PkiError('INVALID_ARGUMENT', 'the text is not a readable X.509 CRL in PEM form', { cause: err });
  }
}
