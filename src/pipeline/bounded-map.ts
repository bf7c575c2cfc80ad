/**
 * Every collection an isolate keeps across requests is one of these: a Map that forgets
 * its oldest entry when full, so no key space (hosts, tokens, sessions) can grow an
 * isolate's memory without bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly maxEntries: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.maxEntries) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }

  /** The key that setting `key` now would push out, if any: for entries that must be let go of explicitly. */
  evicting(key: K): K | undefined {
    if (this.has(key) || this.size < this.maxEntries) return undefined;
    return this.keys().next().value;
  }
}
