// The classic group membership protocol on one group: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, session
// expiry and the rebalance they drive (Kafka's GroupCoordinator, reduced to one node). A rebalance is
// Preparing (members rejoin; done when all have, or after the largest rebalance timeout, dropping the rest)
// → Completing (the leader's SyncGroup brings the assignments, stored before anyone is answered) → Stable.
// Every parked JoinGroup/SyncGroup is answered exactly once: by the rebalance, by an error, or at shutdown.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Clock } from './clock.ts';
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

export interface GroupSettings {
  /** How long a new (Empty) group waits for more members before its first generation. */
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
}

export interface RebalanceEnv {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: GroupSettings;
  /**
   * Persists the group as it is now, with `assignments` instead of the members' current ones when given.
   * Chained per group; resolves when durable, rejects with the store's error.
   */
  persist(group: Group, assignments?: ReadonlyMap<string, Buffer>): Promise<void>;
  /** A group that may now hold nothing worth keeping (no members, generation 0, no offsets). */
  maybeForget(group: Group): void;
  /** The error code a failed store write answers with. */
  storeErrorCode(err: unknown): number;
}

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

/** Where the initial delay of a new group stands (Kafka's InitialDelayedJoin). */
interface InitialDelay {
  remainingMs: number;
}

export class Rebalancer {
  readonly #env: RebalanceEnv;
  readonly #initialDelays = new WeakMap<Group, InitialDelay>();
  /** Groups whose leader's assignments are being persisted, with the generation they belong to. */
  readonly #storing = new WeakMap<Group, number>();

  constructor(env: RebalanceEnv) {
    this.#env = env;
  }

  join(group: Group, req: JoinRequest): Promise<JoinResult> {
    if (group.is('Dead'))
      return Promise.resolve(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const result = req.memberId === '' ? this.#joinNewMember(group, req) : this.#joinKnownMember(group, req);
    if (group.is('PreparingRebalance')) this.#maybeCompleteJoin(group);
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
      const expiry = new Timer(this.#env.clock);
      group.pending.set(memberId, { memberId, expiry });
      expiry.start(req.sessionTimeoutMs, () => this.#expirePending(group, memberId));
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
    switch (group.state) {
      case 'PreparingRebalance':
        return this.#updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        // Same metadata: the member missed the JoinGroup answer of this generation; give it again.
        if (member.matches(req.protocols)) {
          this.#touch(group, member);
          return Promise.resolve(this.#currentGeneration(group, member, group.isLeader(member.memberId)));
        }
        return this.#updateMemberAndRebalance(group, member, req);
      case 'Stable':
        // The leader rejoining asks for a new assignment (its view of the topics changed); a follower
        // with unchanged metadata just gets the current generation back.
        if (group.isLeader(member.memberId) || !member.matches(req.protocols)) {
          return this.#updateMemberAndRebalance(group, member, req);
        }
        this.#touch(group, member);
        return Promise.resolve(this.#currentGeneration(group, member, false));
      default:
        return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  #addMember(group: Group, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member = new Member({ ...req, memberId }, this.#env.clock);
    group.add(member);
    const delay = this.#initialDelays.get(group);
    if (delay) group.newMemberAdded = true;
    const answer = new Promise<JoinResult>((resolve) =>
      member.awaitJoin(resolve, ErrorCode.REBALANCE_IN_PROGRESS),
    );
    this.#touch(group, member);
    this.#maybePrepareRebalance(group);
    return answer;
  }

  #updateMemberAndRebalance(group: Group, member: Member, req: JoinRequest): Promise<JoinResult> {
    this.#updateMember(member, req);
    const answer = new Promise<JoinResult>((resolve) =>
      member.awaitJoin(resolve, ErrorCode.REBALANCE_IN_PROGRESS),
    );
    this.#touch(group, member);
    this.#maybePrepareRebalance(group);
    return answer;
  }

  #updateMember(member: Member, req: JoinRequest): void {
    member.protocols = req.protocols;
    member.protocolType = req.protocolType;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
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
    const member = group.members.get(oldMemberId)!;
    member.answerJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    member.answerSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const previous = { protocols: member.protocols, memberId: oldMemberId };
    group.replaceStaticMember(member, newMemberId);
    this.#updateMember(member, req);
    this.#touch(group, member);
    switch (group.state) {
      case 'Stable': {
        if (group.selectProtocol() !== group.protocolName) return this.#rebalanceWith(group, member);
        const generation = group.generationId;
        return this.#env.persist(group).then(
          () => this.#currentGeneration(group, member, group.isLeader(newMemberId), true),
          (err: unknown) => {
            // Not stored: undo the replacement, so the old incarnation stays the member (as Kafka does).
            if (group.generationId === generation && group.members.get(newMemberId) === member) {
              group.replaceStaticMember(member, previous.memberId);
              member.protocols = previous.protocols;
            }
            return joinError('', this.#env.storeErrorCode(err));
          },
        );
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old id: start over so the new id gets partitions.
        return this.#rebalanceWith(group, member);
      default:
        // PreparingRebalance: the member is part of the rebalance under its new id.
        return new Promise((resolve) => member.awaitJoin(resolve, ErrorCode.REBALANCE_IN_PROGRESS));
    }
  }

  #rebalanceWith(group: Group, member: Member): Promise<JoinResult> {
    const answer = new Promise<JoinResult>((resolve) =>
      member.awaitJoin(resolve, ErrorCode.REBALANCE_IN_PROGRESS),
    );
    this.#prepareRebalance(group);
    return answer;
  }

  /** The current generation as a JoinGroup answer; the leader also gets every member's metadata. */
  #currentGeneration(group: Group, member: Member, asLeader: boolean, skipAssignment = false): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId: member.memberId,
      members: asLeader ? group.memberMetadata() : [],
    };
  }

  sync(group: Group, req: SyncRequest): Promise<SyncResult> {
    const error = this.#validateMember(group, req.memberId, req.groupInstanceId, req.generationId);
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
        if (group.isLeader(member.memberId) && this.#storing.get(group) !== group.generationId) {
          this.#storeAssignments(group, req.assignments);
        }
        return answer;
      }
      case 'Stable':
        this.#synced(group, member);
        return Promise.resolve(this.#assignmentOf(group, member));
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  #synced(group: Group, member: Member): void {
    group.pendingSync.delete(member.memberId);
    if (group.pendingSync.size === 0) group.syncTimer.stop();
    this.#touch(group, member);
  }

  #assignmentOf(group: Group, member: Member): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: member.assignment,
    };
  }

