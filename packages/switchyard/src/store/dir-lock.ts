import { readFileSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { SwitchyardError } from '../errors/index.js';

/**
 * One process at a time may hold an embedded store: PGlite runs PostgreSQL in single-user
 * mode inside the process, and two of them on one directory would corrupt it. The lock file
 * names its holder (pid and start time); a holder that died (kill -9, power cut) leaves a
 * stale file that the next opener detects and takes over.
 */

interface Holder {
  readonly pid: number;
  readonly started?: string;
}

const heldHere = new Set<string>();

/** The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for the holder. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may itself hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = startTime(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

function parse(text: string): Holder | undefined {
  const [pid, started] = text.trim().split(/\s+/);
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return started ? { pid: n, started } : { pid: n };
}

export async function acquireDirLock(lockFile: string): Promise<() => Promise<void>> {
  if (heldHere.has(lockFile)) {
    throw new SwitchyardError('SWY_STORE_LOCKED', {
      message: `The embedded store ${lockFile.replace(/\/[^/]+$/, '')} is already open in this process`,
      details: { pid: process.pid },
    });
  }
  const me = `${process.pid} ${startTime(process.pid) ?? ''}`.trim();
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(`${me}\n`);
      await handle.close();
      heldHere.add(lockFile);
      return async () => {
        heldHere.delete(lockFile);
        await rm(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(lockFile, 'utf8').catch(() => '');
    const holder = parse(text);
    if (holder && holder.pid !== process.pid && isAlive(holder)) {
      throw new SwitchyardError('SWY_STORE_LOCKED', {
        message: `The embedded store ${lockFile.replace(/\/[^/]+$/, '')} is in use by process ${holder.pid}`,
        details: { pid: holder.pid, lockFile },
      });
    }
    if (!holder && text === '' && attempt === 0) {
      // Another opener may be between creating the file and writing its pid.
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    // Stale: move it aside first, so that of two openers racing to take over, only the one
    // whose rename succeeds removes it; the other retries and meets the winner's lock.
    const aside = `${lockFile}.stale-${process.pid}`;
    const moved = await rename(lockFile, aside).then(
      () => true,
      () => false,
    );
    if (moved) {
      const movedText = await readFile(aside, 'utf8').catch(() => '');
      await rm(aside, { force: true });
      if (movedText !== text) {
        // We moved a fresh lock taken meanwhile by someone else: give it back, then meet it.
        await open(lockFile, 'wx').then(
          async (h) => {
            await h.writeFile(movedText);
            await h.close();
          },
          () => undefined,
        );
      }
    }
  }
  throw new SwitchyardError('SWY_STORE_LOCKED', {
    message: `The embedded store lock ${lockFile} could not be taken: other processes keep changing it`,
  });
}
