/**
 * Names of the wire endpoints for the request counters ("METHOD /path/template").
 */

/** The counter key of a request: method and path template, e.g. "GET /senebi/v1/orders/:id". */
export function endpointOf(method: string, path: string): string {
  if (path === '/senebi/v1/orders' || path === '/senebi/v1/operations' || path === '/senebi/v1/ping') return `${method} ${path}`;
  if (/^\/senebi\/v1\/orders\/[^/]+$/.test(path)) return `${method} /senebi/v1/orders/:id`;
  if (/^\/senebi\/v1\/orders\/[^/]+\/cancel$/.test(path)) return `${method} /senebi/v1/orders/:id/cancel`;
  return `${method} (unknown path)`;
}
