/** Holders of one item, up to this many: an exact-size array, searched; beyond it a Set. */
const LIST_MAX = 8;

/**
 * Who holds each item (a permission key or a role id) at one scope: users and groups. Most
 * items at a scope have one holder (242,000 of 362,000 at a million grants), kept as the
 * subject's id itself; up to LIST_MAX as an array of exactly that size; more as a Set. A Set
 * of one costs about 130 bytes: the holders of a million grants took 82 MiB of heap as Sets,
 * 46 MiB so (L, after a full collection).
 */
export class HolderMap {
  private readonly byItem = new Map<string, string | string[] | Set<string>>();

  /** Adds the holder (again: no change). */
  add(item: string, subject: string): void {
    const held = this.byItem.get(item);
    if (held === undefined) this.byItem.set(item, subject);
    else if (typeof held === 'string') {
      if (held !== subject) this.byItem.set(item, [held, subject]);
    } else if (Array.isArray(held)) {
      if (held.includes(subject)) return;
      this.byItem.set(item, held.length < LIST_MAX ? [...held, subject] : new Set([...held, subject]));
    } else held.add(subject);
  }

  /** Removes the holder, and the item once it has none. */
  remove(item: string, subject: string): void {
    const held = this.byItem.get(item);
    if (held === undefined) return;
    if (typeof held === 'string') {
      if (held === subject) this.byItem.delete(item);
    } else if (Array.isArray(held)) {
      if (!held.includes(subject)) return;
      const rest = held.filter((s) => s !== subject);
      this.byItem.set(item, rest.length === 1 ? rest[0]! : rest);
    } else if (held.delete(subject) && held.size <= LIST_MAX / 2) {
      this.byItem.set(item, [...held]);
    }
  }

  /** The item's holders (none: empty). */
  of(item: string): Iterable<string> {
    return spread(this.byItem.get(item));
  }

  /** Whether no item is held. */
  get isEmpty(): boolean {
    return this.byItem.size === 0;
  }

  /** How many hold the item. */
  count(item: string): number {
    const held = this.byItem.get(item);
    return held === undefined ? 0 : typeof held === 'string' ? 1 : Array.isArray(held) ? held.length : held.size;
  }

  /** Each held item with its holders. */
  *[Symbol.iterator](): Generator<[string, Iterable<string>]> {
    for (const [item, held] of this.byItem) yield [item, spread(held)];
  }
}

function spread(held: string | string[] | Set<string> | undefined): Iterable<string> {
  return held === undefined ? [] : typeof held === 'string' ? [held] : held;
}
