import { isCommandFinished, type TestResult } from '@ami-lifecycle/core';
import type { InspectDeps } from './deps';
import { loadFamilyConfig } from './family-config';

export interface SentTest {
  name: string;
  commandId: string;
}

export interface TestProgress {
  commands: SentTest[];
  attempts: number;
  /** `done` once every test ended (or the bound ran out); `results` are then complete. */
  next: 'wait' | 'done';
  results: TestResult[];
}

/**
 * Sends each of the family's test commands to the test instance through SSM, one invocation per test
 * (their scripts run side by side, each under its own timeout). No tests: done at once.
 */
export const runTests = async (
  input: { family: string; instanceId: string },
  deps: Pick<InspectDeps, 'catalog' | 'commands'>,
): Promise<TestProgress> => {
  const { config } = await loadFamilyConfig(deps.catalog, input.family);
  const commands: SentTest[] = [];
  for (const test of config.inspect.tests) {
    const { commandId } = await deps.commands.runCommands({
      instanceId: input.instanceId,
      commands: test.commands,
      timeoutSeconds: test.timeoutSeconds,
    });
    commands.push({ name: test.name, commandId });
  }
  return { commands, attempts: 0, next: commands.length === 0 ? 'done' : 'wait', results: [] };
};

/**
 * One bounded look at the test invocations. When all have ended, each becomes a result (passed on
 * `success` with exit 0); when the bound runs out first, the unfinished ones fail as "did not finish".
 */
export const checkTests = async (
  input: { instanceId: string; commands: SentTest[]; attempts: number; maxChecks: number },
  deps: Pick<InspectDeps, 'commands'>,
): Promise<TestProgress> => {
  const attempts = input.attempts + 1;
  const invocations = await Promise.all(
    input.commands.map(async (c) => ({
      test: c,
      invocation: await deps.commands.getInvocation(c.commandId, input.instanceId),
    })),
  );
  const allDone = invocations.every((i) => isCommandFinished(i.invocation.status));
  if (!allDone && attempts < input.maxChecks) {
    return { commands: input.commands, attempts, next: 'wait', results: [] };
  }
  const results = invocations.map(({ test, invocation }): TestResult => {
    if (!isCommandFinished(invocation.status)) {
      return { name: test.name, passed: false, detail: `did not finish within ${attempts} checks` };
    }
    const passed = invocation.status === 'success' && (invocation.exitCode ?? 0) === 0;
    if (passed) return { name: test.name, passed };
    const output = invocation.stderr.trim() || invocation.stdout.trim();
    return {
      name: test.name,
      passed,
      detail: `${invocation.status}${invocation.exitCode === undefined ? '' : ` (exit ${invocation.exitCode})`}${
        output ? `: ${output.slice(0, 200)}` : ''
      }`,
    };
  });
  return { commands: input.commands, attempts, next: 'done', results };
};
