import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';

/**
 * CloudFormation's short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`, ...) read into their long form, as
 * CloudFormation itself reads a YAML template, on scalars, sequences and maps alike.
 */
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'And',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Condition',
];
const longForm = (tag: string, value: unknown): unknown => {
  if (tag === 'Ref') return { Ref: value };
  if (tag === 'GetAtt') {
    if (typeof value !== 'string') return { 'Fn::GetAtt': value };
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [tag === 'Condition' ? 'Condition' : `Fn::${tag}`]: value };
};
const TAGS: Tags = ['Ref', 'GetAtt', ...FUNCTIONS].flatMap((name) => [
  { tag: `!${name}`, resolve: (v: string) => longForm(name, v) },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (v: { toJSON(): unknown }) => longForm(name, v.toJSON()),
  },
  {
    tag: `!${name}`,
    collection: 'map' as const,
    resolve: (v: { toJSON(): unknown }) => longForm(name, v.toJSON()),
  },
]) as Tags;

/** A CloudFormation (or serverless.yml) YAML file, its intrinsics in long form. */
export const readCloudFormationYaml = (file: string): Record<string, unknown> =>
  parse(readFileSync(file, 'utf8'), { customTags: TAGS }) as Record<string, unknown>;
