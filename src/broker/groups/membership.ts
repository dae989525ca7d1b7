// The membership requests on one classic group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the member
// checks of OffsetCommit. Each validates as Kafka does, then changes the group through the rebalance core
// (rebalance.ts). A JoinGroup or SyncGroup that has to wait returns a promise the rebalance settles.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { Timer } from './clock.ts';
import type { Group } from './group.ts';
import {
  joinError,
  Member,
  syncError,
  type GroupProtocol,
  type JoinResult,
  type SyncResult,
} from './member.ts';
import type { Rebalancer } from './rebalance.ts';

export interface JoinRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  readonly clientId: string;
  readonly clientHost: string;
  /** JoinGroup v4+: a dynamic member without an id gets one with MEMBER_ID_REQUIRED and joins again. */
  readonly requireKnownMemberId: boolean;
}

export interface SyncRequest {
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+: checked against the group's when not null. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export class Membership {
  readonly #rebalancer: Rebalancer;

  constructor(rebalancer: Rebalancer) {
    this.#rebalancer = rebalancer;
  }

  join(group: Group, req: JoinRequest): Promise<JoinResult> {
    if (group.is('Dead'))
      return Promise.resolve(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const result = req.memberId === '' ? this.#joinNewMember(group, req) : this.#joinKnownMember(group, req);
    if (group.is('PreparingRebalance')) this.#rebalancer.maybeCompleteJoin(group);
    return result;
  }

  #joinNewMember(group: Group, req: JoinRequest): Promise<JoinResult> {
    if (req.groupInstanceId !== null) {
      const newMemberId = `${req.groupInstanceId}-${randomUUID()}`;
      const oldMemberId = group.staticMembers.get(req.groupInstanceId);
      if (oldMemberId !== undefined) return this.#replaceStaticMember(group, oldMemberId, newMemberId, req);
      return this.#addMember(group, newMemberId, req);
    }
    const memberId = `${req.clientId}-${randomUUID()}`;
    if (req.requireKnownMemberId) {
      // The id is handed out first so a client that never comes back leaves no member behind: it is
      // remembered as pending only, and forgotten after one session timeout.
      const expiry = new Timer(this.#rebalancer.env.clock);
      group.pending.set(memberId, { memberId, expiry });
      expiry.start(req.sessionTimeoutMs, () => this.#rebalancer.expirePending(group, memberId));
      return Promise.resolve(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.#addMember(group, memberId, req);
  }

  #joinKnownMember(group: Group, req: JoinRequest): Promise<JoinResult> {
    if (group.removePending(req.memberId)) return this.#addMember(group, req.memberId, req);
    if (group.isStaticMemberFenced(req.groupInstanceId, req.memberId)) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.FENCED_INSTANCE_ID));
    }
    const member = group.members.get(req.memberId);
    const instanceUnknown = req.groupInstanceId !== null && !group.staticMembers.has(req.groupInstanceId);
    if (!member || instanceUnknown)
      return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    const rebalancer = this.#rebalancer;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        // Same metadata: the member missed the JoinGroup answer of this generation; give it again.
        if (member.matches(req.protocols)) {
          rebalancer.touch(group, member);
          return Promise.resolve(
            rebalancer.currentGeneration(group, member, group.isLeader(member.memberId)),
          );
        }
        return this.#updateMemberAndRebalance(group, member, req);
      case 'Stable':
        // The leader rejoining asks for a new assignment (its view of the topics changed); a follower
        // with unchanged metadata just gets the current generation back.
        if (group.isLeader(member.memberId) || !member.matches(req.protocols)) {
          return this.#updateMemberAndRebalance(group, member, req);
        }
        rebalancer.touch(group, member);
        return Promise.resolve(rebalancer.currentGeneration(group, member, false));
      default:
        return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  #addMember(group: Group, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member = new Member({ ...req, memberId }, this.#rebalancer.env.clock);
    group.add(member);
    if (group.initialDelay) group.initialDelay.newMemberAdded = true;
    return this.#parkAndRebalance(group, member);
  }

