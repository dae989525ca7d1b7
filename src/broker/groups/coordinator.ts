// The group coordinator of this (single) broker: every classic group, restored from the offset store at
// start, their persistence, and the group-level requests (describe, list, delete). Membership requests
// are in membership.ts, the rebalance and its timers in rebalance.ts, committed offsets in offsets.ts. All
// of it runs on the broker's event loop, so no locks: a request that has to wait (a rebalance, an fsync)
// does so through a promise.
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { systemClock, type Clock } from './clock.ts';
import { Group, type GroupState } from './group.ts';
import { joinError, Member, syncError, type JoinResult, type SyncResult } from './member.ts';
import type { GroupStore } from './group-store.ts';
import { Membership, type JoinRequest, type MemberIdentity, type SyncRequest } from './membership.ts';
import { OffsetCommands, type PartitionExists } from './offsets.ts';
import { Rebalancer, type GroupSettings } from './rebalance.ts';

export type { GroupSettings, JoinRequest, SyncRequest, MemberIdentity };

export interface GroupCoordinatorOptions {
  readonly store: GroupStore;
  readonly settings: GroupSettings;
  readonly logger: Logger;
  /** Whether a topic partition exists (commits and offset deletions of others are refused per partition). */
  readonly partitionExists: PartitionExists;
  readonly clock?: Clock;
}

export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  readonly groupState: GroupState;
  readonly protocolType: string;
  /** The chosen protocol while Stable, else "". */
  readonly protocolData: string;
  readonly members: readonly {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState;
  readonly groupType: 'classic';
}

export class GroupCoordinator {
  readonly #groups = new Map<string, Group>();
  readonly #store: GroupStore;
  readonly #settings: GroupSettings;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #rebalancer: Rebalancer;
  readonly #membership: Membership;
  /** Group metadata writes per group id, one after another, in the order the changes happened. */
  readonly #persistChains = new Map<string, Promise<void>>();
  readonly offsets: OffsetCommands;
  #closed = false;

