/** the entry for `key`, made by `make` and kept the first time it is asked for */
export function getOrCreate<K, V> (entries: Map<K, V>, key: K, make: () => V): V {
  let entry = entries.get(key)
  if (entry === undefined) {
    entry = make()
    entries.set(key, entry)
  }
  return entry
}
