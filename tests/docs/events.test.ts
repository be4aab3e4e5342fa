import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAmictlArgs } from '@ami-lifecycle/cli';
import { detailTypes } from '@ami-lifecycle/contracts';
import {
  EVENT_FIELD_NOTES,
  eventFields,
  mayPutEvents,
  PRODUCERS,
  producerSource,
  ROOT,
  serviceFunctions,
} from '../../scripts/docs';

/** Every non-test TypeScript file under a directory, with its text. */
const sources = (dir: string): { file: string; text: string }[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(join(ROOT, f)).isFile())
    .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));

const quoted = (detailType: string) => new RegExp(`['"\`]${detailType}['"\`]`);

/** Rules of ours (source `ami-lifecycle`) whose pattern names a detail-type no contract defines. */
const unknownSubscriptions = (functions: ReturnType<typeof serviceFunctions>): string[] =>
  functions.flatMap((fn) =>
    (fn.config.events ?? []).flatMap((event) => {
      const pattern = event.eventBridge?.pattern;
      if (!pattern?.source?.includes('ami-lifecycle')) return [];
      return (pattern['detail-type'] ?? [])
        .filter((type) => !detailTypes.includes(type as (typeof detailTypes)[number]))
        .map((type) => `${fn.service}/${fn.name} subscribes to "${type}", which no contract defines`);
    }),
  );

const producerDirs = [
  ...readdirSync(join(ROOT, 'services')).map((s) => ({ service: s, dir: producerSource(s) })),
  { service: 'amictl', dir: producerSource('amictl') },
];

describe('the producer map of scripts/docs.ts', () => {
  it('names a producer for every detail-type of the contracts, and nothing else', () => {
    expect(Object.keys(PRODUCERS).sort()).toEqual([...detailTypes].sort());
    const without = Object.entries(PRODUCERS).filter(([, producers]) => producers.length === 0);
    expect(without.map(([type]) => type)).toEqual([]);
  });

  it("lists only producers whose service's code names the detail-type", () => {
    const wrong = Object.entries(PRODUCERS).flatMap(([detailType, producers]) =>
      producers
        .filter((p) => !sources(producerSource(p.service)).some((s) => quoted(detailType).test(s.text)))
        .map((p) => `${detailType}: ${p.service} (${producerSource(p.service)}) never names it`),
    );
    expect(wrong).toEqual([]);
  });

  it("lists only functions of the service's functions.yml and commands amictl has", () => {
    const functions = new Set(serviceFunctions().map((fn) => `${fn.service}/${fn.name}`));
    const help = parseAmictlArgs(['--help']);
    if (help.command !== 'help') throw new Error('amictl --help printed no help');
    const commands = help.text.split('\n').map((line) => line.trim());
    const wrong = Object.entries(PRODUCERS).flatMap(([detailType, producers]) =>
      producers.flatMap((p) => [
        ...(p.functions ?? [])
          .filter((name) => !functions.has(`${p.service}/${name}`))
          .map((name) => `${detailType}: no function ${name} in services/${p.service}/functions.yml`),
        ...(p.command !== undefined && !commands.some((line) => line.startsWith(`${p.command} `))
          ? [`${detailType}: amictl has no command "${p.command}"`]
          : []),
        ...(p.functions === undefined && p.command === undefined
          ? [`${detailType}: ${p.service} names no function or command`]
          : []),
      ]),
    );
    expect(wrong).toEqual([]);
  });

  it('lists every detail-type a service or amictl publishes by name', () => {
    const missing = producerDirs.flatMap(({ service, dir }) =>
      sources(dir).flatMap(({ file, text }) =>
        [...text.matchAll(/\.publish\(\s*'([^']+)'/g)]
          .map((m) => m[1]!)
          .filter((type) => !PRODUCERS[type as keyof typeof PRODUCERS]?.some((p) => p.service === service))
          .map((type) => `${type} is published in ${file}, but ${service} is not listed as its producer`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('lists every function whose role may put events on the bus', () => {
    const listed = new Set(
      Object.values(PRODUCERS).flatMap((producers) =>
        producers.flatMap((p) => (p.functions ?? []).map((name) => `${p.service}/${name}`)),
      ),
    );
    const putting = serviceFunctions()
      .filter((fn) => mayPutEvents(fn.config))
      .map((fn) => `${fn.service}/${fn.name}`);
    expect(putting.filter((fn) => !listed.has(fn))).toEqual([]);
    // And the other way: a listed function without the permission cannot put what it produces (on AWS its
    // PutEvents is refused).
    const byName = new Map(serviceFunctions().map((fn) => [`${fn.service}/${fn.name}`, fn]));
    const without = [...listed]
      .filter((fn) => byName.has(fn) && !mayPutEvents(byName.get(fn)!.config))
      .sort();
    expect(without).toEqual([]);
  });
});

describe('the event catalogue', () => {
  it('describes every field of every accepted schema version', () => {
    const fields = eventFields();
    expect(fields.length).toBeGreaterThan(detailTypes.length * 5);
    expect(
      fields
        .filter((f) => f.description === undefined)
        .map((f) => `${f.detailType} v${f.version} ${f.field}`),
    ).toEqual([]);
  });

  it('keeps no field note that no field needs (the contracts describe it, or no such field exists)', () => {
    const fromNotes = eventFields().filter((f) => f.description?.from === 'notes');
    const chosen = new Set(
      fromNotes.map((f) =>
        `${f.detailType}.${f.field}` in EVENT_FIELD_NOTES ? `${f.detailType}.${f.field}` : f.field,
      ),
    );
    expect(fromNotes.length).toBeGreaterThan(0);
    expect(Object.keys(EVENT_FIELD_NOTES).filter((key) => !chosen.has(key))).toEqual([]);
  });

  it('subscribes functions only to detail-types the contracts define', () => {
    expect(unknownSubscriptions(serviceFunctions())).toEqual([]);
    // A misspelt pattern matches nothing, silently; this is what the check above would say of one.
    const misspelt = {
      service: 'publish',
      name: 'publishRequest',
      config: {
        events: [
          { eventBridge: { pattern: { source: ['ami-lifecycle'], 'detail-type': ['Image Aproved'] } } },
        ],
      },
    };
    expect(unknownSubscriptions([misspelt])).toEqual([
      'publish/publishRequest subscribes to "Image Aproved", which no contract defines',
    ]);
  });
});
