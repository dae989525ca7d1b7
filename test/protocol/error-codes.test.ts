import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  ErrorCode,
  KAFKA_ERRORS,
  KafkaProtocolError,
  errorInfo,
  errorName,
  isRetriable,
  type ErrorCodeName,
} from '../../src/protocol/error-codes.ts';

const require = createRequire(import.meta.url);
const kafkajsErrors = (
  require('kafkajs/src/protocol/error.js') as {
    errorCodes: { type: string; code: number; retriable: boolean }[];
  }
).errorCodes;

test('the table covers every code from -1 to 133 exactly once, ordered', () => {
  const codes = KAFKA_ERRORS.map((e) => e.code);
  assert.deepEqual(
    codes,
    Array.from({ length: 135 }, (_, i) => i - 1),
  );
  assert.equal(new Set(KAFKA_ERRORS.map((e) => e.name)).size, KAFKA_ERRORS.length);
});

test('ErrorCode and the table agree', () => {
  for (const [name, code] of Object.entries(ErrorCode)) {
    assert.equal(errorInfo(code)?.name, name);
  }
  assert.equal(Object.keys(ErrorCode).length, KAFKA_ERRORS.length);
});

test('the table and its entries are frozen', () => {
  assert.ok(Object.isFrozen(KAFKA_ERRORS));
  assert.ok(KAFKA_ERRORS.every((e) => Object.isFrozen(e)));
  assert.throws(() => {
    (KAFKA_ERRORS[0] as { retriable: boolean }).retriable = true;
  }, TypeError);
});

test('well-known codes', () => {
  const expected: [ErrorCodeName, number, boolean][] = [
    ['UNKNOWN_SERVER_ERROR', -1, false],
    ['NONE', 0, false],
    ['OFFSET_OUT_OF_RANGE', 1, false],
    ['CORRUPT_MESSAGE', 2, true],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, true],
    ['NOT_LEADER_OR_FOLLOWER', 6, true],
    ['MESSAGE_TOO_LARGE', 10, false],
    ['NOT_COORDINATOR', 16, true],
    ['REBALANCE_IN_PROGRESS', 27, false],
    ['UNSUPPORTED_VERSION', 35, false],
    ['DUPLICATE_SEQUENCE_NUMBER', 46, false],
    ['CONCURRENT_TRANSACTIONS', 51, true],
    ['FENCED_LEADER_EPOCH', 74, true],
    ['MEMBER_ID_REQUIRED', 79, false],
    ['INVALID_RECORD', 87, false],
    ['UNSTABLE_OFFSET_COMMIT', 88, true],
    ['PRODUCER_FENCED', 90, false],
    ['UNKNOWN_TOPIC_ID', 100, true],
    ['TRANSACTION_ABORTABLE', 120, false],
    ['SHARE_SESSION_LIMIT_REACHED', 133, true],
  ];
  for (const [name, code, retriable] of expected) {
    assert.equal(ErrorCode[name], code, name);
    assert.equal(errorName(code), name);
    assert.equal(isRetriable(code), retriable, name);
  }
});

test('unknown codes', () => {
  assert.equal(errorInfo(134), undefined);
  assert.equal(errorName(-2), 'UNKNOWN_ERROR_CODE(-2)');
  assert.equal(isRetriable(9999), false);
});

test('agrees with kafkajs 2.2.4 on every code it knows (modulo renamed codes)', () => {
  // Codes Kafka renamed after kafkajs copied the table.
  const renamed: Record<number, string> = {
    [-1]: 'UNKNOWN',
    6: 'NOT_LEADER_FOR_PARTITION',
    14: 'GROUP_LOAD_IN_PROGRESS',
    15: 'GROUP_COORDINATOR_NOT_AVAILABLE',
    16: 'NOT_COORDINATOR_FOR_GROUP',
  };
  assert.ok(kafkajsErrors.length > 80);
  for (const k of kafkajsErrors) {
    const ours = errorInfo(k.code);
    assert.ok(ours, `code ${k.code}`);
    assert.equal(renamed[k.code] ?? ours.name, k.type, `name of ${k.code}`);
    assert.equal(ours.retriable, k.retriable, `retriable of ${k.code} ${k.type}`);
  }
});

test('KafkaProtocolError carries the code', () => {
  const e = new KafkaProtocolError(ErrorCode.NOT_COORDINATOR);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'KafkaProtocolError');
  assert.equal(e.code, 16);
  assert.equal(e.errorName, 'NOT_COORDINATOR');
  assert.equal(e.retriable, true);
  assert.match(e.message, /^NOT_COORDINATOR \(16\): This is not the correct coordinator\.$/);
  const custom = new KafkaProtocolError(ErrorCode.INVALID_REQUEST, 'empty transactional id');
  assert.equal(custom.message, 'INVALID_REQUEST (42): empty transactional id');
  const unknown = new KafkaProtocolError(999);
  assert.equal(unknown.errorName, 'UNKNOWN_ERROR_CODE(999)');
  assert.equal(unknown.retriable, false);
});
