import type { Client } from 'graphql-ws';
import { connect, request, subscribe, type ConnectionState } from './api';
import { EffectivePermissionsDocument, ScopesDocument, ViewerDocument, type ScopesQuery } from './generated/graphql';

const MAX_SCOPES = 200;
type ScopeRow = ScopesQuery['scopes']['edges'][number]['node'];

const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const form = $<HTMLFormElement>('#connect');
const apiUrl = $<HTMLInputElement>('#api-url');
const apiKey = $<HTMLInputElement>('#api-key');
const status = $<HTMLParagraphElement>('#status');
const viewer = $<HTMLElement>('#viewer');
const table = $<HTMLTableElement>('#permissions');

apiUrl.value = new URLSearchParams(location.search).get('api') ?? 'http://127.0.0.1:4000/graphql';

let client: Client | null = null;
let stops: Array<() => void> = [];

function setStatus(state: ConnectionState | 'idle' | 'error', text: string) {
  status.dataset.state = state;
  document.body.dataset.state = state;
  status.textContent = text;
}

function onState(state: ConnectionState, detail?: string) {
  const text = { connecting: 'Connecting…', live: 'Live: changes appear as they are committed.', reconnecting: 'Connection lost; reconnecting…', refused: `Refused: ${detail}` };
  setStatus(state, text[state]);
}

function row(scope: ScopeRow | null): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.scope = scope?.key ?? 'ORG';
  const cells = [scope ? scope.key : 'ORG (the organization)', scope ? scope.type : '—', '', ''];
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  if (scope?.name) tr.cells[0]!.title = scope.name;
  tr.cells[2]!.append(Object.assign(document.createElement('ul'), { className: 'perms' }));
  return tr;
}

function show(tr: HTMLTableRowElement, permissions: string[], revision: number) {
  const list = tr.querySelector('ul')!;
  const items = permissions.map((p) => Object.assign(document.createElement('li'), { textContent: p, title: p }));
  items.forEach((li, i) => (li.dataset.permission = permissions[i]));
  if (items.length === 0) items.push(Object.assign(document.createElement('li'), { className: 'none', textContent: 'none' }));
  list.replaceChildren(...items);
  tr.cells[3]!.textContent = String(revision);
  tr.dataset.revision = String(revision);
  tr.classList.remove('changed');
  void tr.offsetWidth; // restart the highlight animation
  tr.classList.add('changed');
}

async function allScopes(c: Client): Promise<ScopeRow[]> {
  const rows: ScopeRow[] = [];
  let after: string | null = null;
  do {
    const page: ScopesQuery = await request(c, ScopesDocument, { first: 100, after });
    rows.push(...page.scopes.edges.map((e) => e.node));
    after = page.scopes.pageInfo.hasNextPage ? page.scopes.pageInfo.endCursor : null;
  } while (after && rows.length < MAX_SCOPES);
  return rows.slice(0, MAX_SCOPES);
}

async function start(url: string, key: string) {
  stops.forEach((stop) => stop());
  stops = [];
  await client?.dispose();
  client = connect(url, key, onState);
  const c = client;
  try {
    const me = await request(c, ViewerDocument, {});
    viewer.hidden = false;
    viewer.textContent = `Signed in as ${me.viewer.email} in organization ${me.organization.name}${me.viewer.isOwner ? ' (owner: every permission)' : ''}.`;
    const tbody = table.tBodies[0]!;
    const scopes: Array<ScopeRow | null> = [null, ...(await allScopes(c))];
    tbody.replaceChildren(...scopes.map(row));
    table.hidden = false;
    for (const [i, scope] of scopes.entries()) {
      const tr = tbody.rows[i]!;
      const vars = { user: me.viewer.id, scope: scope?.key ?? null };
      const onError = (message: string) => setStatus('error', `Subscription for ${tr.dataset.scope} ended: ${message}`);
      stops.push(subscribe(c, EffectivePermissionsDocument, vars, (r) => show(tr, r.effectivePermissionsChanged.permissions, r.effectivePermissionsChanged.revision), onError));
    }
  } catch (err) {
    if (status.dataset.state !== 'refused') setStatus('error', (err as Error).message);
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void start(apiUrl.value.trim(), apiKey.value.trim());
});
