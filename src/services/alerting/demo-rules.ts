// The rules used when a component has no rulesFile: the demo front ends' error ratio and p99 latency.
export const DEMO_RULES_YAML = `
evaluation_interval: 10s
stale_after: 2m
route:
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
rules:
  - name: HighErrorRatio
    metric: http.server.errors
    over: { metric: http.server.requests }
    aggregation: sum
    window: 1m
    by: [service]
    op: '>'
    threshold: 0.05
    for: 1m
    keep_firing_for: 30s
    severity: page
    annotations:
      summary: '{{ $labels.service }}: {{ $value }} of requests fail'
  - name: HighLatencyP99
    metric: http.server.duration
    aggregation: p99
    window: 1m
    by: [service, route]
    op: '>'
    threshold: 500
    for: 2m
    severity: ticket
    annotations:
      summary: '{{ $labels.service }} {{ $labels.route }}: p99 {{ $value }} ms'
`;
