import { useState } from 'react';
import type { ChangeFilter } from 'grantql/client';
import { ChangesDocument, RoleNamesDocument } from '../generated/graphql';
import { useLiveChanges } from '../live';
import { useQuery } from '../ui/async';
import { ChangeFilters } from '../ui/change-filters';
import { ChangeTable } from '../ui/change-table';
import { Loading, Refusal } from '../ui/messages';

const STATUS = {
  connecting: 'Connecting…',
  live: 'Live: new changes appear here as they are committed.',
  reconnecting: 'Connection lost: reconnecting, then resuming after the last change shown.',
  closed: 'Stopped.',
};

export function ChangesPage() {
  const [filter, setFilter] = useState<ChangeFilter>({});
  return (
    <>
      <h1>Changes</h1>
      <ChangeFilters onApply={setFilter} />
      <ChangeLog key={JSON.stringify(filter)} filter={filter} />
    </>
  );
}

function Live({ filter, after, roles }: { filter: ChangeFilter; after: string | null; roles: Map<string, string> }) {
  const live = useLiveChanges(filter, after);
  return (
    <>
      <p role="status" className={`live-status ${live.status}`} data-state={live.status}>
        {STATUS[live.status]}
      </p>
      <Refusal error={live.error} />
      {live.changes.length > 0 ? <ChangeTable label="Live changes" changes={live.changes} roles={roles} /> : <p className="empty">No change since this page opened.</p>}
    </>
  );
}

/**
 * The change log for one filter: the history (oldest first, a page at a time) and, above
 * it, the changes committed since (newest first, live). When the whole history fits one
 * page, the live list starts right after its last change, so nothing falls between the two.
 */
function ChangeLog({ filter }: { filter: ChangeFilter }) {
  const [pages, setPages] = useState<string[]>([]);
  const history = useQuery(ChangesDocument, { filter, after: pages.at(-1) ?? null });
  const roleNames = useQuery(RoleNamesDocument, {});
  const roles = new Map(roleNames.data?.roles.edges.map((e) => [e.node.id, e.node.name]) ?? []);
  const h = history.data?.changes;
  // Decided once, from the first page: after it when it is the whole log, else from now.
  const [start, setStart] = useState<{ after: string | null } | null>(null);
  if (h && !start) setStart({ after: h.pageInfo.hasNextPage ? null : (h.edges.at(-1)?.node.cursor ?? null) });

  return (
    <>
      <section aria-labelledby="live">
        <h2 id="live">Live</h2>
        {start ? <Live filter={filter} after={start.after} roles={roles} /> : <p role="status">{history.error ? 'Not started: the log was refused.' : 'Waiting for the history…'}</p>}
      </section>
      <section aria-labelledby="history">
        <h2 id="history">History</h2>
        <Refusal error={history.error} />
        <Refusal error={roleNames.error} context="Roles are shown by id" />
        {!h && !history.error && <Loading what="the change log" />}
        {h && (
          <>
            <p className="count">
              {h.totalCount} change{h.totalCount === 1 ? '' : 's'} in the log{pages.length ? `; page ${pages.length + 1}` : ''}, oldest first.
            </p>
            <ChangeTable label="Change history" changes={h.edges.map((e) => e.node)} roles={roles} />
            <div className="pager">
              {pages.length > 0 && (
                <button type="button" className="secondary" onClick={() => setPages(pages.slice(0, -1))}>
                  Previous page
                </button>
              )}
              {h.pageInfo.hasNextPage && (
                <button type="button" className="secondary" onClick={() => setPages([...pages, h.pageInfo.endCursor!])}>
                  Next page
                </button>
              )}
            </div>
          </>
        )}
      </section>
    </>
  );
}
