import { AwsError } from '../errors';

/** The flat parameters of a Query-protocol request (form body or URL query): `Action`, `ImageId.1`, ... */
export type QueryParams = ReadonlyMap<string, string>;

export const parseQuery = (body: string): Map<string, string> => new Map(new URLSearchParams(body));

/** `Name.1`, `Name.2`, ... in order; EC2 numbers lists from 1 and allows gaps. */
export const listParam = (params: QueryParams, prefix: string): string[] => {
  const out: [number, string][] = [];
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  for (const [k, v] of params) {
    const m = re.exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
};

/**
 * Structured lists: `Filter.1.Name`, `Filter.1.Value.1` -> [{ Name, 'Value.1' }] keyed by the member
 * suffix, for the service to read with `listParam` on a sub-map.
 */
export const structListParam = (params: QueryParams, prefix: string): Map<string, string>[] => {
  const members = new Map<number, Map<string, string>>();
  const head = `${prefix}.`;
  for (const [k, v] of params) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    const dot = rest.indexOf('.');
    if (dot < 0) continue;
    const n = Number(rest.slice(0, dot));
    if (!Number.isInteger(n)) continue;
    let m = members.get(n);
    if (!m) {
      m = new Map();
      members.set(n, m);
    }
    m.set(rest.slice(dot + 1), v);
  }
  return [...members.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
};

export const requiredParam = (params: QueryParams, name: string): string => {
  const v = params.get(name);
  if (v === undefined || v === '')
    throw new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
};

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);

/** An XML value: text, a nested element map, or a list rendered as repeated `<item>` (EC2 style). */
export type XmlValue = string | number | boolean | undefined | null | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/**
 * Renders EC2-style XML: arrays become `<item>` children, undefined/null members are left out (AWS
 * omits absent fields rather than sending empty ones).
 */
export const toXml = (value: XmlValue, itemName = 'item'): string => {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value))
    return value.map((v) => `<${itemName}>${toXml(v, itemName)}</${itemName}>`).join('');
  if (typeof value === 'object') {
    let out = '';
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      out += `<${k}>${toXml(v, itemName)}</${k}>`;
    }
    return out;
  }
  return escapeXml(String(value));
};

/** The Query-protocol request parameters: the form body, with URL query parameters as a fallback (GET). */
export const queryRequestParams = (body: string, query: URLSearchParams): Map<string, string> => {
  const params = new Map(query);
  for (const [k, v] of parseQuery(body)) params.set(k, v);
  return params;
};

/**
 * An `awsQuery` success document (STS, IAM style, unlike EC2's): the result wrapped in `<XResult>` and the
 * request id in `<ResponseMetadata>`, as the SDK's awsQuery deserialiser expects.
 */
export const awsQueryResponse = (action: string, xmlns: string, result: XmlObject, requestId: string) =>
  `<${action}Response xmlns="${escapeXml(xmlns)}"><${action}Result>${toXml(result)}</${action}Result>` +
  `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`;

/** An `awsQuery` error document: `<ErrorResponse><Error><Type>Sender</Type><Code>…`. */
export const awsQueryError = (err: AwsError, xmlns: string, requestId: string) =>
  `<ErrorResponse xmlns="${escapeXml(xmlns)}"><Error><Type>${err.type}</Type>` +
  `<Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error>` +
  `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`;
