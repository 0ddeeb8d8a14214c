import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * One process per journal file: a second one would replay the first one's requests in flight as
 * interrupted, and its rewrites would leave the first appending to a file no longer there.
 *
 * The lock file `<file>.lock` names its owner as `{"pid":…,"started":…}`: the pid alone is not
 * enough, because pids are reused. In a container the gateway is pid 1 at every start, so the
 * lock left by a crash names the new process itself; after a reboot the pid may belong to any
 * other process. `started` is the kernel's boot id and the process's start time (field 22 of
 * `/proc/<pid>/stat`), which no later process with the same pid shares. A lock is stale when its
 * pid is gone, when it names this process but this process did not take it, or when the process
 * now holding that pid started at another time. Where `/proc` cannot be read (not Linux),
 * `started` is null and only the pid is compared.
 *
 * Returns the release function, or null when a live process holds the file.
 */
export function lockJournal(path: string): (() => void) | null {
  const lock = `${path}.lock`;
  if (heldHere.has(lock)) return null;
  const mine = JSON.stringify({ pid: process.pid, started: startedOf(process.pid) });
  // Written aside, then linked in: the lock appears whole (a reader never sees it empty), and
  // link, unlike rename, fails when the lock is already there.
  const draft = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(draft, mine);
  try {
    // Twice at most: once to find a stale lock and move it away, once to take the free slot.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(draft, lock);
        heldHere.add(lock);
        return () => {
          heldHere.delete(lock);
          rmSync(lock, { force: true });
        };
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err;
      }
      const seen = readLock(lock);
      if (seen === null) continue; // released meanwhile
      if (ownerAlive(seen)) return null;
      if (!moveAwayIfStill(lock, seen, `${draft}.stale`)) return null;
    }
    // Another process starting at the same moment took the slot just freed: leave it to it.
    return null;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** Lock files this process holds (two journals in one process must not share a file). */
const heldHere = new Set<string>();

/**
 * Moves a stale lock out of the way, unless another process already replaced it. Rename is
 * atomic, so of two processes removing the same stale lock only one moves it; the other either
 * finds nothing (ENOENT) or moves the winner's new lock, which it sees by its content and puts
 * back at once. Returns whether the slot may be tried again.
 */
function moveAwayIfStill(lock: string, seen: string, aside: string): boolean {
  try {
    renameSync(lock, aside);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return true;
    throw err;
  }
  const moved = readLock(aside);
  if (moved === seen) {
    rmSync(aside, { force: true });
    return true;
  }
  // Not the stale lock we read: a live process's new one. Back where it was (link: never over a
  // lock a third process may have written in between).
  try {
    linkSync(aside, lock);
  } catch {
    // A third process took the slot in that instant; nothing better to do than leave it.
  }
  rmSync(aside, { force: true });
  return false;
}

function readLock(lock: string): string | null {
  try {
    return readFileSync(lock, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
}

/** Whether the process a lock names still runs (and is the one that wrote it). */
function ownerAlive(text: string): boolean {
  const owner = parseOwner(text);
  if (owner === null) return false;
  // This process has just started and has not taken this lock (heldHere was checked): the lock
  // was left by an earlier process that had the same pid (pid 1 in a container).
  if (owner.pid === process.pid) return false;
  if (!processExists(owner.pid)) return false;
  if (owner.started === null) return true; // written without /proc: the pid is all we know
  const now = startedOf(owner.pid);
  return now === null || now === owner.started;
}

/** The owner as written, or as older versions wrote it (the bare pid). */
function parseOwner(text: string): { pid: number; started: string | null } | null {
  const bare = Number(text);
  if (Number.isInteger(bare) && bare > 0) return { pid: bare, started: null };
  try {
    const o = JSON.parse(text) as { pid?: unknown; started?: unknown };
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return null;
    return { pid: o.pid, started: typeof o.started === 'string' ? o.started : null };
  } catch {
    return null; // torn or foreign: nobody can be said to hold it
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as { code?: string }).code === 'EPERM';
  }
}

let bootId: string | null | undefined;

/** `<boot id>/<start time in clock ticks since boot>` on Linux; null where /proc is not there. */
function startedOf(pid: number): string | null {
  try {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22; the list starts at field 3
    return start ? `${bootId}/${start}` : null;
  } catch {
    return null;
  }
}
