/**
 * One throwaway PostgreSQL for the whole run; integration tests get its URL with
 * `inject('pgUrl')`. Tests that kill backends or stop the server start a cluster of their own.
 */
import type { TestProject } from 'vitest/node';
import { startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';

let cluster: ThrowawayCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  cluster = await startThrowaway({ maxConnections: 300, databases: ['pool_advisor_test', 'pool_advisor_pgmq'], handleSignals: true });
  project.provide('pgUrl', cluster.url);
  project.provide('pgDir', cluster.dir);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgDir: string;
  }
}
