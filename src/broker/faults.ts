// Fault hooks: an explicit test seam for failures a test cannot provoke from outside the broker, such as
// a connection lost after a batch was appended but before its response was written (the case idempotent
// producers exist for). Nothing here is active unless startBroker is given hooks; the CLI never passes any.

/** What a Produce request did, as a hook sees it once every append of it has been acknowledged. */
export interface ProduceFaultContext {
  readonly clientId: string;
  readonly apiVersion: number;
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly errorCode: number;
    /** -1 when the partition failed. */
    readonly baseOffset: bigint;
  }[];
}

export interface BrokerFaults {
  /**
   * Called after a Produce request (acks 1 or -1) has been appended and before its response is written.
   * 'drop-connection' closes the client's connection instead of answering.
   */
  readonly afterProduceAppend?: (ctx: ProduceFaultContext) => 'drop-connection' | undefined;
}
