// The rebalance of one classic group and the timers that drive it (Kafka's GroupCoordinator, reduced to one
// node). A rebalance is PreparingRebalance (members rejoin; done when all have, or after the largest
// rebalance timeout, dropping the rest) → CompletingRebalance (every parked JoinGroup answered; the leader's
// SyncGroup brings the assignments, membership.ts) → Stable. Session expiry, the sync deadline, pending
// member ids and the initial delay of a new group live here too. Every parked JoinGroup/SyncGroup is
// answered exactly once: by the rebalance, by an error, or at shutdown.
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Clock } from './clock.ts';
import type { Group } from './group.ts';
import { joinError, syncError, type JoinResult, type Member } from './member.ts';

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

export class Rebalancer {
  readonly env: RebalanceEnv;

  constructor(env: RebalanceEnv) {
    this.env = env;
  }

  /** The current generation as a JoinGroup answer; the leader also gets every member's metadata. */
  currentGeneration(group: Group, member: Member, asLeader: boolean, skipAssignment = false): JoinResult {
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

  /** Restarts the member's session: it is expired if nothing is heard from it within its session timeout. */
  touch(group: Group, member: Member): void {
    member.session.start(member.sessionTimeoutMs, () => {
      if (group.members.get(member.memberId) !== member) return;
      // A member whose JoinGroup or SyncGroup is parked cannot heartbeat; the rebalance and sync timeouts
      // bound that wait instead.
      if (member.awaitingJoin || member.awaitingSync) {
        this.touch(group, member);
        return;
      }
      this.env.logger.info({ group: group.groupId, member: member.memberId }, 'group member session expired');
      this.removeMember(group, member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      this.afterMemberGone(group);
    });
  }

  /** Answers whatever the member has parked with `errorCode` and forgets it. */
  removeMember(group: Group, memberId: string, errorCode: number): void {
    const member = group.remove(memberId);
    member?.answerJoin(joinError(memberId, errorCode));
    member?.answerSync(syncError(errorCode));
  }

  /** After members left or expired: a settled group rebalances, a rebalancing one may now be complete. */
  afterMemberGone(group: Group): void {
    if (group.is('Stable') || group.is('CompletingRebalance')) this.prepareRebalance(group);
    else if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
    else this.env.maybeForget(group);
  }

  /** Expires a member id handed out with MEMBER_ID_REQUIRED that was never used. */
  expirePending(group: Group, memberId: string): void {
    if (!group.removePending(memberId)) return;
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
    else this.env.maybeForget(group);
  }

  /** Every parked SyncGroup is answered with `errorCode` and the assignments forgotten. */
  resetAssignments(group: Group, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = Buffer.alloc(0);
      member.answerSync(syncError(errorCode));
    }
  }

  maybePrepareRebalance(group: Group): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty'))
      this.prepareRebalance(group);
  }

  prepareRebalance(group: Group): void {
    if (group.is('CompletingRebalance')) this.resetAssignments(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.storingGeneration = undefined;
    group.syncTimer.stop();
    group.pendingSync.clear();
    const fromEmpty = group.is('Empty');
    group.transition('PreparingRebalance');
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs();
    const delayMs = Math.min(this.env.settings.initialRebalanceDelayMs, rebalanceTimeoutMs);
    if (fromEmpty && delayMs > 0) {
      // A new group waits a little for more members, so that consumers started together land in one
      // generation instead of one rebalance each (Kafka's group.initial.rebalance.delay.ms).
      group.initialDelay = { remainingMs: Math.max(rebalanceTimeoutMs - delayMs, 0), newMemberAdded: false };
      group.joinTimer.start(delayMs, () => this.#initialDelayElapsed(group));
      return;
    }
    group.joinTimer.start(rebalanceTimeoutMs, () => this.#completeJoin(group));
    this.maybeCompleteJoin(group);
  }

  /** Each stretch of the initial delay in which a member joined is followed by another, up to the timeout. */
  #initialDelayElapsed(group: Group): void {
    const delay = group.initialDelay;
    if (delay && delay.newMemberAdded && delay.remainingMs > 0) {
      delay.newMemberAdded = false;
      const next = Math.min(this.env.settings.initialRebalanceDelayMs, delay.remainingMs);
      delay.remainingMs -= next;
      group.joinTimer.start(next, () => this.#initialDelayElapsed(group));
      return;
    }
    this.#completeJoin(group);
  }

  maybeCompleteJoin(group: Group): void {
    if (group.is('PreparingRebalance') && group.initialDelay === undefined && group.hasAllMembersJoined()) {
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
    group.initialDelay = undefined;
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin && member.groupInstanceId === null) {
        this.removeMember(group, member.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
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
      this.env.persist(group).catch((err: unknown) => {
        this.env.logger.error({ err, group: group.groupId }, 'storing the empty group failed');
      });
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance');
    const generation = group.generationId;
    for (const member of group.members.values()) {
      member.assignment = Buffer.alloc(0);
      member.answerJoin(this.currentGeneration(group, member, group.isLeader(member.memberId)));
      this.touch(group, member);
      group.pendingSync.add(member.memberId);
    }
    group.syncTimer.start(group.rebalanceTimeoutMs(), () => this.#syncExpired(group, generation));
  }

  /** Members that did not SyncGroup within the rebalance timeout are removed and a new rebalance starts. */
  #syncExpired(group: Group, generation: number): void {
    if (group.generationId !== generation || !(group.is('CompletingRebalance') || group.is('Stable'))) return;
    if (group.pendingSync.size === 0) return;
    for (const memberId of [...group.pendingSync])
      this.removeMember(group, memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    group.pendingSync.clear();
    this.prepareRebalance(group);
  }

  /** Shutdown: every parked request is answered (NOT_COORDINATOR: clients look for the coordinator again). */
  shutdown(group: Group): void {
    group.stopTimers();
    for (const member of group.members.values()) {
      member.answerJoin(joinError(member.memberId, ErrorCode.NOT_COORDINATOR));
      member.answerSync(syncError(ErrorCode.NOT_COORDINATOR));
    }
  }
}
