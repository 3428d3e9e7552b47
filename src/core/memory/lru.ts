/**
 * A small cache of the last known values, served while the server is away. Eviction is
 * CLOCK ("second chance"), a close approximation of least-recently-used: a hit only sets
 * a flag, where strict LRU moves the entry on every read. Every successful read stores
 * its value here, so the delete-and-reinsert of strict LRU was measurable on the hot
 * read path (bench/memory-client.bench.ts).
 */
interface Entry<V> {
  value: V;
  used: boolean;
}

export class LruCache<K, V> {
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
    if (this.map.size > this.capacity) this.evictOne();
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  /** From the oldest: a used entry gets a second chance at the back; the first unused one goes. */
  private evictOne(): void {
    for (const [key, entry] of this.map) {
      this.map.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.map.set(key, entry);
    }
  }
}
