/**
 * Gathers the items added during one event-loop turn and writes them together at the turn's end
 * (`setImmediate`: after every I/O callback that was ready, so the requests that end in the same
 * turn share one write). Each item's promise settles with its batch's write.
 */
export function batchByTurn<T>(write: (items: readonly T[]) => Promise<void>): (item: T) => Promise<void> {
  let items: T[] = [];
  let turn: Promise<void> | null = null;
  return (item) => {
    items.push(item);
    turn ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = items;
      items = [];
      turn = null;
      return write(batch);
    });
    return turn;
  };
}
