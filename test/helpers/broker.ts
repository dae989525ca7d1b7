// Starts the embedded broker in-process for a test: an ephemeral port on 127.0.0.1 and a fresh data
// directory, removed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startBroker, type BrokerHandle, type StartBrokerOptions } from '../../src/broker/broker.ts';

export interface TestBroker extends BrokerHandle {
  readonly dataDir: string;
}

export async function tempDir(prefix = 'sluice-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A broker that stops (and whose data directory is removed) when `t` finishes. */
export async function startTestBroker(t: TestContext, options: StartBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? (await tempDir());
  const broker = await startBroker({ port: 0, logLevel: 'silent', durability: 'none', ...options, dataDir });
  t.after(async () => {
    await broker.close();
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  });
  return Object.assign(Object.create(broker) as BrokerHandle, broker, { dataDir });
}
