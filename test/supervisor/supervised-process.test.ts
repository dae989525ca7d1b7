// One supervised child: SIGKILLed it is restarted (a new pid, the restart counted); one that keeps
// crashing is restarted again and again with back-off; stopped, it stays stopped and is gone.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SupervisedProcess, type ProcessSpec } from '../../src/supervisor/supervised-process.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Test fixtures only: a child that serves nothing and waits forever, and one that crashes at once.
const IDLE = ['-e', 'console.log("idle up"); setInterval(() => {}, 1000)'];
const CRASHING = ['-e', 'console.error("crashing"); process.exit(3)'];

/** Ready once the latest start printed its line to the log (proves output goes there too). */
function spec(name: string, args: string[], logDir: string): ProcessSpec {
  const ready = async (): Promise<boolean> => {
    const log = await readFile(path.join(logDir, `${name}.log`), 'utf8');
    return (log.match(/idle up/g)?.length ?? 0) >= (log.match(/^--- /gm)?.length ?? 1);
  };
  return { name, role: 'component', kind: 'fixture', args, ready };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withLogDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-supervised-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a SIGKILLed child is restarted with a new pid and the restart is counted', () =>
  withLogDir(async (dir) => {
    const events: string[] = [];
    const child = new SupervisedProcess(spec('idle', IDLE, dir), dir, (_n, m) => events.push(m), {
      initialMs: 50,
    });
    try {
      child.start();
      const first = await waitFor(() => (child.info().state === 'running' && child.info().pid) ?? undefined, {
        what: 'the child to run',
      });
      assert.equal(await child.kill(), true);
      const second = await waitFor(
        () => {
          const info = child.info();
          return info.state === 'running' && info.pid !== null && info.pid !== first ? info : undefined;
        },
        { what: 'the child to be restarted' },
      );
      assert.equal(second.restarts, 1);
      assert.equal(alive(first), false);
      assert.ok(
        events.some((e) => e.startsWith('crashed (SIGKILL)')),
        events.join('\n'),
      );
      const log = await readFile(path.join(dir, 'idle.log'), 'utf8');
      assert.equal(log.match(/idle up/g)?.length, 2, log);
    } finally {
      await child.stop(5000);
    }
    assert.equal(child.info().state, 'stopped');
    assert.equal(child.info().pid, null);
  }));

test('a child that keeps crashing is restarted each time, with growing delays', () =>
  withLogDir(async (dir) => {
    const delays: number[] = [];
    const child = new SupervisedProcess(
      spec('crashing', CRASHING, dir),
      dir,
      (_n, m) => {
        const delay = /restarting in (\d+) ms/.exec(m)?.[1];
        if (delay !== undefined) delays.push(Number(delay));
      },
      { initialMs: 20, maxMs: 80 },
    );
    try {
      child.start();
      await waitFor(() => child.info().restarts >= 4, { what: 'four restarts' });
    } finally {
      await child.stop(5000);
    }
    assert.deepEqual(delays.slice(0, 4), [20, 40, 80, 80]);
    assert.match(await readFile(path.join(dir, 'crashing.log'), 'utf8'), /crashing/);
  }));

test('stop() ends the child and no restart follows; start() brings it back', () =>
  withLogDir(async (dir) => {
    const child = new SupervisedProcess(spec('idle', IDLE, dir), dir, () => undefined, { initialMs: 10 });
    try {
      child.start();
      const pid = await waitFor(() => (child.info().state === 'running' && child.info().pid) ?? undefined, {
        what: 'the child to run',
      });
      await child.stop(5000);
      assert.equal(alive(pid), false);
      assert.deepEqual([child.info().state, child.info().restarts], ['stopped', 0]);
      child.start();
      await waitFor(() => child.info().state === 'running', { what: 'the child to run again' });
    } finally {
      await child.stop(5000);
    }
  }));
