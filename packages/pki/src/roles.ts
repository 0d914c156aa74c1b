/** The cluster's roles, declared once: pki issues them as the client certificate's subject OU, core's HTTP gate reads them back. */

/** The roles of the cluster's client certificates (the subject OU). */
export type Role = 'platform' | 'operator' | 'auditor';

/** Every role, in the contract's order (docs/api.md §2) and the order the cluster layout issues them. */
export const ROLES: readonly Role[] = ['platform', 'operator', 'auditor'];
