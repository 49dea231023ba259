import { afterEach, beforeEach, describe } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { Org, type ContractSubject } from './contract-fixture.js';
import { groupContract } from './contract-groups.js';
import { keyContract } from './contract-keys.js';
import { listContract } from './contract-lists.js';
import { logContract, lookupContract } from './contract-reads.js';
import { windowContract } from './contract-windows.js';
import { writeContract, type Ctx } from './contract-writes.js';

export type { ContractSubject } from './contract-fixture.js';

/**
 * What every store must do (the doc comments of `Store` in src/store/store.ts), tested
 * through the interface alone, each test on a fresh, migrated, empty store holding one
 * organization named `contract`. An implementation joins with one line:
 * `storeContract('name', makeStore)`.
 */
export function storeContract(name: string, makeStore: () => Promise<ContractSubject | Store>): void {
  describe(`store contract: ${name}`, () => {
    let ctx: Ctx | null = null;
    beforeEach(async () => {
      const made = await makeStore();
      // A bare store is closed alone (its test file drops whatever else it made).
      const subject = 'store' in made ? made : { store: made, close: () => made.close() };
      ctx = { subject, org: await Org.create(subject.store, 'contract') };
    });
    afterEach(async () => {
      await ctx?.subject.close();
      ctx = null;
    });
    const current = () => ctx!;
    writeContract(current);
    lookupContract(current);
    listContract(current);
    logContract(current);
    groupContract(current);
    windowContract(current);
    keyContract(current);
  });
}
