// What the demo producers' tests share: a resolved topology whose metrics, logs and events streams are
// fresh topics on one bus, the component's own status, and the records of a topic read back and decoded.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { decodeEnvelope, type Envelope } from '../../../src/sdk/index.ts';
import type { RunningComponent } from '../../../src/services/runtime.ts';
import { startComponent } from '../../../src/services/start-component.ts';
import { topology, type ResolvedTopology } from '../../../src/topology/schema.ts';
import { readPartition } from '../../integration/read-back.ts';
import { uniqueTopic } from '../../helpers/target.ts';

export const PARTITIONS = 3;
export const STREAMS = ['metrics', 'logs', 'events'] as const;
export type Topics = Record<(typeof STREAMS)[number], string>;

export interface DemoSetup {
  topology: ResolvedTopology;
  topics: Topics;
  dir: string;
}

/**
 * A topology on the bus at `bootstrap` with `components`; its topics are created through `createTopic`
 * (skipped for a bus that is down). The data dir is removed after the test.
 */
export async function demoTopology(
  t: TestContext,
  bootstrap: string,
  components: Record<string, unknown>,
  createTopic?: (name: string, partitions: number) => Promise<void>,
  bus: Record<string, unknown> = {},
): Promise<DemoSetup> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-demo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const prefix = uniqueTopic('demo');
  const topics: Topics = { metrics: `${prefix}.metrics`, logs: `${prefix}.logs`, events: `${prefix}.events` };
  if (createTopic !== undefined)
    for (const topic of Object.values(topics)) await createTopic(topic, PARTITIONS);
  const streams = Object.fromEntries(
    STREAMS.map((s) => [s, { bus: 'main', topic: topics[s], partitions: PARTITIONS }]),
  );
  const parsed = topology.parse({
    dataDir: dir,
    buses: { main: { kind: 'kafka', bootstrap: bootstrap.split(','), ...bus } },
    streams,
    components,
  });
  return { topology: { ...parsed, resolved: true }, topics, dir };
}

/** Starts a component through the registry (as `sluice service` does), stopped after the test. */
export async function start(t: TestContext, setup: DemoSetup, name: string): Promise<RunningComponent> {
  const running = await startComponent(setup.topology, name, { logger: pino({ level: 'silent' }) });
  t.after(() => running.stop());
  return running;
}

export async function details<T = Record<string, unknown>>(running: RunningComponent): Promise<T> {
  return (await running.status()).details as T;
}

export interface ReadRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  envelope: Envelope;
}

/** Every record of every partition of `topic`, decoded (a record that is not an envelope throws). */
export async function readEnvelopes(bootstrap: string, topic: string): Promise<ReadRecord[]> {
  const all: ReadRecord[] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const record of await readPartition(bootstrap, topic, partition)) {
      all.push({ partition, offset: record.offset, key: record.key, envelope: decodeEnvelope(record.value) });
    }
  }
  return all;
}

/** The sum of every exported point of counter `name` (optionally only points whose attributes match). */
export function counterSum(
  records: ReadRecord[],
  name: string,
  match: Record<string, string | number> = {},
): number {
  let sum = 0;
  for (const { envelope } of records) {
    if (envelope.kind !== 'metric' || envelope.data.name !== name || envelope.data.type !== 'sum') continue;
    const { attributes } = envelope.data;
    if (Object.entries(match).every(([k, v]) => attributes[k] === v)) sum += envelope.data.value;
  }
  return sum;
}
