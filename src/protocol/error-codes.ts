// The Kafka protocol error codes: every code in Apache Kafka's Errors.java up to Kafka 4.1
// (-1 UNKNOWN_SERVER_ERROR .. 133 SHARE_SESSION_LIMIT_REACHED), with Kafka's default messages and the
// retriable flag of each code's Java exception class (a subclass of RetriableException, directly or
// through InvalidMetadataException). Handlers return these codes; they do not throw.

/** Error codes by name, as Kafka spells them (no enum: erasable syntax only). */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  STALE_CONTROLLER_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  UNKNOWN_TOPIC_ID: 100,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INCONSISTENT_TOPIC_ID: 103,
  INCONSISTENT_CLUSTER_ID: 104,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  UNKNOWN_CONTROLLER_ID: 116,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  INVALID_REGISTRATION: 119,
  TRANSACTION_ABORTABLE: 120,
  INVALID_RECORD_STATE: 121,
  SHARE_SESSION_NOT_FOUND: 122,
  INVALID_SHARE_SESSION_EPOCH: 123,
  FENCED_STATE_EPOCH: 124,
  INVALID_VOTER_KEY: 125,
  DUPLICATE_VOTER: 126,
  VOTER_NOT_FOUND: 127,
  INVALID_REGULAR_EXPRESSION: 128,
  REBOOTSTRAP_REQUIRED: 129,
  STREAMS_INVALID_TOPOLOGY: 130,
  STREAMS_INVALID_TOPOLOGY_EPOCH: 131,
  STREAMS_TOPOLOGY_FENCED: 132,
  SHARE_SESSION_LIMIT_REACHED: 133,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

export interface KafkaErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly message: string;
}

const R = true; // retriable
const N = false;