  /**
   * The leader's assignments: members it left out get an empty one, ids that are not members are ignored.
   * They are stored before anyone is answered, so a generation clients consume under is a durable one.
   */
  #storeAssignments(group: Group, given: SyncRequest['assignments']): void {
    const generation = group.generationId;
    const assignments = new Map<string, Buffer>();
    for (const id of group.members.keys()) assignments.set(id, Buffer.alloc(0));
    for (const a of given) if (assignments.has(a.memberId)) assignments.set(a.memberId, a.assignment);
    this.#storing.set(group, generation);
    const current = (): boolean => group.is('CompletingRebalance') && group.generationId === generation;
    this.#env.persist(group, assignments).then(
      () => {
        if (!current()) return;
        this.#storing.delete(group);
        group.transition('Stable');
        for (const member of group.members.values()) {
          member.assignment = assignments.get(member.memberId) ?? Buffer.alloc(0);
          member.answerSync(this.#assignmentOf(group, member));
        }
      },
      (err: unknown) => {
        this.#env.logger.error({ err, group: group.groupId }, 'storing the group assignment failed');
        if (!current()) return;
        this.#storing.delete(group);
        this.#resetAssignments(group, this.#env.storeErrorCode(err));
        this.#prepareRebalance(group);
      },
    );
  }

  /** Every parked SyncGroup is answered with `errorCode` and the assignments forgotten. */
  #resetAssignments(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = Buffer.alloc(0);
      member.answerSync(syncError(errorCode));
    }
  }

  heartbeat(group: Group, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const error = this.#validateMember(group, memberId, groupInstanceId, generationId);
    if (error !== ErrorCode.NONE) return error;
    if (group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.#touch(group, group.members.get(memberId)!);
    // The way members learn of a rebalance: they rejoin on this answer.
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /**
   * Checks of SyncGroup, Heartbeat and OffsetCommit: a live group, a current member (a static member's
   * older incarnation is fenced), the current generation.
   */
  #validateMember(
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
    this.#touch(group, group.members.get(memberId)!);
    return ErrorCode.NONE;
  }

  leave(group: Group, identities: readonly MemberIdentity[]): number[] {
    if (group.is('Dead')) return identities.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    let removed = false;
    const codes = identities.map(({ memberId, groupInstanceId }) => {
      if (groupInstanceId !== null) {
        const current = group.staticMembers.get(groupInstanceId);
        if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
        if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
        this.#removeMember(group, current, ErrorCode.UNKNOWN_MEMBER_ID);
        removed = true;
        return ErrorCode.NONE;
      }
      if (group.removePending(memberId)) {
        removed = true;
        return ErrorCode.NONE;
      }
      if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.#removeMember(group, memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      removed = true;
      return ErrorCode.NONE;
    });
    if (removed) this.#afterMemberGone(group);
    return codes;
  }

  /** Answers whatever the member has parked with `errorCode` and forgets it. */
  #removeMember(group: Group, memberId: string, errorCode: number): void {
    const member = group.remove(memberId);
    member?.answerJoin(joinError(memberId, errorCode));
    member?.answerSync(syncError(errorCode));
  }

  #afterMemberGone(group: Group): void {
    if (group.is('Stable') || group.is('CompletingRebalance')) this.#prepareRebalance(group);
    else if (group.is('PreparingRebalance')) this.#maybeCompleteJoin(group);
    else this.#env.maybeForget(group);
  }

  /** Restarts the member's session: it is expired if nothing is heard from it within its session timeout. */
  #touch(group: Group, member: Member): void {
    member.session.start(member.sessionTimeoutMs, () => {
      if (group.members.get(member.memberId) !== member) return;
      // A member whose JoinGroup or SyncGroup is parked cannot heartbeat; the rebalance and sync timeouts
      // bound that wait instead.
      if (member.awaitingJoin || member.awaitingSync) {
        this.#touch(group, member);
        return;
      }
      this.#env.logger.info(
        { group: group.groupId, member: member.memberId },
        'group member session expired',
      );
      this.#removeMember(group, member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      this.#afterMemberGone(group);
    });
  }

  /** Restores a member's session timer (a group loaded from the store: members that heartbeat stay). */
  startSession(group: Group, member: Member): void {
    this.#touch(group, member);
  }

  #expirePending(group: Group, memberId: string): void {
    if (!group.removePending(memberId)) return;
    if (group.is('PreparingRebalance')) this.#maybeCompleteJoin(group);
    else this.#env.maybeForget(group);
  }

  #maybePrepareRebalance(group: Group): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty'))
      this.#prepareRebalance(group);
  }

  #prepareRebalance(group: Group): void {
    if (group.is('CompletingRebalance')) this.#resetAssignments(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.#storing.delete(group);
    group.syncTimer.stop();
    group.pendingSync.clear();
    const fromEmpty = group.is('Empty');
    group.transition('PreparingRebalance');
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    const delayMs = Math.min(this.#env.settings.initialRebalanceDelayMs, rebalanceTimeoutMs);
    if (fromEmpty && delayMs > 0) {
      // A new group waits a little for more members, so that consumers started together land in one
      // generation instead of one rebalance each (Kafka's group.initial.rebalance.delay.ms).
      group.newMemberAdded = false;
      this.#initialDelays.set(group, { remainingMs: Math.max(rebalanceTimeoutMs - delayMs, 0) });
      group.joinTimer.start(delayMs, () => this.#initialDelayElapsed(group));
      return;
    }
    group.joinTimer.start(rebalanceTimeoutMs, () => this.#completeJoin(group));
    this.#maybeCompleteJoin(group);
  }

  #initialDelayElapsed(group: Group): void {
    const delay = this.#initialDelays.get(group);
    if (delay && group.newMemberAdded && delay.remainingMs > 0) {
      group.newMemberAdded = false;
      const next = Math.min(this.#env.settings.initialRebalanceDelayMs, delay.remainingMs);
      delay.remainingMs -= next;
      group.joinTimer.start(next, () => this.#initialDelayElapsed(group));
      return;
    }
    this.#completeJoin(group);
  }

  #maybeCompleteJoin(group: Group): void {
    if (group.is('PreparingRebalance') && !this.#initialDelays.has(group) && group.hasAllMembersJoined()) {
      this.#completeJoin(group);
    }
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are dropped (static ones keep their place),
   * the generation advances, the protocol is chosen, and every parked JoinGroup is answered.
   */
  #completeJoin(group: Group): void {
    if (!group.is('PreparingRebalance')) return;
    group.joinTimer.stop();
    this.#initialDelays.delete(group);
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin && member.groupInstanceId === null) {
        this.#removeMember(group, member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      }
    }
    const joined = [...group.members.values()].filter((m) => m.awaitingJoin);
    if (group.members.size > 0 && joined.length === 0) {
      // Only static members that have not rejoined: give them another rebalance timeout.
      group.joinTimer.start(group.rebalanceTimeoutMs(), () => this.#completeJoin(group));
      return;
    }
    if (group.leaderId !== null && !group.members.get(group.leaderId)?.awaitingJoin) {
      group.leaderId = joined[0]?.memberId ?? null;
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transition('Empty');
      this.#persistEmpty(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance');
    const generation = group.generationId;
    for (const member of group.members.values()) {
      member.assignment = Buffer.alloc(0);
      member.answerJoin(this.#currentGeneration(group, member, group.isLeader(member.memberId)));
      this.#touch(group, member);
      group.pendingSync.add(member.memberId);
    }
    group.syncTimer.start(group.rebalanceTimeoutMs(), () => this.#syncExpired(group, generation));
  }

  /** Members that did not SyncGroup within the rebalance timeout are removed and a new rebalance starts. */
  #syncExpired(group: Group, generation: number): void {
    if (group.generationId !== generation || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
    if (group.pendingSync.size === 0) return;
    for (const memberId of [...group.pendingSync])
      this.#removeMember(group, memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    group.pendingSync.clear();
    this.#prepareRebalance(group);
  }

  #persistEmpty(group: Group): void {
    this.#env.persist(group).catch((err: unknown) => {
      this.#env.logger.error({ err, group: group.groupId }, 'storing the empty group failed');
    });
    this.#env.maybeForget(group);
  }

  /** Shutdown: every parked request is answered (NOT_COORDINATOR: clients look for the coordinator again). */
  shutdown(group: Group): void {
    group.stopTimers();
    this.#initialDelays.delete(group);
    for (const member of group.members.values()) {
      member.answerJoin(joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
      member.answerSync(syncError(ErrorCode.NOT_COORDINATOR));
    }
  }
}
