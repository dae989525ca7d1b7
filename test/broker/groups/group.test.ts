// One group's state and bookkeeping on their own: the transition table, members coming and going (leader
// handed on, static ids), and the protocol vote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Group, type GroupState } from '../../../src/broker/groups/group.ts';
import { Member } from '../../../src/broker/groups/member.ts';
import { FakeClock } from './fake-clock.ts';

const clock = new FakeClock();

function member(memberId: string, protocols: string[], groupInstanceId: string | null = null): Member {
  return new Member(
    {
      memberId,
      groupInstanceId,
      clientId: 'c',
      clientHost: '/127.0.0.1',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 20_000,
      protocolType: 'consumer',
      protocols: protocols.map((name) => ({ name, metadata: Buffer.from(name) })),
    },
    clock,
  );
}

test('only the moves of the classic protocol are allowed', () => {
  const allowed: [GroupState, GroupState][] = [
    ['Empty', 'PreparingRebalance'],
    ['PreparingRebalance', 'CompletingRebalance'],
    ['CompletingRebalance', 'Stable'],
    ['Stable', 'PreparingRebalance'],
    ['PreparingRebalance', 'Empty'],
  ];
  const group = new Group('g', clock);
  for (const [from, to] of allowed) {
    assert.equal(group.state, from);
    group.transition(to);
  }
  assert.throws(() => group.transition('Stable'), /no transition from Empty to Stable/);
  assert.throws(() => group.transition('CompletingRebalance'), /Empty to CompletingRebalance/);
  group.transition('Dead');
  assert.throws(() => group.transition('Empty'), /from Dead/);
});

test('the leader is handed on when it leaves; static ids follow their member', () => {
  const group = new Group('g', clock);
  group.add(member('a', ['range']));
  group.add(member('b', ['range'], 'pod-b'));
  assert.equal(group.leaderId, 'a');
  assert.equal(group.protocolType, 'consumer');
  group.remove('a');
  assert.equal(group.leaderId, 'b');
  group.replaceStaticMember(group.members.get('b')!, 'b2');
  assert.deepEqual([group.leaderId, group.staticMembers.get('pod-b')], ['b2', 'b2']);
  assert.equal(group.isStaticMemberFenced('pod-b', 'b'), true);
  assert.equal(group.isStaticMemberFenced('pod-b', 'b2'), false);
  group.remove('b2');
  assert.deepEqual([group.leaderId, group.staticMembers.size], [null, 0]);
});

test('protocol vote: most first choices among the shared protocols; a tie goes to the leader’s preference', () => {
  const group = new Group('g', clock);
  group.add(member('a', ['sticky', 'range', 'roundrobin']));
  group.add(member('b', ['roundrobin', 'range']));
  group.add(member('c', ['roundrobin', 'range']));
  assert.equal(group.selectProtocol(), 'roundrobin');
  const tie = new Group('t', clock);
  tie.add(member('a', ['range', 'roundrobin']));
  tie.add(member('b', ['roundrobin', 'range']));
  assert.equal(tie.selectProtocol(), 'range');
  assert.equal(tie.supportsProtocols('consumer', [{ name: 'roundrobin', metadata: Buffer.alloc(0) }]), true);
  assert.equal(tie.supportsProtocols('consumer', [{ name: 'sticky', metadata: Buffer.alloc(0) }]), false);
  assert.equal(tie.supportsProtocols('connect', [{ name: 'range', metadata: Buffer.alloc(0) }]), false);
});