const DETAILS: Record<ErrorCodeName, readonly [boolean, string]> = {
  UNKNOWN_SERVER_ERROR: [N, 'The server experienced an unexpected error when processing the request.'],
  NONE: [N, ''],
  OFFSET_OUT_OF_RANGE: [
    N,
    'The requested offset is not within the range of offsets maintained by the server.',
  ],
  CORRUPT_MESSAGE: [
    R,
    'This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.',
  ],
  UNKNOWN_TOPIC_OR_PARTITION: [R, 'This server does not host this topic-partition.'],
  INVALID_FETCH_SIZE: [N, 'The requested fetch size is invalid.'],
  LEADER_NOT_AVAILABLE: [
    R,
    'There is no leader for this topic-partition as we are in the middle of a leadership election.',
  ],
  NOT_LEADER_OR_FOLLOWER: [
    R,
    'For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.',
  ],
  REQUEST_TIMED_OUT: [R, 'The request timed out.'],
  BROKER_NOT_AVAILABLE: [N, 'The broker is not available.'],
  REPLICA_NOT_AVAILABLE: [
    R,
    'The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition.',
  ],
  MESSAGE_TOO_LARGE: [
    N,
    'The request included a message larger than the max message size the server will accept.',
  ],
  STALE_CONTROLLER_EPOCH: [N, 'The controller moved to another broker.'],
  OFFSET_METADATA_TOO_LARGE: [N, 'The metadata field of the offset request was too large.'],
  NETWORK_EXCEPTION: [R, 'The server disconnected before a response was received.'],
  COORDINATOR_LOAD_IN_PROGRESS: [R, "The coordinator is loading and hence can't process requests."],
  COORDINATOR_NOT_AVAILABLE: [R, 'The coordinator is not available.'],
  NOT_COORDINATOR: [R, 'This is not the correct coordinator.'],
  INVALID_TOPIC_EXCEPTION: [N, 'The request attempted to perform an operation on an invalid topic.'],
  RECORD_LIST_TOO_LARGE: [
    N,
    'The request included message batch larger than the configured segment size on the server.',
  ],
  NOT_ENOUGH_REPLICAS: [R, 'Messages are rejected since there are fewer in-sync replicas than required.'],
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: [
    R,
    'Messages are written to the log, but to fewer in-sync replicas than required.',
  ],
  INVALID_REQUIRED_ACKS: [N, 'Produce request specified an invalid value for required acks.'],
  ILLEGAL_GENERATION: [N, 'Specified group generation id is not valid.'],
  INCONSISTENT_GROUP_PROTOCOL: [
    N,
    "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.",
  ],
  INVALID_GROUP_ID: [N, 'The group id is invalid.'],
  UNKNOWN_MEMBER_ID: [N, 'The coordinator is not aware of this member.'],
  INVALID_SESSION_TIMEOUT: [
    N,
    'The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).',
  ],
  REBALANCE_IN_PROGRESS: [N, 'The group is rebalancing, so a rejoin is needed.'],
  INVALID_COMMIT_OFFSET_SIZE: [N, 'The committing offset data size is not valid.'],
  TOPIC_AUTHORIZATION_FAILED: [N, 'Topic authorization failed.'],
  GROUP_AUTHORIZATION_FAILED: [N, 'Group authorization failed.'],
  CLUSTER_AUTHORIZATION_FAILED: [N, 'Cluster authorization failed.'],
  INVALID_TIMESTAMP: [N, 'The timestamp of the message is out of acceptable range.'],
  UNSUPPORTED_SASL_MECHANISM: [N, 'The broker does not support the requested SASL mechanism.'],
  ILLEGAL_SASL_STATE: [N, 'Request is not valid given the current SASL state.'],
  UNSUPPORTED_VERSION: [N, 'The version of API is not supported.'],
  TOPIC_ALREADY_EXISTS: [N, 'Topic with this name already exists.'],
  INVALID_PARTITIONS: [N, 'Number of partitions is below 1.'],
  INVALID_REPLICATION_FACTOR: [
    N,
    'Replication factor is below 1 or larger than the number of available brokers.',
  ],
  INVALID_REPLICA_ASSIGNMENT: [N, 'Replica assignment is invalid.'],
  INVALID_CONFIG: [N, 'Configuration is invalid.'],
  NOT_CONTROLLER: [R, 'This is not the correct controller for this cluster.'],
  INVALID_REQUEST: [
    N,
    'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.',
  ],
  UNSUPPORTED_FOR_MESSAGE_FORMAT: [
    N,
    'The message format version on the broker does not support the request.',
  ],
  POLICY_VIOLATION: [N, 'Request parameters do not satisfy the configured policy.'],
  OUT_OF_ORDER_SEQUENCE_NUMBER: [N, 'The broker received an out of order sequence number.'],
  DUPLICATE_SEQUENCE_NUMBER: [N, 'The broker received a duplicate sequence number.'],
  INVALID_PRODUCER_EPOCH: [N, 'Producer attempted to produce with an old epoch.'],
  INVALID_TXN_STATE: [N, 'The producer attempted a transactional operation in an invalid state.'],
  INVALID_PRODUCER_ID_MAPPING: [
    N,
    'The producer attempted to use a producer id which is not currently assigned to its transactional id.',
  ],
  INVALID_TRANSACTION_TIMEOUT: [
    N,
    'The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).',
  ],
  CONCURRENT_TRANSACTIONS: [
    R,
    'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.',
  ],
  TRANSACTION_COORDINATOR_FENCED: [
    N,
    'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.',
  ],
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: [N, 'Transactional Id authorization failed.'],
  SECURITY_DISABLED: [N, 'Security features are disabled.'],
  OPERATION_NOT_ATTEMPTED: [
    N,
    'The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest.',
  ],
  KAFKA_STORAGE_ERROR: [R, 'Disk error when trying to access log file on the disk.'],
  LOG_DIR_NOT_FOUND: [N, 'The user-specified log directory is not found in the broker config.'],
  SASL_AUTHENTICATION_FAILED: [N, 'SASL Authentication failed.'],
  UNKNOWN_PRODUCER_ID: [
    N,
    "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception.",
  ],
  REASSIGNMENT_IN_PROGRESS: [N, 'A partition reassignment is in progress.'],
  DELEGATION_TOKEN_AUTH_DISABLED: [N, 'Delegation Token feature is not enabled.'],
  DELEGATION_TOKEN_NOT_FOUND: [N, 'Delegation Token is not found on server.'],
  DELEGATION_TOKEN_OWNER_MISMATCH: [N, 'Specified Principal is not valid Owner/Renewer.'],
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: [
    N,
    'Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.',
  ],
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: [N, 'Delegation Token authorization failed.'],
  DELEGATION_TOKEN_EXPIRED: [N, 'Delegation Token is expired.'],
  INVALID_PRINCIPAL_TYPE: [N, 'Supplied principalType is not supported.'],
  NON_EMPTY_GROUP: [N, 'The group is not empty.'],
  GROUP_ID_NOT_FOUND: [N, 'The group id does not exist.'],
  FETCH_SESSION_ID_NOT_FOUND: [R, 'The fetch session ID was not found.'],
  INVALID_FETCH_SESSION_EPOCH: [R, 'The fetch session epoch is invalid.'],
  LISTENER_NOT_FOUND: [
    R,
    'There is no listener on the leader broker that matches the listener on which metadata request was processed.',
  ],
  TOPIC_DELETION_DISABLED: [N, 'Topic deletion is disabled.'],
  FENCED_LEADER_EPOCH: [R, 'The leader epoch in the request is older than the epoch on the broker.'],
  UNKNOWN_LEADER_EPOCH: [R, 'The leader epoch in the request is newer than the epoch on the broker.'],
  UNSUPPORTED_COMPRESSION_TYPE: [
    N,
    'The requesting client does not support the compression type of given partition.',
  ],
  STALE_BROKER_EPOCH: [N, 'Broker epoch has changed.'],
  OFFSET_NOT_AVAILABLE: [
    R,
    'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.',
  ],
  MEMBER_ID_REQUIRED: [
    N,
    'The group member needs to have a valid member id before actually entering a consumer group.',
  ],
  PREFERRED_LEADER_NOT_AVAILABLE: [R, 'The preferred leader was not available.'],
  GROUP_MAX_SIZE_REACHED: [N, 'The group has reached its maximum size.'],
  FENCED_INSTANCE_ID: [
    N,
    'The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.',
  ],
  ELIGIBLE_LEADERS_NOT_AVAILABLE: [R, 'Eligible topic partition leaders are not available.'],
  ELECTION_NOT_NEEDED: [R, 'Leader election not needed for topic partition.'],
  NO_REASSIGNMENT_IN_PROGRESS: [N, 'No partition reassignment is in progress.'],
  GROUP_SUBSCRIBED_TO_TOPIC: [
    N,
    'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.',
  ],
  INVALID_RECORD: [N, 'This record has failed the validation on broker and hence will be rejected.'],
  UNSTABLE_OFFSET_COMMIT: [R, 'There are unstable offsets that need to be cleared.'],
  THROTTLING_QUOTA_EXCEEDED: [R, 'The throttling quota has been exceeded.'],
  PRODUCER_FENCED: [
    N,
    'There is a newer producer with the same transactionalId which fences the current one.',
  ],
  RESOURCE_NOT_FOUND: [N, 'A request illegally referred to a resource that does not exist.'],
  DUPLICATE_RESOURCE: [N, 'A request illegally referred to the same resource twice.'],
  UNACCEPTABLE_CREDENTIAL: [N, 'Requested credential would not meet criteria for acceptability.'],
  INCONSISTENT_VOTER_SET: [
    N,
    'Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.',
  ],
  INVALID_UPDATE_VERSION: [N, 'The given update version was invalid.'],
  FEATURE_UPDATE_FAILED: [N, 'Unable to update finalized features due to an unexpected server error.'],
  PRINCIPAL_DESERIALIZATION_FAILURE: [
    N,
    'Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup.',
  ],
  SNAPSHOT_NOT_FOUND: [N, 'Requested snapshot was not found.'],
  POSITION_OUT_OF_RANGE: [
    N,
    'Requested position is not greater than or equal to zero, and less than the size of the snapshot.',
  ],
  UNKNOWN_TOPIC_ID: [R, 'This server does not host this topic ID.'],
  DUPLICATE_BROKER_REGISTRATION: [N, 'This broker ID is already in use.'],
  BROKER_ID_NOT_REGISTERED: [N, 'The given broker ID was not registered.'],
  INCONSISTENT_TOPIC_ID: [R, "The log's topic ID did not match the topic ID in the request."],
  INCONSISTENT_CLUSTER_ID: [N, 'The clusterId in the request does not match that found on the server.'],
  TRANSACTIONAL_ID_NOT_FOUND: [N, 'The transactionalId could not be found.'],
  FETCH_SESSION_TOPIC_ID_ERROR: [R, 'The fetch session encountered inconsistent topic ID usage.'],
  INELIGIBLE_REPLICA: [N, 'The new ISR contains at least one ineligible replica.'],
  NEW_LEADER_ELECTED: [
    N,
    'The AlterPartition request successfully updated the partition state but the leader has changed.',
  ],
  OFFSET_MOVED_TO_TIERED_STORAGE: [N, 'The requested offset is moved to tiered storage.'],
  FENCED_MEMBER_EPOCH: [
    N,
    'The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.',
  ],
  UNRELEASED_INSTANCE_ID: [
    N,
    'The instance ID is still used by another member in the consumer group. That member must leave first.',
  ],
  UNSUPPORTED_ASSIGNOR: [N, 'The assignor or its version range is not supported by the consumer group.'],
  STALE_MEMBER_EPOCH: [
    N,
    'The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.',
  ],
  MISMATCHED_ENDPOINT_TYPE: [N, 'The request was sent to an endpoint of the wrong type.'],
  UNSUPPORTED_ENDPOINT_TYPE: [N, 'This endpoint type is not supported yet.'],
  UNKNOWN_CONTROLLER_ID: [N, 'This controller ID is not known.'],
  UNKNOWN_SUBSCRIPTION_ID: [
    N,
    'Client sent a push telemetry request with an invalid or outdated subscription ID.',
  ],
  TELEMETRY_TOO_LARGE: [
    N,
    'Client sent a push telemetry request larger than the maximum size the broker will accept.',
  ],
  INVALID_REGISTRATION: [N, 'The controller has considered the broker registration to be invalid.'],
  TRANSACTION_ABORTABLE: [
    N,
    'The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.',
  ],
  INVALID_RECORD_STATE: [
    N,
    'The record state is invalid. The acknowledgement of delivery could not be completed.',
  ],
  SHARE_SESSION_NOT_FOUND: [R, 'The share session was not found.'],
  INVALID_SHARE_SESSION_EPOCH: [R, 'The share session epoch is invalid.'],
  FENCED_STATE_EPOCH: [
    N,
    'The share coordinator rejected the request because the share-group state epoch did not match.',
  ],
  INVALID_VOTER_KEY: [N, "The voter key doesn't match the receiving replica's key."],
  DUPLICATE_VOTER: [N, 'The voter is already part of the set of voters.'],
  VOTER_NOT_FOUND: [N, 'The voter is not part of the set of voters.'],
  INVALID_REGULAR_EXPRESSION: [N, 'The regular expression is not valid.'],
  REBOOTSTRAP_REQUIRED: [
    N,
    'Client metadata is stale. The client should rebootstrap to obtain new metadata.',
  ],
  STREAMS_INVALID_TOPOLOGY: [N, 'The supplied topology is invalid.'],
  STREAMS_INVALID_TOPOLOGY_EPOCH: [N, 'The supplied topology epoch is invalid.'],
  STREAMS_TOPOLOGY_FENCED: [N, 'The supplied topology epoch is outdated.'],
  SHARE_SESSION_LIMIT_REACHED: [R, 'The limit of share sessions has been reached.'],
};

