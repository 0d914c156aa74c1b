/**
 * No state change by surprise from a browser: an operator's browser that holds a client
 * certificate presents it by itself, so a page of any site could make it call a GET form of
 * restart_qsen (an `<img>`), post a form, or fetch. Browsers say where a request comes from
 * (`Sec-Fetch-Site`, `Origin`); curl, qsenctl and scripts send neither. A state-changing request
 * that a browser marks as coming from another site is refused with 403 CROSS_SITE_REQUEST
 * before its route's gate and handler run. Requests without those headers pass unchanged.
 */
import type express from 'express';
import { httpErrors } from '../errors/api-error.js';

/** Why a request is cross-site, or undefined when it is not (pure). */
export function crossSiteReason(headers: { readonly secFetchSite?: string | undefined; readonly origin?: string | undefined; readonly host?: string | undefined }): string | undefined {
  const site = headers.secFetchSite?.trim().toLowerCase();
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site: ${site}`;
  const origin = headers.origin?.trim();
  if (origin !== undefined && origin !== '') {
    const own = headers.host === undefined ? undefined : `https://${headers.host.toLowerCase()}`;
    if (origin.toLowerCase() !== own) return `Origin: ${origin.slice(0, 200)}`;
  }
  return undefined;
}

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(',') : value);

/**
 * Throws 403 CROSS_SITE_REQUEST when a browser marks `req` as coming from another site; the
 * reason goes into `res.locals.refusal`, so the request's access line tells it. The route table
 * (defineRoute) calls it for every method of the paths it declares state-changing.
 */
export function refuseCrossSite(req: express.Request, res: express.Response): void {
  const reason = crossSiteReason({ secFetchSite: one(req.headers['sec-fetch-site']), origin: one(req.headers.origin), host: req.headers.host });
  if (reason === undefined) return;
  (res.locals as { refusal?: string }).refusal = reason;
  throw httpErrors.create('CROSS_SITE_REQUEST', undefined, { reason });
}
