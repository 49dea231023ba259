import type { TransferSummary } from '../store/transfer-rows.js';

const n = (v: number) => v.toLocaleString('en-US');
const LABELS: Array<[keyof TransferSummary['counts'], string]> = [
  ['user', 'users'],
  ['group', 'groups'],
  ['groupMember', 'group members'],
  ['scope', 'scopes'],
  ['role', 'roles'],
  ['permission', 'permissions'],
  ['grant', 'grants'],
  ['apiKey', 'API keys'],
  ['change', 'changes'],
];

/** One line for the CLI: which organizations, at which revision, and how many rows of each kind. */
export function describeTransfer(verb: 'exported' | 'imported', s: TransferSummary): string {
  const orgs = s.organizations.map((o) => `"${o.name}" at revision ${o.revision}`).join(', ');
  const rows = LABELS.map(([k, label]) => `${n(s.counts[k])} ${label}`).join(', ');
  const count = s.organizations.length;
  return `${verb} ${count} organization${count === 1 ? '' : 's'}${count ? ` (${orgs})` : ''}: ${rows}`;
}
