import type { IndexRegistry } from '../authz/registry.js';
import type { Store } from '../store/store.js';
import type { Writer } from './write.js';

/**
 * What every aggregate's service is built on: the Writer for changes, the store for the
 * rows it reads, and the organizations' indexes for the rules.
 */
export abstract class AggregateService {
  constructor(
    protected readonly writer: Writer,
    protected readonly store: Store,
    protected readonly registry: IndexRegistry,
  ) {}
}
