import type { Context } from 'aws-lambda';
import { dailySweepId } from '../src/use-cases/start-sweep';
import { sweepIdSchema } from '../src/use-cases/sweep-id';

/** Each step of the decommission machine, by its handler module, with a valid input but for the id. */
const STEPS = {
  PrepareSweep: ['prepare-sweep', { dryRun: true }],
  ReadInventory: ['read-inventory', { region: 'eu-west-1' }],
  PlanSweep: ['plan-sweep', { dryRun: true }],
  ApplyBatch: ['apply-batch', { batch: 0 }],
  CompleteSweep: ['complete-sweep', { dryRun: true }],
} as const;

const HOSTILE = [
  '',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, kept literally
  '${process.exit(1)}',
  '$(reboot)',
  'sweep-2026-03-01; rm -rf /',
  'sweep-2026-03-01/../../x',
  'sweep-2026-03-01#BATCH#0',
  'sweep-2026-03-01T10:00Z',
  'sweep-2026-03-01\n',
  '__proto__',
  'sweep-',
  `sweep-${'a'.repeat(80)}`,
];

const context = { functionName: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

describe('sweep ids', () => {
  it('takes every id the product names a sweep with', () => {
    const made = [
      // The daily schedule's, any day.
      dailySweepId('2026-03-01T02:00:00.000Z'),
      dailySweepId('2031-12-31T23:59:59Z'),
      // amictl retention apply's, with and without --dry-run.
      'sweep-manual-2026-03-01T10-00Z',
      'sweep-manual-dry-run-2026-03-01T10-00Z',
    ];
    expect(made.filter((id) => !sweepIdSchema.safeParse(id).success)).toEqual([]);
  });

  it('refuses anything else: path, shell, template and key separator characters, and overlong ids', () => {
    expect(HOSTILE.filter((id) => sweepIdSchema.safeParse(id).success)).toEqual([]);
  });

  describe('each step of the decommission machine', () => {
    const saved = { ...process.env };
    beforeAll(() => {
      // The wiring reads its environment when a handler module loads; nothing is called on AWS here.
      Object.assign(process.env, {
        CATALOG_TABLE: 'ami-lifecycle-test',
        EVENT_BUS_NAME: 'ami-lifecycle-test',
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      });
    });
    afterAll(() => {
      process.env = saved;
    });

    it.each(Object.entries(STEPS))(
      '%s fails its task on a malformed sweep id, naming it',
      async (step, entry) => {
        const [file, rest] = entry;
        const { handler } = require(`../src/handlers/${file}`) as {
          handler: (event: unknown, context: Context) => Promise<unknown>;
        };
        for (const sweepId of HOSTILE) {
          await expect(handler({ sweepId, ...rest }, context)).rejects.toMatchObject({
            name: 'StepInputRejectedError',
            message: expect.stringMatching(new RegExp(`^${step} refused its input: .*sweepId: `)),
          });
        }
      },
    );
  });
});
