/**
 * Throwaway PostgreSQL clusters for the integration tier: one per test worker (the tier runs
 * `maxWorkers` files at a time), so files running side by side never share a server. Tests get
 * their worker's URL from `pgUrl()` (test/helpers/pg.ts). Tests that kill backends or stop the
 * server start a cluster of their own.
 */
import type { TestProject } from 'vitest/node';
import { startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';

const clusters: ThrowawayCluster[] = [];

export async function setup(project: TestProject): Promise<void> {
  const workers = Math.max(1, Number(project.config.maxWorkers) || 1);
  for (let i = 0; i < workers; i++) {
    clusters.push(await startThrowaway({ maxConnections: 300, databases: ['pool_advisor_test', 'pool_advisor_pgmq'], handleSignals: true }));
  }
  project.provide('pgUrls', clusters.map((c) => c.url));
}

export async function teardown(): Promise<void> {
  await Promise.all(clusters.map((c) => c.stop()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrls: string[];
  }
}
