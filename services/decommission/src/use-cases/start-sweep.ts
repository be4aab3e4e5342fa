/** Starts one run of the decommission state machine; a sweep already started answers `duplicate`. */
export interface SweepStarter {
  start(input: {
    sweepId: string;
    dryRun: boolean;
  }): Promise<{ outcome: 'started' | 'duplicate'; executionName: string }>;
}

export const startSweep = (input: { sweepId: string; dryRun: boolean }, starter: SweepStarter) =>
  starter.start(input);
