import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Child processes of one bench run. Every child is registered here so that any exit of the
 * bench (normal end, thrown error, Ctrl-C) kills what it started.
 */
const children = new Set<ChildProcess>();

export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

export interface Started {
  readonly child: ChildProcess;
  /** Everything the child printed so far (stdout and stderr), for error messages. */
  readonly output: () => string;
  /** Resolves with the first match of `pattern` in the child's output. */
  readonly waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>;
}

export function startChild(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; name: string },
): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let text = '';
  const waiters: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    // Keep only the head: the serve banner is what is parsed; logs after it are not needed.
    if (text.length < 64_000) text += chunk.toString('utf8');
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text);
        if (match) {
          done();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`${options.name} exited before it was ready:\n${text}`));
        }
      };
      const onExit = () => setImmediate(check);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${options.name} not ready after ${timeoutMs} ms:\n${text}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const index = waiters.indexOf(check);
        if (index !== -1) waiters.splice(index, 1);
        child.off('exit', onExit);
      };
      waiters.push(check);
      child.on('exit', onExit);
      check();
    });

  return { child, output: () => text, waitFor };
}

/** Asks a child to stop (SIGTERM) and waits; kills it if it has not exited in `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Resident memory of a process from /proc (Linux): current and the kernel's high-water mark, in MB. */
export function readRss(pid: number): { rssMb: number; hwmMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs`; `peakMb()` is the largest of samples and VmHWM. */
export function sampleRss(pid: number, everyMs = 100) {
  let peak = 0;
  const take = () => {
    const rss = readRss(pid);
    if (rss) peak = Math.max(peak, rss.rssMb, Number.isNaN(rss.hwmMb) ? 0 : rss.hwmMb);
  };
  take();
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    peakMb: () => {
      take();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** User + system CPU time a process has used, in ms (Linux, from /proc/<pid>/stat). */
export function readCpuMs(pid: number, ticksPerSecond = 100): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}
