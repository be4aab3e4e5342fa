import { createHash } from 'node:crypto';
import { isCommandFinished, MAX_COMMAND_COMMENT_CHARS, type TestResult } from '@ami-lifecycle/core';
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
 * The label a test's command carries, stable for the inspection and test, within SSM's 100 characters
 * (a long inspection id is replaced by its hash). Without an inspection id (an execution started before
 * the step was given one) the test name alone: the test instance belongs to one inspection anyway.
 */
export const testCommentFor = (inspectionId: string | undefined, testName: string): string => {
  if (inspectionId === undefined) return `inspection test ${testName}`.slice(0, MAX_COMMAND_COMMENT_CHARS);
  const readable = `inspection ${inspectionId} test ${testName}`;
  if (readable.length <= MAX_COMMAND_COMMENT_CHARS) return readable;
  const hash = createHash('sha256').update(inspectionId).digest('hex').slice(0, 16);
  return `inspection ${hash} test ${testName}`.slice(0, MAX_COMMAND_COMMENT_CHARS);
};

/**
 * Sends each of the family's test commands to the test instance through SSM, one invocation per test
 * (their scripts run side by side, each under its own timeout). No tests: done at once.
 *
 * Safe to retry: each command carries a label naming the inspection and test, and a test whose command
 * SSM already has (a retry after a send whose answer was lost, or after a later test's send failed) is
 * not sent again: its first command is the one followed, so the tests never run twice side by side.
 */
export const runTests = async (
  input: { family: string; instanceId: string; inspectionId?: string | undefined },
  deps: Pick<InspectDeps, 'catalog' | 'commands'>,
): Promise<TestProgress> => {
  const { config } = await loadFamilyConfig(deps.catalog, input.family);
  const commands: SentTest[] = [];
  for (const test of config.inspect.tests) {
    const comment = testCommentFor(input.inspectionId, test.name);
    // Newest first: the oldest is the one sent first; any later one is already a duplicate.
    const sent = (await deps.commands.findCommands(input.instanceId, comment)).at(-1);
    const { commandId } =
      sent ??
      (await deps.commands.runCommands({
        instanceId: input.instanceId,
        commands: test.commands,
        timeoutSeconds: test.timeoutSeconds,
        comment,
      }));
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
