import { readFileSync } from 'node:fs';
import { parsePolicy } from '@ami-lifecycle/core';
import type { ConfigDiffView, ConfigValidationView } from '../src';
import { fieldChanges } from '../src/config-commands';
import { createWorld, EXAMPLE, START, type World } from './support/world';

const example = readFileSync(EXAMPLE, 'utf8');

/** The example policy with golden-al2023 on a larger builder, one more command, and no golden-ubuntu. */
const edited = example
  .replace('instanceType: t3.medium', 'instanceType: t3.large')
  .replace('            - dnf clean all\n', '            - dnf clean all\n            - dnf -y install jq\n')
  .replace('maxRetirementsPerRun: 40', 'maxRetirementsPerRun: 25');
const withoutUbuntu = (text: string) => {
  const start = text.indexOf('\n  golden-ubuntu:\n');
  const end = text.indexOf('\n  payments-api:\n');
  return text.slice(0, start) + text.slice(end);
};

/** The example applied as it is, then amictl reading `text` as the file. */
const applied = async (text: string): Promise<World> => {
  const world = await createWorld([]);
  expect(await world.run('config', 'apply', EXAMPLE)).toBe(0);
  world.out.length = 0;
  world.writes.length = 0;
  world.deps.readFile = () => text;
  return world;
};

describe('amictl config diff', () => {
  it('says "no changes" for the file as applied, and writes nothing', async () => {
    const world = await applied(example);

    expect(await world.run('config', 'diff', 'policy.yaml')).toBe(0);

    expect(world.out).toEqual([
      'unchanged organization config (version 1)',
      'unchanged golden-al2023 (version 1)',
      'unchanged golden-ubuntu (version 1)',
      'unchanged payments-api (version 1)',
      'unchanged orders-worker (version 1)',
      'no changes: config apply would store nothing',
    ]);
    expect(world.writes).toEqual([]);
  });

  it('names each changed field with its old and new value, and the family the file no longer has', async () => {
    const world = await applied(withoutUbuntu(edited));

    expect(await world.run('config', 'diff', 'policy.yaml')).toBe(0);

    expect(world.out).toEqual([
      'changed   organization config: version 1 -> 2, 1 field:',
      '    sweep.maxRetirementsPerRun: 40 -> 25',
      'changed   golden-al2023: version 1 -> 2, 2 fields:',
      '    build.instanceType: "t3.medium" -> "t3.large"',
      '    build.components.0.commands.2: (absent) -> "dnf -y install jq"',
      'unchanged payments-api (version 1)',
      'unchanged orders-worker (version 1)',
      'removed   golden-ubuntu (stored version 1): not in the file; apply leaves its stored config as it is ' +
        '(it never deletes a family), and its images stay managed',
      '0 added, 1 changed, 2 unchanged, 1 removed (kept as stored); the organization config changed',
    ]);
    expect(world.writes).toEqual([]);
    // What it said is what an apply does: golden-al2023 and the organisation change, golden-ubuntu stays.
    world.out.length = 0;
    expect(await world.run('config', 'apply', 'policy.yaml')).toBe(0);
    expect(world.out).toEqual([
      'organization config: stored as version 2',
      'golden-al2023: stored as version 2',
      'payments-api: unchanged (version 1)',
      'orders-worker: unchanged (version 1)',
    ]);
    expect((await world.catalog.getFamilyConfig('golden-ubuntu'))?.version).toBe(1);
  });

  it('--json: the organisation, then each family with its status, stored version and changed fields', async () => {
    const world = await applied(withoutUbuntu(edited));
    await world.catalog.putFamilyConfig(
      'payments-api',
      { ...parsePolicy(example, 'x').families['payments-api'], description: 'changed by hand' },
      { expectedCurrent: 1, at: START, by: 'test' },
    );

    expect(await world.run('config', 'diff', 'policy.yaml', '--json')).toBe(0);

    expect(world.out).toHaveLength(1);
    const view = JSON.parse(world.out[0]!) as ConfigDiffView;
    expect(view).toEqual({
      file: 'policy.yaml',
      changes: true,
      organization: {
        status: 'changed',
        storedVersion: 1,
        fields: [{ path: 'sweep.maxRetirementsPerRun', change: 'changed', old: 40, new: 25 }],
      },
      families: [
        {
          name: 'golden-al2023',
          status: 'changed',
          storedVersion: 1,
          fields: [
            { path: 'build.instanceType', change: 'changed', old: 't3.medium', new: 't3.large' },
            { path: 'build.components.0.commands.2', change: 'added', new: 'dnf -y install jq' },
          ],
        },
        {
          name: 'payments-api',
          status: 'changed',
          storedVersion: 2,
          fields: [
            {
              path: 'description',
              change: 'changed',
              old: 'changed by hand',
              new: parsePolicy(example, 'x').families['payments-api']!.description,
            },
          ],
        },
        { name: 'orders-worker', status: 'unchanged', storedVersion: 1, fields: [] },
        { name: 'golden-ubuntu', status: 'removed', storedVersion: 1, fields: [] },
      ],
    });
  });

  it('says what an apply on an empty catalog would store: every config added', async () => {
    const world = await createWorld([]);

    expect(await world.run('config', 'diff', EXAMPLE, '--json')).toBe(0);

    const view = JSON.parse(world.out[0]!) as ConfigDiffView;
    expect(view.changes).toBe(true);
    expect(view.organization).toEqual({ status: 'added', storedVersion: null, fields: [] });
    expect(view.families.map((f) => [f.name, f.status, f.storedVersion])).toEqual([
      ['golden-al2023', 'added', null],
      ['golden-ubuntu', 'added', null],
      ['payments-api', 'added', null],
      ['orders-worker', 'added', null],
    ]);
    world.out.length = 0;
    expect(await world.run('config', 'diff', EXAMPLE)).toBe(0);
    expect(world.out[0]).toBe('added     organization config: not stored yet; apply stores it as version 1');
    expect(world.out.at(-1)).toBe(
      '4 added, 0 changed, 0 unchanged, 0 removed (kept as stored); the organization config is new',
    );
    expect(world.writes).toEqual([]);
  });

  it('refuses an invalid file with the problems validate names, exit 1, writing nothing', async () => {
    const world = await applied(example.replace('instanceType: t3.medium', 'instanceType: 42'));

    expect(await world.run('config', 'diff', 'broken.yaml')).toBe(1);

    expect(world.out).toEqual([]);
    expect(world.err.join('\n')).toMatch(/broken\.yaml.*families\.golden-al2023\.build\.instanceType/s);
    expect(world.writes).toEqual([]);
  });

  it('colours the statuses only when asked to', async () => {
    const world = await applied(withoutUbuntu(edited));
    world.deps.color = true;
    expect(await world.run('config', 'diff', 'policy.yaml')).toBe(0);
    expect(world.out.join('\n')).toContain('\u001b[31mremoved  \u001b[39m golden-ubuntu');
    world.deps.color = false;
    world.out.length = 0;
    expect(await world.run('config', 'diff', 'policy.yaml')).toBe(0);
    expect(world.out.join('\n')).not.toContain('\u001b[');
  });
});

