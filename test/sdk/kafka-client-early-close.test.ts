// A bus consumer closed at any moment of its start-up (while it joins, as its stream is made, just after):
// close() ends run(), nothing crashes the process, and nothing keeps it running afterwards. Closing during
// the join once left platformatic's stream to emit "Client is closed" with no listener yet (the process
// died), and a heartbeat timer running on the closed client (the process never exited).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { createBusAdmin, createBusProducer } from '../../src/sdk/kafka-client.ts';
import { startTestBroker } from '../helpers/broker.ts';
import { waitFor } from '../helpers/wait-for.ts';

const CHILD = new URL('./early-close-child.ts', import.meta.url).pathname;
const ROUNDS = 120;

test('a consumer closed at any moment of its start-up neither crashes nor keeps the process alive', async (t) => {
  const broker = await startTestBroker(t);
  const bus = { bootstrap: [broker.bootstrap] };
  const admin = createBusAdmin(bus);
  await admin.createTopics([{ name: 'in', partitions: 3 }]);
  await admin.close();
  const producer = createBusProducer(bus, { acks: -1, idempotent: false });
  await producer.send(
    Array.from({ length: 30 }, (_, i) => ({
      topic: 'in',
      key: Buffer.from(`k${i}`),
      value: Buffer.from('v'),
      headers: {},
    })),
  );
  await producer.close();

  const child = spawn(process.execPath, [CHILD, broker.bootstrap, 'in', String(ROUNDS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  await waitFor(() => exit, {
    what: `the child to exit by itself\n${out}`,
    deadlineMs: 180_000,
    everyMs: 50,
  });
  assert.deepEqual(exit, { code: 0, signal: null }, out);
  assert.match(out, new RegExp(`^closed ${ROUNDS}$`, 'm'));
});
