import { afterAll, expect, it } from 'vitest';
import { CHANGES_CHANNEL, listen, openPostgres } from '../../src/db/pg-client.js';
import { describePg, eventually, scratchDatabase, type ScratchDatabase } from '../helpers/pg.js';
import { exportText, importText, pgTarget, refusal, seedOrg, sqliteTarget } from './kit.js';

/**
 * Replicas hear of an import as of a commit: one NOTIFY per organization, sent at commit
 * (not one per row, which would make every replica read the log a million times), and
 * none for an import that was refused.
 */
let db: ScratchDatabase | null = null;
afterAll(async () => db?.drop());

describePg('an import on PostgreSQL notifies once per organization', () => {
  it('one notice per imported organization, none for a refused import, in commit order', async () => {
    const source = sqliteTarget();
    const acme = await seedOrg(source.store, 'acme');
    await seedOrg(source.store, 'globex');
    const file = await exportText(source.store);
    await source.close();

    db = await scratchDatabase('transfer-notify');
    const target = await pgTarget(db.url);
    const h = openPostgres(db.url, { poolSize: 1 });
    const heard: string[] = [];
    const listener = await listen(h, CHANGES_CHANNEL, (payload) => heard.push(payload), () => {});
    try {
      const cut = file.slice(0, file.indexOf('{"kind":"grant"', file.indexOf('"name":"globex"')));
      expect((await refusal(importText(target.store, cut))).code).toBe('BAD_USER_INPUT');
      const summary = await importText(target.store, file);
      // A later commit's notice arrives after the import's: once it is here, every earlier one is too.
      const [later] = await target.store.commit(acme.org.id, summary.organizations[0]!.revision, [acme.org.userDraft(acme.org.user('late@acme.test'))]);
      await eventually(() => heard.includes(`${acme.org.id}:${later!.revision}`), 'the notice of the commit after the import');
      expect(heard).toEqual([...summary.organizations.map((o) => `${o.id}:${o.revision}`), `${acme.org.id}:${later!.revision}`]);
    } finally {
      await listener.close();
      await h.close();
      await target.close();
    }
  });
});
