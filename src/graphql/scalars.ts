import { badInput } from '../domain/errors.js';
import { builder } from './builder.js';

/** ISO-8601 instants; stored as epoch milliseconds. */
export const DateTime = builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-01-31T12:00:00.000Z',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) {
      throw badInput(`"${String(value)}" is not an ISO-8601 date-time`);
    }
    return date;
  },
});
