import { createServer, type Server } from 'node:http';
import type { PrometheusMetrics } from './prometheusMetrics.js';

/**
 * Serves `prometheus`'s metrics in Prometheus text format at `http://127.0.0.1:<port>/metrics` (0: a free
 * port; read it from the returned server's address). Only 127.0.0.1.
 */
export function serveMetrics(prometheus: PrometheusMetrics, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404).end();
      return;
    }
    prometheus.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': prometheus.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
