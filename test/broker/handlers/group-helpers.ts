// Helpers of the group handler tests: a broker with a 4-partition topic and fast group settings, request
// bodies with every field a version needs, and a member that joins (and syncs) over its own raw connection.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { StartBrokerOptions } from '../../../src/broker/broker.ts';
import {
  encodeConsumerProtocolSubscription,
  JoinGroupApi,
  SyncGroupApi,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../../src/protocol/messages/index.ts';
import { Writer } from '../../../src/protocol/writer.ts';
import { startTestBroker, type TestBroker } from '../../helpers/broker.ts';
import { RawClient } from '../../helpers/raw-client.ts';

export const MEMBER_ID_REQUIRED = 79;

export interface GroupSetup {
  broker: TestBroker;
  client: RawClient;
}

/** A broker (no initial rebalance delay, session timeouts from 1 s) with topic "events" of 4 partitions. */
export async function groupSetup(t: TestContext, options: StartBrokerOptions = {}): Promise<GroupSetup> {
  const broker = await startTestBroker(t, {
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 1000,
    ...options,
  });
  await broker.context.topics.create('events', 4, {});
  const client = await connect(t, broker);
  return { broker, client };
}

export async function connect(t: TestContext, broker: TestBroker): Promise<RawClient> {
  const client = await RawClient.connect(broker.port);
  t.after(() => client.close());
  return client;
}

/** A consumer subscription as clients encode it: int16 version, then the body. */
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

export function joinBody(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('events') }],
    reason: null,
    ...overrides,
  };
}

export function syncBody(overrides: Partial<SyncGroupRequest> = {}): SyncGroupRequest {
  return {
    groupId: 'g1',
    generationId: 1,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [],
    ...overrides,
  };
}

export interface JoinedMember {
  client: RawClient;
  memberId: string;
  response: JoinGroupResponse;
}

/** Joins at `version` on a new connection: the MEMBER_ID_REQUIRED round first from v4. */
export async function joinMember(
  t: TestContext,
  broker: TestBroker,
  version: number,
  overrides: Partial<JoinGroupRequest> = {},
): Promise<JoinedMember> {
  const client = await connect(t, broker);
  let memberId = overrides.memberId ?? '';
  if (version >= 4 && memberId === '' && (overrides.groupInstanceId ?? null) === null) {
    const first = await client.request(JoinGroupApi, version, joinBody(overrides));
    assert.equal(first.errorCode, MEMBER_ID_REQUIRED);
    memberId = first.memberId;
  }
  const response = await client.request(JoinGroupApi, version, joinBody({ ...overrides, memberId }));
  return { client, memberId: response.memberId, response };
}

export function sync(
  client: RawClient,
  version: number,
  overrides: Partial<SyncGroupRequest>,
): Promise<SyncGroupResponse> {
  return client.request(SyncGroupApi, version, syncBody(overrides));
}

/** One member alone in a Stable generation of `groupId`, joined and synced at the given versions. */
export async function soleMember(
  t: TestContext,
  broker: TestBroker,
  versions: { join: number; sync: number },
  groupId = 'g1',
): Promise<JoinedMember> {
  const member = await joinMember(t, broker, versions.join, { groupId });
  assert.equal(member.response.errorCode, 0);
  const synced = await sync(member.client, versions.sync, {
    groupId,
    generationId: member.response.generationId,
    memberId: member.memberId,
    assignments: [{ memberId: member.memberId, assignment: Buffer.from('all of it') }],
  });
  assert.equal(synced.errorCode, 0);
  return member;
}
