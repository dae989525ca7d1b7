// Helpers of the consumer-group tests with real clients: members in child processes (the consumer script
// or kcat -G) whose output is collected line by line, what the coordinator has assigned to each member,
// and records produced to chosen partitions.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { decodeConsumerProtocolAssignment } from '../../../src/protocol/messages/index.ts';
import { Reader } from '../../../src/protocol/reader.ts';
import type { TestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';
import { produce } from '../../helpers/records-io.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const CHILD = new URL('./group-consumer-child.ts', import.meta.url).pathname;
export const KCAT = '/usr/bin/kcat';

export interface ChildMember {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: string[];
  stderr(): string;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

function track(t: TestContext, child: ChildProcess): ChildMember {
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l.length > 0));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let exitedYet = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedYet = true;
      resolve();
    }),
  );
  t.after(async () => {
    if (!exitedYet) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    lines,
    stderr: () => err,
    async kill(signal) {
      if (!exitedYet) child.kill(signal);
      await exited;
    },
  };
}

export interface ChildConsumerOptions {
  client: 'kafkajs' | 'platformatic';
  bootstrap: string;
  groupId: string;
  topic: string;
  clientId?: string;
}

/**
 * Cleanups run last-registered-first, all before the broker's own after-hook when this is called before
 * the broker is started (node:test runs after-hooks in registration order): clients leave their groups
 * while the broker is still there, instead of retrying against a closed one.
 */
export function cleanupStack(t: TestContext): (cleanup: () => Promise<unknown>) => void {
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });
  return (cleanup) => cleanups.push(cleanup);
}

/** The consumer script (group-consumer-child.ts) in its own process. */
export function childConsumer(t: TestContext, options: ChildConsumerOptions): ChildMember {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(t, child);
}

/** Records the consumer script printed, as "partition:offset:value". */
export function childRecords(member: ChildMember): string[] {
  return member.lines
    .map((l) => JSON.parse(l) as { event: string; partition?: number; offset?: string; value?: string })
    .filter((e) => e.event === 'record')
    .map((e) => `${e.partition}:${e.offset}:${e.value}`);
}

/**
 * `kcat -G <group> <topic>` (a balanced consumer), printing "partition offset value" per record, unbuffered.
 * Short session timeout and heartbeat interval so a killed member is noticed in seconds.
 */
export function kcatMember(
  t: TestContext,
  bootstrap: string,
  groupId: string,
  topic: string,
  extra: string[] = [],
): ChildMember {
  const args = [
    '-b',
    bootstrap,
    '-G',
    groupId,
    '-u',
    '-q',
    '-f',
    '%p %o %s\\n',
    '-X',
    'session.timeout.ms=6000',
    '-X',
    'heartbeat.interval.ms=500',
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    'auto.commit.interval.ms=200',
    ...extra,
    topic,
  ];
  return track(t, spawn(KCAT, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** What the coordinator assigned to each member of a Stable group: member id → "topic:partition" sorted. */
export function assignments(broker: TestBroker, groupId: string): Map<string, string[]> | undefined {
  const described = broker.context.groups.describe(groupId);
  if (described.groupState !== 'Stable') return undefined;
  const result = new Map<string, string[]>();
  for (const m of described.members) result.set(m.memberId, decodeAssignment(m.memberAssignment));
  return result;
}

export function decodeAssignment(bytes: Buffer): string[] {
  if (bytes.length === 0) return [];
  const reader = new Reader(bytes);
  reader.int16();
  // Every version's assignment starts with the version-0 body (clients announce newer versions over it).
  const assignment = decodeConsumerProtocolAssignment(reader, 0);
  return assignment.assignedPartitions.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}:${p}`)).sort();
}

/** Waits until the group is Stable with `sizes` partitions per member (in any order). */
export async function waitForBalance(
  broker: TestBroker,
  groupId: string,
  sizes: number[],
  what: string,
): Promise<Map<string, string[]>> {
  const wanted = [...sizes].sort().join(',');
  return waitFor(
    () => {
      const a = assignments(broker, groupId);
      if (!a) return undefined;
      const got = [...a.values()]
        .map((p) => p.length)
        .sort()
        .join(',');
      return got === wanted ? a : undefined;
    },
    { what, deadlineMs: 90_000, everyMs: 50 },
  );
}

/** Produces `count` records "<tag>-<partition>-<i>" to each partition; returns their values. */
export async function produceTo(
  broker: { readonly port: number },
  topic: string,
  partitions: number,
  count: number,
  tag: string,
): Promise<string[]> {
  const client = await RawClient.connect(broker.port);
  try {
    const values: string[] = [];
    for (let p = 0; p < partitions; p++) {
      const batch = Array.from({ length: count }, (_, i) => `${tag}-${p}-${i}`);
      const { errorCode } = await produce(client, topic, p, batch);
      if (errorCode !== 0) throw new Error(`produce to ${topic}[${p}] failed with ${errorCode}`);
      values.push(...batch);
    }
    return values;
  } finally {
    client.close();
  }
}
