/**
 * A map that holds at most `capacity` entries (the memory client's last known values,
 * the sandbox's remembered request ids). Eviction is
 * CLOCK ("second chance"), a close approximation of least-recently-used: a hit only sets
 * a flag, where strict LRU moves the entry on every read. Every successful read stores
 * its value here, so the delete-and-reinsert of strict LRU was measurable on the hot
 * read path (bench/memory-client.bench.ts).
 */
interface Entry<V> {
  value: V;
  used: boolean;
}

export class BoundedMap<K, V> {
  private readonly map = new Map<K, Entry<V>>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    const entry = this.map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.used = true;
      return;
    }
    this.map.set(key, { value, used: false });
    if (this.map.size > this.capacity) this.evict();
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  /** Oldest first (an entry given a second chance counts as new). */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, entry] of this.map) yield [key, entry.value];
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * From the oldest: a used entry gets a second chance at the back, unused ones go, until
   * a sixteenth of the capacity is free. In batches because a Map keeps the slots of
   * deleted keys until it rehashes, and each walk from the oldest steps over them: one
   * walk per insert made a bulk copy through a full cache quadratic.
   */
  private evict(): void {
    const target = this.capacity - (this.capacity >> 4);
    for (const [key, entry] of this.map) {
      if (this.map.size <= target) return;
      this.map.delete(key);
      if (!entry.used) continue;
      entry.used = false;
      this.map.set(key, entry);
    }
  }
}
