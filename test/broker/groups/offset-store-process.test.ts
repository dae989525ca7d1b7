// The offset store in a real process killed with SIGKILL mid-run: every change the process printed as
// acknowledged is in the store when it is reopened (fsync mode; and none mode, since a killed process loses
// nothing the kernel already has).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { dump, openStore, tempDir, waitUntil } from './offset-store-helpers.ts';

const CHILD = new URL('./offset-store-child.ts', import.meta.url).pathname;

for (const mode of ['fsync', 'none'] as const) {
  test(`SIGKILL of a process committing in a loop (${mode}): every printed commit survives`, async (t) => {
    const dir = await tempDir(t);
    const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const acks = () => stdout.split('\n').length - 2; // minus "ready" and the unfinished last line
    const target = 300 + Math.floor(Math.random() * 700);
    await waitUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`the child exited early (${child.exitCode}): ${stderr}`);
        return acks() >= target;
      },
      `${target} acknowledged commits`,
      120_000,
    );
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.equal(signal, 'SIGKILL', `exit code ${String(code)}, stderr: ${stderr}`);

    const lastOffset = new Map<string, number>();
    let lastGeneration = -1;
    let lines = 0;
    for (const line of stdout.split('\n')) {
      const offset = /^offset (g\d) (\d) (\d+)$/.exec(line);
      const group = /^group (\d+)$/.exec(line);
      if (offset) {
        const key = `${offset[1]}/${offset[2]}`;
        lastOffset.set(key, Math.max(lastOffset.get(key) ?? -1, Number(offset[3])));
        lines += 1;
      } else if (group) {
        lastGeneration = Math.max(lastGeneration, Number(group[1]));
        lines += 1;
      }
    }
    assert.ok(lines >= target, `${lines} acknowledgements parsed`);

    const store = await openStore(dir);
    t.after(() => store.close());
    for (const [key, printed] of lastOffset) {
      const [group, partition] = key.split('/');
      const found = store.offset(group, 't', Number(partition));
      assert.ok(found, `${key}: printed ${printed}, missing after the kill`);
      // A later commit may have been durable but not yet printed when the kill came: never an earlier one.
      assert.ok(found.offset >= BigInt(printed), `${key}: printed ${printed}, found ${found.offset}`);
      assert.equal(found.metadata, `n=${found.offset}`);
    }
    if (lastGeneration >= 0) assert.ok(store.group('g')!.generationId >= lastGeneration);
    assert.equal(Object.keys(dump(store).offsets).length, 3);
  });
}