  #updateMemberAndRebalance(group: Group, member: Member, req: JoinRequest): Promise<JoinResult> {
    updateMember(member, req);
    return this.#parkAndRebalance(group, member);
  }

  #parkAndRebalance(group: Group, member: Member): Promise<JoinResult> {
    const answer = new Promise<JoinResult>((resolve) =>
      member.awaitJoin(resolve, ErrorCode.REBALANCE_IN_PROGRESS),
    );
    this.#rebalancer.touch(group, member);
    this.#rebalancer.maybePrepareRebalance(group);
    return answer;
  }

  /**
   * A static member came back without its member id (a restarted process): it takes over under a new id
   * and the old incarnation is fenced. In a Stable group whose chosen protocol stays the same this is
   * done without a rebalance: the member keeps its assignment (Kafka's static membership, KIP-345).
   */
  #replaceStaticMember(
    group: Group,
    oldMemberId: string,
    newMemberId: string,
    req: JoinRequest,
  ): Promise<JoinResult> {
    const rebalancer = this.#rebalancer;
    const member = group.members.get(oldMemberId)!;
    member.answerJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.answerSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const previousProtocols = member.protocols;
    group.replaceStaticMember(member, newMemberId);
    updateMember(member, req);
    rebalancer.touch(group, member);
    const park = (): Promise<JoinResult> =>
      new Promise((resolve) => member.awaitJoin(resolve, ErrorCode.REBALANCE_IN_PROGRESS));
    switch (group.state) {
      case 'Stable': {
        if (group.selectProtocol() !== group.protocolName) {
          const answer = park();
          rebalancer.prepareRebalance(group);
          return answer;
        }
        const generation = group.generationId;
        return rebalancer.env.persist(group).then(
          () => rebalancer.currentGeneration(group, member, group.isLeader(newMemberId), true),
          (err: unknown) => {
            // Not stored: undo the replacement, so the old incarnation stays the member (as Kafka does).
            if (group.generationId === generation && group.members.get(newMemberId) === member) {
              group.replaceStaticMember(member, oldMemberId);
              member.protocols = previousProtocols;
            }
            return joinError('', rebalancer.env.storeErrorCode(err));
          },
        );
      }
      case 'CompletingRebalance': {
        // The leader may already be assigning to the old id: start over so the new id gets partitions.
        const answer = park();
        rebalancer.prepareRebalance(group);
        return answer;
      }
      default:
        // PreparingRebalance: the member takes part in this rebalance under its new id.
        return park();
    }
  }

  sync(group: Group, req: SyncRequest): Promise<SyncResult> {
    const error = validateMember(group, req.memberId, req.groupInstanceId, req.generationId);
    if (error !== ErrorCode.NONE) return Promise.resolve(syncError(error));
    if (
      (req.protocolType !== null && req.protocolType !== group.protocolType) ||
      (req.protocolName !== null && req.protocolName !== group.protocolName)
    ) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        const answer = new Promise<SyncResult>((resolve) =>
          member.awaitSync(resolve, ErrorCode.REBALANCE_IN_PROGRESS),
        );
        this.#synced(group, member);
        if (group.isLeader(member.memberId) && group.storingGeneration !== group.generationId) {
          this.#storeAssignments(group, req.assignments);
        }
        return answer;
      }
      case 'Stable':
        this.#synced(group, member);
        return Promise.resolve(assignmentOf(group, member));
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  #synced(group: Group, member: Member): void {
    group.pendingSync.delete(member.memberId);
    if (group.pendingSync.size === 0) group.syncTimer.stop();
    this.#rebalancer.touch(group, member);
  }

  /**
   * The leader's assignments: members it left out get an empty one, ids that are not members are ignored.
   * They are stored before anyone is answered, so a generation clients consume under is a durable one.
   */
  #storeAssignments(group: Group, given: SyncRequest['assignments']): void {
    const rebalancer = this.#rebalancer;
    const generation = group.generationId;
    const assignments = new Map<string, Buffer>();
    for (const id of group.members.keys()) assignments.set(id, Buffer.alloc(0));
    for (const a of given) if (assignments.has(a.memberId)) assignments.set(a.memberId, a.assignment);
    group.storingGeneration = generation;
    const current = (): boolean => group.is('CompletingRebalance') && group.generationId === generation;
    rebalancer.env.persist(group, assignments).then(
      () => {
        if (!current()) return;
        group.storingGeneration = undefined;
        group.transition('Stable');
        for (const member of group.members.values()) {
          member.assignment = assignments.get(member.memberId) ?? Buffer.alloc(0);
          member.answerSync(assignmentOf(group, member));
        }
      },
      (err: unknown) => {
        rebalancer.env.logger.error({ err, group: group.groupId }, 'storing the group assignment failed');
        if (!current()) return;
        group.storingGeneration = undefined;
        rebalancer.resetAssignments(group, rebalancer.env.storeErrorCode(err));
        rebalancer.prepareRebalance(group);
      },
    );
  }

  heartbeat(group: Group, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const error = validateMember(group, memberId, groupInstanceId, generationId);
    if (error !== ErrorCode.NONE) return error;
    if (group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#rebalancer.touch(group, group.members.get(memberId)!);
    // The way members learn of a rebalance: they rejoin on this answer.
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /**
   * OffsetCommit's checks (Kafka's order): a "simple" commit (generation < 0) is only for a group without
   * members; during CompletingRebalance a current member is told to finish the rebalance first.
   */
  validateCommit(
    group: Group,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(groupInstanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.#rebalancer.touch(group, group.members.get(memberId)!);
    return ErrorCode.NONE;
  }

  /** One code per identity, in order: by instance id (static members) or by member id. */
  leave(group: Group, identities: readonly MemberIdentity[]): number[] {
    if (group.is('Dead')) return identities.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const rebalancer = this.#rebalancer;
    let removed = false;
    const codes = identities.map(({ memberId, groupInstanceId }) => {
      if (groupInstanceId !== null) {
        const current = group.staticMembers.get(groupInstanceId);
        if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
        if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
        rebalancer.removeMember(group, current, ErrorCode.UNKNOWN_MEMBER_ID);
      } else if (!group.removePending(memberId)) {
        if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
        rebalancer.removeMember(group, memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      }
      removed = true;
      return ErrorCode.NONE;
    });
    if (removed) rebalancer.afterMemberGone(group);
    return codes;
  }
}

function updateMember(member: Member, req: JoinRequest): void {
  member.protocols = req.protocols;
  member.protocolType = req.protocolType;
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  member.clientId = req.clientId;
  member.clientHost = req.clientHost;
}

/**
 * Checks of SyncGroup and Heartbeat: a live group, a current member (a static member's older incarnation is
 * fenced), the current generation.
 */
function validateMember(
  group: Group,
  memberId: string,
  groupInstanceId: string | null,
  generationId: number,
): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (group.isStaticMemberFenced(groupInstanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
  if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  return ErrorCode.NONE;
}

function assignmentOf(group: Group, member: Member): SyncResult {
  return {
    errorCode: ErrorCode.NONE,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    assignment: member.assignment,
  };
}
