import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Serverless variable, as functions.yml writes it
const DLQ_ARN = '${self:custom.deadLetterQueueArn}';

interface FunctionConfig {
  handler: string;
  events?: Record<string, unknown>[];
  maximumRetryAttempts?: number;
  destinations?: { onFailure?: unknown };
  iamRoleStatements?: { Effect: string; Action: string | string[]; Resource: unknown }[];
}

/** Every function EventBridge invokes (a rule or a schedule), as `<service>/<function>`. */
const eventFunctions = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'services', d.name, 'functions.yml')))
  .flatMap((d) => {
    // CloudFormation's short tags (!Ref) are not needed here: read as plain values, unwarned.
    const functions = parse(readFileSync(join(ROOT, 'services', d.name, 'functions.yml'), 'utf8'), {
      logLevel: 'error',
    }) as Record<string, FunctionConfig>;
    return Object.entries(functions)
      .filter(([, fn]) => (fn.events ?? []).length > 0)
      .map(([name, fn]) => [`${d.name}/${name}`, fn] as const);
  });

/**
 * What keeps an event a function EventBridge invokes cannot act on: its own refusal (the handler sends
 * it to the queue, so the role must allow it) and Lambda's failure destination after its retries. The
 * local cloud does not evaluate IAM, so only this test notices a function that could not send.
 */
describe.each(eventFunctions)('%s', (_name, fn) => {
  it("sends what still fails after Lambda's retries to the events dead-letter queue", () => {
    // The queue's ARN is a `!GetAtt`: a destination given by an intrinsic names its type.
    expect(fn.destinations?.onFailure).toEqual({ type: 'sqs', arn: DLQ_ARN });
    expect(fn.maximumRetryAttempts).toBe(2);
  });

  it('has every rule and schedule retry a delivery Lambda does not accept, then dead-letter it', () => {
    // Serverless v3's `schedule` event takes no dead-letter queue: schedules are `eventBridge` schedules.
    expect(fn.events!.map((e) => Object.keys(e))).toEqual(fn.events!.map(() => ['eventBridge']));
    for (const e of fn.events!) {
      const rule = e.eventBridge as { retryPolicy?: Record<string, number>; deadLetterQueueArn?: unknown };
      expect(rule.deadLetterQueueArn).toBe(DLQ_ARN);
      expect(rule.retryPolicy).toEqual({ maximumRetryAttempts: 185, maximumEventAge: expect.any(Number) });
    }
  });

  it('may send what it refuses there itself, and its handler does', () => {
    const allowed = (fn.iamRoleStatements ?? []).some(
      (s) => s.Effect === 'Allow' && [s.Action].flat().includes('sqs:SendMessage') && s.Resource === DLQ_ARN,
    );
    expect(allowed).toBe(true);
    const module = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    expect(readFileSync(join(ROOT, `${module}.ts`), 'utf8')).toMatch(/refusedEventsTo: sqsDeadLetters\(\)/);
  });
});

it('finds the functions EventBridge invokes', () => {
  expect(eventFunctions.length).toBeGreaterThanOrEqual(12);
});