  private constructor(options: GroupCoordinatorOptions) {
    this.#store = options.store;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#rebalancer = new Rebalancer({
      clock: this.#clock,
      logger: this.#logger,
      settings: this.#settings,
      persist: (group, assignments) => this.#persist(group, assignments),
      maybeForget: (group) => this.#maybeForget(group),
      storeErrorCode: storeErrorCode,
    });
    this.#membership = new Membership(this.#rebalancer);
    this.offsets = new OffsetCommands({
      store: this.#store,
      clock: this.#clock,
      partitionExists: options.partitionExists,
      lookup: (groupId) => this.#groups.get(groupId),
      create: (groupId) => this.#getOrCreate(groupId),
      validateCommit: (group, memberId, instanceId, generation) =>
        this.#membership.validateCommit(group, memberId, instanceId, generation),
      storeErrorCode,
      closed: () => this.#closed,
    });
  }

  /**
   * The coordinator with every group the store knows: a group whose last stored generation had members
   * continues it as Stable, each member on a fresh session timer (those that heartbeat keep their
   * assignment, the others expire and cause a rebalance); the others are Empty. Generations continue
   * from the stored one.
   */
  static open(options: GroupCoordinatorOptions): GroupCoordinator {
    const coordinator = new GroupCoordinator(options);
    const ids = new Set([...options.store.groupsWithMetadata(), ...options.store.groupsWithOffsets()]);
    for (const id of ids) coordinator.#restore(id);
    return coordinator;
  }

  #restore(groupId: string): void {
    const group = new Group(groupId, this.#clock);
    this.#groups.set(groupId, group);
    const stored = this.#store.group(groupId);
    if (!stored) return;
    group.generationId = stored.generationId;
    group.protocolType = stored.protocolType;
    if (stored.members.length === 0 || stored.protocolName === null || stored.protocolType === null) return;
    for (const m of stored.members) {
      const member = new Member(
        {
          ...m,
          protocolType: stored.protocolType,
          protocols: [{ name: stored.protocolName, metadata: m.subscription }],
          assignment: m.assignment,
        },
        this.#clock,
      );
      group.add(member);
    }
    if (stored.leaderId !== null && group.members.has(stored.leaderId)) group.leaderId = stored.leaderId;
    group.protocolName = stored.protocolName;
    group.restoreStable();
    for (const member of group.members.values()) this.#rebalancer.touch(group, member);
    this.#logger.info(
      { group: groupId, generation: group.generationId, members: group.members.size },
      'restored consumer group',
    );
  }

  /** Session timeout bounds, then the group (created for a member without an id). */
  join(req: JoinRequest): Promise<JoinResult> {
    if (this.#closed) return Promise.resolve(joinError(req.memberId, ErrorCode.NOT_COORDINATOR));
    if (req.groupId === '') return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.#settings;
    if (req.sessionTimeoutMs < minSessionTimeoutMs || req.sessionTimeoutMs > maxSessionTimeoutMs) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    if (req.rebalanceTimeoutMs < 0)
      return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_REQUEST));
    let group = this.#groups.get(req.groupId);
    if (!group) {
      // A member with an id cannot join a group that does not exist (it was deleted, or the broker lost it).
      if (req.memberId !== '') return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.#getOrCreate(req.groupId);
    }
    const answer = this.#membership.join(group, req);
    this.#maybeForget(group);
    return answer;
  }

  sync(groupId: string, req: SyncRequest): Promise<SyncResult> {
    if (this.#closed) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    if (groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    const group = this.#groups.get(groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    return this.#membership.sync(group, req);
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.#closed) return ErrorCode.NOT_COORDINATOR;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.#groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    return this.#membership.heartbeat(group, memberId, groupInstanceId, generationId);
  }

  /** A top-level error (then `members` is empty) or one code per identity, in order. */
  leave(groupId: string, identities: readonly MemberIdentity[]): { errorCode: number; members: number[] } {
    if (this.#closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.#groups.get(groupId);
    if (!group)
      return { errorCode: ErrorCode.NONE, members: identities.map(() => ErrorCode.UNKNOWN_MEMBER_ID) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    return { errorCode: ErrorCode.NONE, members: this.#membership.leave(group, identities) };
  }

  describe(groupId: string): DescribedGroup {
    const group = this.#groups.get(groupId);
    if (!group) {
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: 'Dead',
        protocolType: '',
        protocolData: '',
        members: [],
      };
    }
    // As Kafka: metadata and assignments only once the generation is Stable (before, they are in flux).
    const stable = group.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? (m.metadataFor(group.protocolName!) ?? Buffer.alloc(0)) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  /** Every group, filtered by state and type names (case-insensitive; empty filter = all). */
  list(states: readonly string[] = [], types: readonly string[] = []): ListedGroup[] {
    const wantedStates = new Set(states.map((s) => s.toLowerCase()));
    const wantedTypes = new Set(types.map((s) => s.toLowerCase()));
    const listed: ListedGroup[] = [];
    for (const group of this.#groups.values()) {
      if (wantedStates.size > 0 && !wantedStates.has(group.state.toLowerCase())) continue;
      if (wantedTypes.size > 0 && !wantedTypes.has('classic')) continue;
      listed.push({
        groupId: group.groupId,
        protocolType: group.protocolType ?? '',
        groupState: group.state,
        groupType: 'classic',
      });
    }
    return listed;
  }

  /** Only empty groups can be deleted; their committed offsets go with them. */
  async deleteGroup(groupId: string): Promise<number> {
    if (this.#closed) return ErrorCode.NOT_COORDINATOR;
    const group = this.#groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    group.stopTimers();
    group.transition('Dead');
    this.#groups.delete(groupId);
    try {
      await this.#store.deleteOffsets(groupId);
      await this.#chain(groupId, () => this.#store.putGroup(groupId, null));
      return ErrorCode.NONE;
    } catch (err) {
      this.#logger.error({ err, group: groupId }, 'deleting the group from the offset store failed');
      return storeErrorCode(err);
    }
  }

  /** The group, for the tests and the admin endpoint: state, generation, members. */
  group(groupId: string): Group | undefined {
    return this.#groups.get(groupId);
  }

  /** Answers every parked JoinGroup and SyncGroup (NOT_COORDINATOR) and stops every timer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const group of this.#groups.values()) this.#rebalancer.shutdown(group);
  }

  /** Waits for the group metadata writes already started (so the store can close after them). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#persistChains.values()]);
  }

  #getOrCreate(groupId: string): Group {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = new Group(groupId, this.#clock);
      this.#groups.set(groupId, group);
    }
    return group;
  }

  /** A group created by a request that left nothing behind (no member, no generation, no offsets) goes. */
  #maybeForget(group: Group): void {
    if (
      group.is('Empty') &&
      group.generationId === 0 &&
      group.members.size === 0 &&
      group.pending.size === 0 &&
      this.#store.offsets(group.groupId).size === 0 &&
      this.#store.group(group.groupId) === undefined &&
      this.#groups.get(group.groupId) === group
    ) {
      this.#groups.delete(group.groupId);
    }
  }

  #persist(group: Group, assignments?: ReadonlyMap<string, Buffer>): Promise<void> {
    const protocol = group.protocolName;
    // The snapshot is taken now, so later changes cannot leak into this write.
    const snapshot = {
      protocolType: group.protocolType,
      protocolName: protocol,
      generationId: group.generationId,
      leaderId: group.members.size > 0 ? group.leaderId : null,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscription: (protocol !== null ? m.metadataFor(protocol) : undefined) ?? Buffer.alloc(0),
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    };
    return this.#chain(group.groupId, () => this.#store.putGroup(group.groupId, snapshot));
  }

  #chain(groupId: string, write: () => Promise<void>): Promise<void> {
    const previous = this.#persistChains.get(groupId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(write);
    this.#persistChains.set(groupId, next);
    const forget = (): void => {
      if (this.#persistChains.get(groupId) === next) this.#persistChains.delete(groupId);
    };
    next.then(forget, forget);
    return next;
  }
}

/** The code a failed store operation answers with: the store's own (typed errors carry one), else unknown. */
export function storeErrorCode(err: unknown): number {
  if (err instanceof Error && 'errorCode' in err && typeof err.errorCode === 'number') return err.errorCode;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
