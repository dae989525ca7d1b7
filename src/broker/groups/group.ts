// One classic consumer group: its state, its members and the bookkeeping of a rebalance. The state machine is
// explicit: transition() refuses any move the table below does not allow, so a coordinator bug shows up as
// an exception at the faulty step instead of a group stuck in a state nobody can leave. Timers and client
// answers are driven by the coordinator (coordinator.ts, rebalance.ts); this file holds no clock logic
// beyond owning the timer slots, so every timer of a group can be stopped in one place.
import type { Clock } from './clock.ts';
import { Timer } from './clock.ts';
import type { GroupProtocol, Member } from './member.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Allowed moves (Kafka's classic group): a rebalance always goes Preparing → Completing → Stable. */
const TRANSITIONS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance', 'Dead'],
  PreparingRebalance: ['CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance', 'Stable', 'Dead'],
  Stable: ['PreparingRebalance', 'Dead'],
  Dead: [],
};

/** A member id handed out with MEMBER_ID_REQUIRED whose owner has not joined with it yet. */
export interface PendingMember {
  readonly memberId: string;
  readonly expiry: Timer;
}

export class Group {
  readonly groupId: string;
  #state: GroupState = 'Empty';
  generationId = 0;
  /** Set by the first member to join; kept while the group is empty (ListGroups shows it). */
  protocolType: string | null = null;
  /** The protocol chosen for the current generation; null while Empty. */
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  readonly pending = new Map<string, PendingMember>();
  /** group.instance.id → member id of the static member holding it. */
  readonly staticMembers = new Map<string, string>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** The join phase: the initial delay of a new group, then the rebalance timeout. */
  readonly joinTimer: Timer;
  /** Members that do not SyncGroup within the rebalance timeout after the join phase are removed. */
  readonly syncTimer: Timer;
  /**
   * While the initial delay of a new group runs: how much of the rebalance timeout is left to extend it by,
   * and whether a member joined during the current stretch (which extends it). Undefined otherwise.
   */
  initialDelay: { remainingMs: number; newMemberAdded: boolean } | undefined;
  /** The generation whose leader's assignments are being stored (SyncGroup answers wait for it). */
  storingGeneration: number | undefined;

  constructor(groupId: string, clock: Clock) {
    this.groupId = groupId;
    this.joinTimer = new Timer(clock);
    this.syncTimer = new Timer(clock);
  }

  get state(): GroupState {
    return this.#state;
  }

  is(state: GroupState): boolean {
    return this.#state === state;
  }

  transition(to: GroupState): void {
    if (!TRANSITIONS[this.#state].includes(to)) {
      throw new Error(`group "${this.groupId}": no transition from ${this.#state} to ${to}`);
    }
    this.#state = to;
  }

  /** For a group restored from the store with members: it continues its last stable generation. */
  restoreStable(): void {
    if (!this.is('Empty') || this.members.size === 0) {
      throw new Error(`group "${this.groupId}": only an empty group with restored members can become Stable`);
    }
    this.#state = 'Stable';
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  /** Forgets a member (its timers stopped); a leader that goes is replaced by the next member, if any. */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    member.session.stop();
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  removePending(memberId: string): boolean {
    const pending = this.pending.get(memberId);
    if (!pending) return false;
    pending.expiry.stop();
    this.pending.delete(memberId);
    return true;
  }

  /** A static member rejoined without its member id: it continues under `newMemberId`. */
  replaceStaticMember(member: Member, newMemberId: string): void {
    const oldMemberId = member.memberId;
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(member.groupInstanceId!, newMemberId);
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
  }

  /** A static member id that is not the one holding the instance id: an older incarnation, fenced. */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Kafka's rule: an empty group takes any type with some protocol; else same type and one protocol all share. */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const shared = this.#sharedProtocols();
    return protocols.some((p) => shared.has(p.name));
  }

  /** Protocols every member supports. */
  #sharedProtocols(): Set<string> {
    let shared: Set<string> | undefined;
    for (const member of this.members.values()) {
      const names = new Set(member.protocols.map((p) => p.name));
      shared = shared === undefined ? names : new Set([...shared].filter((n) => names.has(n)));
    }
    return shared ?? new Set();
  }

  /**
   * The protocol of the next generation: among the protocols every member supports, each member votes
   * for the first one in its own (preference-ordered) list; most votes wins, ties go to the protocol the
   * leader prefers.
   */
  selectProtocol(): string {
    const shared = this.#sharedProtocols();
    if (shared.size === 0) throw new Error(`group "${this.groupId}" has no protocol every member supports`);
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => shared.has(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    const leader =
      (this.leaderId !== null ? this.members.get(this.leaderId) : undefined) ?? [...this.members.values()][0];
    const preference = leader.protocols.map((p) => p.name).filter((n) => shared.has(n));
    let best = preference[0];
    for (const name of preference) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** Kafka's "all members joined": every member has a JoinGroup parked and no new member is on its way. */
  hasAllMembersJoined(): boolean {
    if (this.pending.size > 0) return false;
    for (const member of this.members.values()) if (!member.awaitingJoin) return false;
    return true;
  }

  /** The largest rebalance timeout of the members: how long a join phase may last. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const member of this.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  /** Every member with its metadata for the chosen protocol: what the leader is given to assign. */
  memberMetadata(): { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] {
    const protocol = this.protocolName;
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: (protocol !== null ? m.metadataFor(protocol) : undefined) ?? Buffer.alloc(0),
    }));
  }

  /** Stops every timer of the group and of its members and pending members. */
  stopTimers(): void {
    this.initialDelay = undefined;
    this.joinTimer.stop();
    this.syncTimer.stop();
    for (const member of this.members.values()) member.session.stop();
    for (const pending of this.pending.values()) pending.expiry.stop();
  }
}
