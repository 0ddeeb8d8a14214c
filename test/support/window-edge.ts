/**
 * Waits, when needed, until the current fixed window (a UTC minute for rpm) has at least
 * `needMs` left, so a run of requests that must all count in one window never straddles two.
 * Not a timing assertion: it only picks when the run starts.
 */
export async function awayFromWindowEdge(
  windowMs: number,
  needMs: number,
  now: () => number = Date.now,
): Promise<void> {
  const left = windowMs - (now() % windowMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
