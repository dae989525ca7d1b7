// The group coordinator on its own, for the state-machine tests: a real offset store in a temporary
// directory (through a FaultFs, so a test can fail or hold its writes), a fake clock, and helpers that build
// requests the way the JoinGroup/SyncGroup handlers do.
import { rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import {
  GroupCoordinator,
  type GroupSettings,
  type JoinRequest,
} from '../../../src/broker/groups/coordinator.ts';
import type { JoinResult } from '../../../src/broker/groups/member.ts';
import { OffsetStore } from '../../../src/broker/groups/offset-store.ts';
import { FaultFs } from '../../../src/broker/log/fault-fs.ts';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/messages/index.ts';
import { Writer } from '../../../src/protocol/writer.ts';
import { tempDir } from '../../helpers/broker.ts';
import { FakeClock } from './fake-clock.ts';

export const silentLogger = pino({ level: 'silent' });

export const SETTINGS: GroupSettings = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 1000,
  maxSessionTimeoutMs: 600_000,
};

export interface Harness {
  readonly dir: string;
  readonly fs: FaultFs;
  readonly clock: FakeClock;
  store: OffsetStore;
  coordinator: GroupCoordinator;
  /** Closes the coordinator and store and opens both again on the same directory (a broker restart). */
  restart(): Promise<void>;
}

/** Topics the harness's coordinator knows: "events" with 4 partitions, "audit" with 2. */
const PARTITIONS = new Map([
  ['events', 4],
  ['audit', 2],
]);

export async function harness(t: TestContext, settings: Partial<GroupSettings> = {}): Promise<Harness> {
  const dir = await tempDir('sluice-groups-');
  const clock = new FakeClock();
  const fs = new FaultFs();
  const open = async (): Promise<{ store: OffsetStore; coordinator: GroupCoordinator }> => {
    const store = await OffsetStore.open(fs, dir, { durability: { mode: 'fsync' }, logger: silentLogger });
    const coordinator = GroupCoordinator.open({
      store,
      settings: { ...SETTINGS, ...settings },
      logger: silentLogger,
      clock,
      partitionExists: (topic, partition) => partition >= 0 && partition < (PARTITIONS.get(topic) ?? 0),
    });
    return { store, coordinator };
  };
  const h: Harness = {
    dir,
    fs,
    clock,
    ...(await open()),
    async restart() {
      h.coordinator.close();
      await h.coordinator.flush();
      await h.store.close();
      Object.assign(h, await open());
    },
  };
  t.after(async () => {
    h.coordinator.close();
    await h.coordinator.flush();
    await h.store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return h;
}

/** A consumer-protocol subscription as clients send it: int16 version, then the version-0 body. */
export function subscription(...topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, 0, {
    topics,
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
  return Buffer.from(w.toBuffer());
}

export function joinRequest(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g1',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('events') }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    ...overrides,
  };
}

/** A dynamic member's first join: MEMBER_ID_REQUIRED, then the join with the id it was given (parked). */
export async function joinNew(
  coordinator: GroupCoordinator,
  overrides: Partial<JoinRequest> = {},
): Promise<{ memberId: string; joined: Promise<JoinResult> }> {
  const first = await coordinator.join(joinRequest(overrides));
  if (first.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  return {
    memberId: first.memberId,
    joined: coordinator.join(joinRequest({ ...overrides, memberId: first.memberId })),
  };
}

/** Whether a promise has settled yet (after letting queued callbacks run). */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

export function assignment(...partitions: number[]): Buffer {
  return Buffer.from(`events:${partitions.join(',')}`);
}