/** Every known error, ordered by code. */
export const KAFKA_ERRORS: readonly KafkaErrorInfo[] = Object.freeze(
  (Object.keys(ErrorCode) as ErrorCodeName[])
    .map((name) =>
      Object.freeze({ code: ErrorCode[name], name, retriable: DETAILS[name][0], message: DETAILS[name][1] }),
    )
    .sort((a, b) => a.code - b.code),
);

const BY_CODE = new Map<number, KafkaErrorInfo>(KAFKA_ERRORS.map((e) => [e.code, e]));

/** The table entry for `code`, or undefined for a code this table does not know. */
export function errorInfo(code: number): KafkaErrorInfo | undefined {
  return BY_CODE.get(code);
}

/** Kafka's name for `code`, e.g. 'NOT_COORDINATOR'; 'UNKNOWN_ERROR_CODE(<code>)' for an unknown one. */
export function errorName(code: number): string {
  return BY_CODE.get(code)?.name ?? `UNKNOWN_ERROR_CODE(${code})`;
}

/** Whether Kafka's clients treat `code` as retriable. Unknown codes are not (Kafka maps them to UNKNOWN_SERVER_ERROR). */
export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}

/** An error response from a Kafka broker, carrying its code (for clients and tests). */
export class KafkaProtocolError extends Error {
  override name = 'KafkaProtocolError';
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;
  constructor(code: number, message?: string, options?: ErrorOptions) {
    const info = BY_CODE.get(code);
    const errName = info?.name ?? `UNKNOWN_ERROR_CODE(${code})`;
    super(`${errName} (${code}): ${message ?? info?.message ?? 'unknown error code'}`, options);
    this.code = code;
    this.errorName = errName;
    this.retriable = info?.retriable ?? false;
  }
}
