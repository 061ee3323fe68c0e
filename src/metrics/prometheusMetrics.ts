import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricSink } from './MetricSink.js';
import { prometheusName } from './prometheusName.js';

/** Firehose's metrics in a prom-client registry, labelled by delivery stream. */
export interface PrometheusMetrics {
  /** The registry: `await registry.metrics()` is the text exposition, `registry.contentType` its type. */
  readonly registry: Registry;
  /** A sink for one delivery stream's metrics (`delivery_stream` label). */
  sinkFor(deliveryStream: string): MetricSink;
}

/**
 * Keeps every metric a delivery stream reports, with Firehose's names mapped to Prometheus style by
 * {@link prometheusName}: `Count` and `Bytes` metrics are counters that add up what was reported (so
 * `DeliveryToS3.Success`, reported 1 or 0 per batch, counts successful batches); `Seconds` and
 * `Milliseconds` metrics are gauges holding the last value (`DataFreshness`, `KinesisMillisBehindLatest`,
 * `ExecuteProcessing.Duration`). Each has a `delivery_stream` label, and its help text names the Firehose
 * metric it maps.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * const prometheus = prometheusMetrics();
 * deliveryStreamFromConfig(input, { metrics: prometheus.sinkFor(input.DeliveryStreamName) });
 * createServer(async (_req, res) => res.setHeader('Content-Type', prometheus.registry.contentType).end(await prometheus.registry.metrics())).listen(9464, '127.0.0.1');
 * ```
 */
export function prometheusMetrics(registry: Registry = new Registry()): PrometheusMetrics {
  const metrics = new Map<string, Counter<'delivery_stream'> | Gauge<'delivery_stream'>>();
  const metricFor = (name: string, firehoseName: string, counter: boolean): Counter<'delivery_stream'> | Gauge<'delivery_stream'> => {
    let metric = metrics.get(name);
    if (metric === undefined) {
      const config = { name, help: `Firehose metric ${firehoseName}`, labelNames: ['delivery_stream'] as const, registers: [registry] };
      metric = counter ? new Counter(config) : new Gauge(config);
      metrics.set(name, metric);
    }
    return metric;
  };
  return {
    registry,
    sinkFor: (deliveryStream) => (metric, value, unit) => {
      const counter = unit === 'Count' || unit === 'Bytes';
      const m = metricFor(prometheusName(metric, unit), metric, counter);
      if (m instanceof Counter) m.inc({ delivery_stream: deliveryStream }, Math.max(0, value));
      else m.set({ delivery_stream: deliveryStream }, value);
    },
  };
}
