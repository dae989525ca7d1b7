// One member of a classic group, as the coordinator knows it from its latest JoinGroup, and the answers a
// parked JoinGroup or SyncGroup of that member is waiting for.
import type { Clock } from './clock.ts';
import { Timer } from './clock.ts';

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** What a JoinGroup is answered with (the handler maps it to the request's version). */
export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  /** Every member with its metadata for the chosen protocol: the leader's answer only. */
  readonly members: readonly { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export interface MemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  assignment?: Buffer;
}

export class Member {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  /** What the leader assigned in the current generation (empty until then). */
  assignment: Buffer;
  /** Expires the member when it stops heartbeating. */
  readonly session: Timer;
  #joinWaiter: ((result: JoinResult) => void) | undefined;
  #syncWaiter: ((result: SyncResult) => void) | undefined;

  constructor(init: MemberInit, clock: Clock) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
    this.assignment = init.assignment ?? Buffer.alloc(0);
    this.session = new Timer(clock);
  }

  get awaitingJoin(): boolean {
    return this.#joinWaiter !== undefined;
  }

  get awaitingSync(): boolean {
    return this.#syncWaiter !== undefined;
  }

  /**
   * Parks a JoinGroup. A member has one outstanding JoinGroup: an older one (a client that retried on
   * another connection) is answered REBALANCE_IN_PROGRESS, which every client meets by joining again.
   */
  awaitJoin(resolve: (result: JoinResult) => void, supersededCode: number): void {
    this.#joinWaiter?.(joinError(this.memberId, supersededCode));
    this.#joinWaiter = resolve;
  }

  awaitSync(resolve: (result: SyncResult) => void, supersededCode: number): void {
    this.#syncWaiter?.(syncError(supersededCode));
    this.#syncWaiter = resolve;
  }

  /** Answers the parked JoinGroup, if any. */
  answerJoin(result: JoinResult): void {
    const waiter = this.#joinWaiter;
    this.#joinWaiter = undefined;
    waiter?.(result);
  }

  answerSync(result: SyncResult): void {
    const waiter = this.#syncWaiter;
    this.#syncWaiter = undefined;
    waiter?.(result);
  }

  /** The member's metadata for `protocol`, or undefined if it does not support it. */
  metadataFor(protocol: string): Buffer | undefined {
    return this.protocols.find((p) => p.name === protocol)?.metadata;
  }

  /** Same protocols, in the same order, with the same metadata: a rejoin that changes nothing. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
      )
    );
  }
}
