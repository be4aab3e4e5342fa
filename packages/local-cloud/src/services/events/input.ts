import type { EventEnvelope, Target } from './model';

/**
 * What a target receives: the event, a constant `Input`, the part of the event an `InputPath` selects, or
 * an `InputTransformer`'s template filled from the event. The JSONPath subset is the one EventBridge
 * documents: dot notation, dashes, underscores, slashes, array indices and `*` wildcards.
 */

type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

/** A JSONPath EventBridge would not evaluate; the target's delivery fails with it. */
export class JsonPathError extends Error {
  constructor(readonly path: string) {
    super(`"${path}" is not a JSON path EventBridge evaluates`);
    this.name = 'JsonPathError';
  }
}

const parseJsonPath = (path: string): { steps: Step[]; multiple: boolean } => {
  if (!path.startsWith('$')) throw new JsonPathError(path);
  const steps: Step[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      if (path[i + 1] === '*') {
        steps.push({ kind: 'all' });
        i += 2;
        continue;
      }
      const m = /^[^.[\]]+/.exec(path.slice(i + 1));
      if (!m) throw new JsonPathError(path);
      steps.push({ kind: 'key', key: m[0] });
      i += 1 + m[0].length;
    } else if (path[i] === '[') {
      const m = /^\[(?:(\d+)|(\*)|'([^']*)'|"([^"]*)")\]/.exec(path.slice(i));
      if (!m) throw new JsonPathError(path);
      if (m[1] !== undefined) steps.push({ kind: 'index', index: Number(m[1]) });
      else if (m[2] !== undefined) steps.push({ kind: 'all' });
      else steps.push({ kind: 'key', key: m[3] ?? m[4]! });
      i += m[0].length;
    } else {
      throw new JsonPathError(path);
    }
  }
  return { steps, multiple: steps.some((s) => s.kind === 'all') };
};

/**
 * Evaluates a JSONPath against a JSON value: the value it names, `undefined` when there is none, or (for
 * paths with `*`) the list of values it names.
 */
export const evaluateJsonPath = (value: unknown, path: string): unknown => {
  const { steps, multiple } = parseJsonPath(path);
  let current: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (step.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object' && v !== null) next.push(...Object.values(v));
      } else if (step.kind === 'index') {
        if (Array.isArray(v) && step.index < v.length) next.push(v[step.index]);
      } else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, step.key)) {
        next.push((v as Record<string, unknown>)[step.key]);
      }
    }
    current = next;
  }
  return multiple ? current : current[0];
};

const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/g;

/** The placeholder names an InputTemplate uses, in order (repeats included). */
export const templatePlaceholders = (template: string): string[] =>
  [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);

/** What the rule that matched tells the transformer. */
export interface TransformContext {
  ruleArn: string;
  ruleName: string;
  /** When EventBridge received the event, epoch milliseconds. */
  ingestedAt: number;
}

/**
 * Fills an InputTemplate. Like EventBridge: a value inside a JSON string is inserted as it is (strings are
 * not escaped; objects lose their inner quotes), a value outside one is inserted as JSON in a JSON
 * template and as plain text in a text template, and a path the event lacks gives `null` (an empty string
 * inside quotes).
 */
export const renderTemplate = (
  template: string,
  vars: Readonly<Record<string, unknown>>,
): { text: string; json: boolean } => {
  const json = /^\s*[{[]/.test(template);
  let out = '';
  let inString = false;
  let i = 0;
  PLACEHOLDER.lastIndex = 0;
  for (let m = PLACEHOLDER.exec(template); m; m = PLACEHOLDER.exec(template)) {
    // Track whether the placeholder sits inside a JSON string by scanning the template text before it.
    for (; i < m.index; i++) {
      const ch = template[i]!;
      if (ch === '\\' && inString) {
        out += ch + (template[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === '"') inString = !inString;
      out += ch;
    }
    const value = vars[m[1]!];
    if (inString) {
      if (value === undefined) out += '';
      else if (typeof value === 'string') out += value;
      else out += JSON.stringify(value).replace(/"/g, '');
    } else if (value === undefined) {
      out += 'null';
    } else if (!json && typeof value === 'string') {
      out += value;
    } else {
      out += JSON.stringify(value);
    }
    i = m.index + m[0].length;
  }
  out += template.slice(i);
  return { text: out, json };
};

/** What a target gets: JSON text for Step Functions, the parsed value (or raw text) for Lambda. */
export interface TargetInput {
  text: string;
  value: unknown;
}

const asInput = (text: string): TargetInput => {
  try {
    return { text, value: JSON.parse(text) };
  } catch {
    return { text, value: text };
  }
};

/** A transformed input that cannot be delivered (a JSON template that did not give JSON). */
export class InputTransformationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputTransformationError';
  }
}

/** The input a target receives for an event. */
export const targetInput = (target: Target, event: EventEnvelope, ctx: TransformContext): TargetInput => {
  if (target.Input !== undefined) return asInput(target.Input);
  if (target.InputPath !== undefined) {
    const value = evaluateJsonPath(event, target.InputPath) ?? null;
    return { text: JSON.stringify(value), value };
  }
  const transformer = target.InputTransformer;
  if (!transformer) return { text: JSON.stringify(event), value: event };
  const { detail: _detail, ...withoutDetail } = event;
  const vars: Record<string, unknown> = {
    'aws.events.rule-arn': ctx.ruleArn,
    'aws.events.rule-name': ctx.ruleName,
    'aws.events.event.ingestion-time': new Date(ctx.ingestedAt).toISOString(),
    'aws.events.event': withoutDetail,
    'aws.events.event.json': event,
  };
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    vars[name] = evaluateJsonPath(event, path);
  }
  const rendered = renderTemplate(transformer.InputTemplate, vars);
  const input = asInput(rendered.text);
  if (rendered.json && input.value === rendered.text) {
    throw new InputTransformationError(`the InputTemplate did not produce valid JSON: ${rendered.text}`);
  }
  return input;
};
