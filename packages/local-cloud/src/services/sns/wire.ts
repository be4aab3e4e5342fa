import { AwsError } from '../../errors';
import { escapeXml, type QueryParams, structListParam } from '../../protocols/query';
import type { MessageAttribute } from './filter-policy';

/**
 * SNS's Query protocol: form-encoded requests (`Action=Publish&Version=2010-03-31&...`), with maps as
 * `Attributes.entry.N.key`/`.value` (message attributes as `MessageAttributes.entry.N.Name`/`.Value.*`)
 * and lists as `Tags.member.N.*`; XML answers whose lists are `<member>`s and maps `<entry>`s.
 */

export const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** A string parameter; `required` ones missing are refused as SNS's validation does. */
export const param = (params: QueryParams, name: string, required = false): string | undefined => {
  const v = params.get(name);
  if (v === undefined && required) {
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return v;
};

/** A map of strings: `<prefix>.entry.N.key` and `.value`. */
export const stringMapParam = (params: QueryParams, prefix: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const entry of structListParam(params, `${prefix}.entry`)) {
    const key = entry.get('key');
    if (key !== undefined) out[key] = entry.get('value') ?? '';
  }
  return out;
};

/** Tags: `<prefix>.member.N.Key` and `.Value`. */
export const tagsParam = (params: QueryParams, prefix = 'Tags'): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const member of structListParam(params, `${prefix}.member`)) {
    const key = member.get('Key');
    if (key !== undefined) out[key] = member.get('Value') ?? '';
  }
  return out;
};

/** A list of strings: `<prefix>.member.N`. */
export const stringListParam = (params: QueryParams, prefix: string): string[] => {
  const out: [number, string][] = [];
  const head = `${prefix}.member.`;
  for (const [k, v] of params) {
    if (k.startsWith(head) && /^\d+$/.test(k.slice(head.length))) out.push([Number(k.slice(head.length)), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
};

/** Message attributes: `<prefix>.entry.N.Name`, `.Value.DataType`, `.Value.StringValue`, `.Value.BinaryValue`. */
export const messageAttributesParam = (
  params: QueryParams,
  prefix = 'MessageAttributes',
): Record<string, MessageAttribute> => {
  const out: Record<string, MessageAttribute> = {};
  for (const entry of structListParam(params, `${prefix}.entry`)) {
    const name = entry.get('Name');
    if (name === undefined) continue;
    const DataType = entry.get('Value.DataType') ?? '';
    const StringValue = entry.get('Value.StringValue');
    const BinaryValue = entry.get('Value.BinaryValue');
    out[name] = {
      DataType,
      ...(StringValue === undefined ? {} : { StringValue }),
      ...(BinaryValue === undefined ? {} : { BinaryValue }),
    };
  }
  return out;
};

/** A text element, or nothing for an absent value. */
export const el = (name: string, value: string | number | boolean | undefined | null): string =>
  value === undefined || value === null ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;

/** A list element: each item (already XML) in `<member>`. */
export const members = (name: string, items: readonly string[]): string =>
  `<${name}>${items.map((i) => `<member>${i}</member>`).join('')}</${name}>`;

/** A map element: `<entry><key>…</key><value>…</value></entry>` for each pair. */
export const entries = (name: string, map: Readonly<Record<string, string>>): string =>
  `<${name}>${Object.entries(map)
    .map(([k, v]) => `<entry>${el('key', k)}${el('value', v)}</entry>`)
    .join('')}</${name}>`;

/** `<ActionResponse>` with its `<ActionResult>` (none for operations without output) and request id. */
export const queryResponse = (action: string, result: string | undefined, requestId: string): string =>
  `<${action}Response xmlns="${XMLNS}">${result === undefined ? '' : `<${action}Result>${result}</${action}Result>`}` +
  `<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