describe('the fields config diff compares', () => {
  it('names added, removed and changed fields by path, array elements by index, undefined as absent', () => {
    expect(
      fieldChanges(
        { a: 1, b: { c: [1, 2, 3], d: 'x' }, gone: true, same: [1] },
        { a: 2, b: { c: [1, 5], d: 'x', e: undefined }, added: { f: 1 }, same: [1] },
      ),
    ).toEqual([
      { path: 'a', change: 'changed', old: 1, new: 2 },
      { path: 'b.c.1', change: 'changed', old: 2, new: 5 },
      { path: 'b.c.2', change: 'removed', old: 3 },
      { path: 'added', change: 'added', new: { f: 1 } },
      { path: 'gone', change: 'removed', old: true },
    ]);
    expect(fieldChanges({ a: [1] }, { a: [1] })).toEqual([]);
    expect(fieldChanges({ a: { b: 1 } }, { a: 'text' })).toEqual([
      { path: 'a', change: 'changed', old: { b: 1 }, new: 'text' },
    ]);
  });
});

describe('amictl config validate --json', () => {
  it('answers { file, valid, families, problems, warnings } for a valid file, exit 0', async () => {
    const world = await createWorld([]);
    world.clock.set('2026-07-01T00:00:00Z');

    expect(await world.run('config', 'validate', EXAMPLE, '--json')).toBe(0);

    expect(world.err).toEqual([]);
    expect(JSON.parse(world.out.join('\n'))).toEqual({
      file: EXAMPLE,
      valid: true,
      families: ['golden-al2023', 'golden-ubuntu', 'payments-api', 'orders-worker'],
      problems: [],
      warnings: [
        `${EXAMPLE}: the waiver CVE-2025-21587 of payments-api expired at 2026-06-30T00:00:00Z and excuses nothing`,
      ],
    } satisfies ConfigValidationView);
  });

  it('answers every problem by its path for an invalid file, exit 1, and nothing on stderr', async () => {
    const world = await createWorld([]);
    world.deps.readFile = () =>
      example.replace('instanceType: t3.medium', 'instanceType: 42').replace('home: eu-west-1', 'home: 7');

    expect(await world.run('config', 'validate', 'broken.yaml', '--json')).toBe(1);

    expect(world.err).toEqual([]);
    const view = JSON.parse(world.out.join('\n')) as ConfigValidationView;
    expect(view).toMatchObject({ file: 'broken.yaml', valid: false, families: [], warnings: [] });
    expect(view.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['regions.home', 'families.golden-al2023.build.instanceType']),
    );
    for (const problem of view.problems) expect(problem.message).not.toBe('');
  });

  it('answers a file it cannot read as a problem of the file, exit 1', async () => {
    const world = await createWorld([]);
    world.deps.readFile = () => {
      throw new Error('ENOENT: no such file or directory');
    };

    expect(await world.run('config', 'validate', 'missing.yaml', '--json')).toBe(1);

    expect(JSON.parse(world.out.join('\n'))).toEqual({
      file: 'missing.yaml',
      valid: false,
      families: [],
      problems: [{ path: '', message: 'cannot read missing.yaml: ENOENT: no such file or directory' }],
      warnings: [],
    });
  });
});
