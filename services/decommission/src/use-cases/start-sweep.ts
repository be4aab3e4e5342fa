/** Starts one run of the decommission state machine; a sweep already started answers `duplicate`. */
export interface SweepStarter {
  start(input: {
    sweepId: string;
    dryRun: boolean;
  }): Promise<{ outcome: 'started' | 'duplicate'; executionName: string }>;
}

/** The daily sweep's id: one per day, however often the schedule fires that day. */
export const dailySweepId = (at: string): string => `sweep-${at.slice(0, 10)}`;
