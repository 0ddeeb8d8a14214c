/**
 * Orders items by repeated weighted draws without replacement: the first item is the weighted
 * random pick, the rest are the fallbacks in the order a weighted pick would reach them.
 * Pure: randomness comes in as a function returning [0, 1).
 */
export function weightedOrder<T>(
  items: readonly T[],
  weightOf: (item: T) => number,
  random: () => number,
): T[] {
  if (items.length <= 1) return [...items];
  const pool = [...items];
  const out: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, item) => sum + Math.max(weightOf(item), 0), 0);
    let index = 0;
    if (total > 0) {
      let point = random() * total;
      for (index = 0; index < pool.length - 1; index++) {
        point -= Math.max(weightOf(pool[index] as T), 0);
        if (point < 0) break;
      }
    }
    out.push(pool.splice(index, 1)[0] as T);
  }
  return out;
}
