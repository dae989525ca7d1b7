// Which segments retention deletes. Only closed segments wholly below the high watermark are candidates
// (never the active one), and only a prefix of them, so the log stays contiguous:
// - by time: a segment whose newest batch (max timestamp; the file's last-modified time when no batch has
//   a timestamp) is older than retentionMs;
// - by size: the oldest segments while the log would still be at least retentionBytes without them
//   (Kafka's rule: the log never drops below retentionBytes because of size retention).
// -1 disables either rule.
import type { Segment } from './segment.ts';

export interface RetentionPolicy {
  retentionMs: number;
  retentionBytes: number;
}

export interface RetainedSegmentDeletion {
  segment: Segment;
  reason: 'time' | 'size';
}

export function selectRetention(
  segments: readonly Segment[],
  highWatermark: bigint,
  nowMs: number,
  policy: RetentionPolicy,
): RetainedSegmentDeletion[] {
  const candidates: Segment[] = [];
  for (const seg of segments) {
    if (!seg.closed || seg.endOffset > highWatermark) break;
    candidates.push(seg);
  }
  const doomed: RetainedSegmentDeletion[] = [];
  if (policy.retentionMs >= 0) {
    for (const segment of candidates) {
      const newest = segment.maxTimestamp >= 0n ? Number(segment.maxTimestamp) : segment.lastModifiedMs;
      if (nowMs - newest <= policy.retentionMs) break;
      doomed.push({ segment, reason: 'time' });
    }
  }
  if (policy.retentionBytes >= 0) {
    let excess = segments.reduce((n, s) => n + s.writtenSize, 0) - policy.retentionBytes;
    for (let i = 0; i < candidates.length; i++) {
      const segment = candidates[i];
      if (i >= doomed.length) {
        if (excess - segment.writtenSize < 0) break;
        doomed.push({ segment, reason: 'size' });
      }
      excess -= segment.writtenSize;
    }
  }
  return doomed;
}
