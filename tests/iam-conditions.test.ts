import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const functionFiles = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join('services', d.name, 'functions.yml'))
  .filter((file) => existsSync(join(ROOT, file)));

/** What removes, disables or shares an image, a snapshot or an instance. */
const DESTRUCTIVE = new Set([
  'ec2:DeregisterImage',
  'ec2:DisableImage',
  'ec2:EnableImageDeprecation',
  'ec2:DisableImageDeregistrationProtection',
  'ec2:DeleteSnapshot',
  'ec2:ModifyImageAttribute',
  'ec2:TerminateInstances',
]);

/** Whether an action, wildcards read as IAM reads them, allows one of the destructive actions. */
const grantsDestructive = (action: string): boolean => {
  const pattern = new RegExp(
    `^${action
      .split('*')
      .map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return [...DESTRUCTIVE].some((d) => pattern.test(d));
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every function's statements that allow a destructive action, named `<function> #<index>`. */
const destructiveStatements = (file: string): [string, Statement][] => {
  // CloudFormation's short tags (!GetAtt, !Ref) are not needed here: read as plain values, unwarned.
  const functions = parse(readFileSync(join(ROOT, file), 'utf8'), { logLevel: 'error' }) as Record<
    string,
    { iamRoleStatements?: Statement[] }
  >;
  return Object.entries(functions).flatMap(([name, fn]) =>
    (fn.iamRoleStatements ?? []).flatMap((statement, i): [string, Statement][] => {
      const actions = [statement.Action].flat();
      return statement.Effect === 'Allow' && actions.some(grantsDestructive)
        ? [[`${name} #${i}`, statement]]
        : [];
    }),
  );
};

/**
 * Every destructive action is allowed only on what the controller made: the statement is conditioned on
 * our `ami-lifecycle:managed` tag, so no bug and no forged input can make a function remove, disable or
 * share an image, a snapshot or an instance someone else owns. The local cloud does not evaluate IAM
 * conditions, so only this test holds the line.
 */
describe.each(functionFiles)('%s', (file) => {
  it('conditions every destructive action on the managed tag', () => {
    const unguarded = destructiveStatements(file)
      .filter(([, s]) => {
        const equals = s.Condition?.StringEquals ?? {};
        return !['aws:ResourceTag/ami-lifecycle:managed', 'ec2:ResourceTag/ami-lifecycle:managed'].some(
          (key) => equals[key] === 'true',
        );
      })
      .map(([where]) => where);

    expect(unguarded).toEqual([]);
  });

  it('names no destructive action with a wildcard', () => {
    const wild = destructiveStatements(file)
      .flatMap(([where, s]) => [s.Action].flat().map((a) => `${where} ${a}`))
      .filter((a) => a.includes('*'));

    expect(wild).toEqual([]);
  });
});
