import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

describe('the build state machine', () => {
  const machine = parse(readFileSync(join(__dirname, '../../../statemachines/build.asl.yaml'), 'utf8'), {
    customTags: [{ tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value }) }],
  }) as { States: Record<string, { Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number }> }> };

  /** The retrier that decides for an error: the first whose ErrorEquals names it (or States.ALL). */
  const retrierFor = (state: string, error: string) =>
    machine.States[state]?.Retry?.find(
      (r) =>
        r.ErrorEquals.includes(error) || (r.ErrorEquals.includes('States.ALL') && error !== 'States.Runtime'),
    );

  it.each([
    ['CreateImage', 'States.Timeout'],
    ['CreateImage', 'Lambda.Unknown'],
    ['CreateImage', 'Sandbox.Timedout'],
    ['CreateImage', 'AmiNotVisibleYetError'],
    ['RunComponent', 'States.Timeout'],
    ['RunComponent', 'Lambda.Unknown'],
  ])('%s retries %s: the step is idempotent and the lost attempt may have acted', (state, error) => {
    expect(retrierFor(state, error)?.MaxAttempts ?? 0).toBeGreaterThan(0);
  });
});
