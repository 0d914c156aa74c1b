/**
 * The closed vocabularies of an order (docs/api.md §4, sendOrder): its currencies and
 * settlements. One source for qsen's sendOrder validation and order type, the [risk] tables and
 * lists of the schema, and the risk limits' names.
 */

/** The currencies of an order, as written in sendOrder and in [risk] tables. */
export const ORDER_CURRENCIES = ['ARS', 'USD', 'EXT'] as const;

/** The settlements of an order (T+0, T+1). */
export const ORDER_SETTLEMENTS = ['T0', 'T1'] as const;
