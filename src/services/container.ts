import { AuthzQueries } from '../authz/queries.js';
import { IndexRegistry } from '../authz/registry.js';
import { CatchUp } from '../changes/catch-up.js';
import { ChangeFeed } from '../changes/feed.js';
import { HeadWatch } from '../changes/head-watch.js';
import type { Config } from '../config.js';
import { logger } from '../logger.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { ApiKeyService } from './api-keys.js';
import { CatalogService } from './catalog.js';
import { ChangeService } from './changes.js';
import { OrganizationService } from './organizations.js';
import { GrantService } from './grants.js';
import { GroupService } from './groups.js';
import { RoleService } from './roles.js';
import { ScopeService } from './scopes.js';
import { UserService } from './users.js';
import { Freshness } from './freshness.js';
import { Writer } from './write.js';
import { WindowScheduler } from './window-scheduler.js';

export interface Services {
  config: Config;
  store: Store;
  feed: ChangeFeed;
  catchUp: CatchUp;
  registry: IndexRegistry;
  authz: AuthzQueries;
  grants: GrantService;
  /** Commits grant windows opening and closing (GRANT_STARTED / GRANT_EXPIRED). */
  windows: WindowScheduler;
  groups: GroupService;
  users: UserService;
  roles: RoleService;
  scopes: ScopeService;
  catalog: CatalogService;
  apiKeys: ApiKeyService;
  organizations: OrganizationService;
  changes: ChangeService;
  freshness: Freshness;
  /** False while the LISTEN connection to PostgreSQL is lost (other replicas' commits then arrive only by the head check). */
  listening(): boolean;
  /** Runs fn while no other process on the same database runs its own (first-start bootstrap). */
  exclusively<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Opens (and migrates) the database and wires every service around one store and one feed. */
export async function createServices(
  dbFile: string,
  config: Config,
  opts: { feed?: ChangeFeed; verbose?: (sql: unknown) => void } = {},
): Promise<Services> {
  const { store, shared, watchCommits, exclusively } = await openStore(dbFile, config, { verbose: opts.verbose });
  const feed = opts.feed ?? new ChangeFeed();
  const registry = new IndexRegistry(feed);
  await registry.load(store);
  const catchUp = new CatchUp(store, registry, feed);
  const writer = new Writer(store, registry, feed, catchUp, Math.max(config.busyTimeoutMs, 1000));
  // Windows that opened or closed while no server ran are in the log before anything answers.
  const windows = new WindowScheduler(writer, registry, feed);
  await windows.runDue();
  windows.start();
  // Another process's commits (the CLI, a second server) reach subscribers without traffic.
  const watch = new HeadWatch(
    store,
    registry,
    catchUp,
    (err) => logger.warn({ err }, 'head check failed (the database is unreachable?); retrying every tick until it answers'),
    undefined,
    (failedChecks) => logger.info({ failedChecks }, 'head check answers again; caught up with the database'),
  );
  if (shared) watch.start();
  // PostgreSQL: another replica's commit is applied as soon as its NOTIFY arrives; the head
  // check above stays as the fallback (a lost notice only delays), and a reconnect reads the log.
  const warn = (err: unknown) => logger.warn({ err }, 'catch-up after a notice failed; the head check retries');
  const listener = watchCommits
    ? await watchCommits(
        // Our own commits (applied before the mutation answered) and ones already caught up cost nothing.
        (orgId, revision) => {
          if (registry.has(orgId) && registry.get(orgId).revision >= revision && revision > 0) return;
          void catchUp.index(orgId).catch(warn);
        },
        () => void watch.check().catch(warn),
      )
    : null;
  return {
    config,
    store,
    feed,
    catchUp,
    registry,
    authz: new AuthzQueries(registry),
    grants: new GrantService(writer, store, registry),
    windows,
    groups: new GroupService(writer, store, registry),
    users: new UserService(writer, store, registry),
    roles: new RoleService(writer, store, registry),
    scopes: new ScopeService(writer, store, registry),
    catalog: new CatalogService(writer, store, registry),
    apiKeys: new ApiKeyService(writer, store, registry),
    organizations: new OrganizationService(store, feed),
    changes: new ChangeService(store, feed, registry, config),
    freshness: new Freshness(store, registry, catchUp),
    exclusively,
    listening: () => listener?.connected ?? true,
    close: async () => {
      await windows.stop();
      watch.stop();
      await listener?.close();
      await store.close();
    },
  };
}
