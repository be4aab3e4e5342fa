import { escapeXml } from '../../protocols/query';

/** The namespace every EC2 Query response carries; the SDKs ignore it but the AWS CLI's parser expects it. */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/**
 * A list whose members are not EC2's usual `<item>`: a few shapes (the `groupSet` of a launch template's
 * network interface) name their members differently, and the SDK parser follows the model's name.
 */
export class XmlList {
  constructor(
    readonly itemName: string,
    readonly items: readonly XmlValue[],
  ) {}
}

export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | null
  | XmlList
  | readonly XmlValue[]
  | XmlFields;

export interface XmlFields {
  readonly [name: string]: XmlValue;
}

export const listOf = (itemName: string, items: readonly XmlValue[]): XmlList => new XmlList(itemName, items);

/**
 * Renders EC2-style XML: arrays become `<item>` members, absent (undefined/null) members are left out as
 * EC2 leaves them out, dates are ISO 8601 as the EC2 timestamp format expects.
 */
export const renderXml = (value: XmlValue): string => {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlList) return value.items.map((v) => element(value.itemName, v)).join('');
  if (Array.isArray(value)) return value.map((v: XmlValue) => element('item', v)).join('');
  if (typeof value === 'object') {
    let out = '';
    for (const [name, v] of Object.entries(value as XmlFields)) {
      if (v === undefined || v === null) continue;
      out += element(name, v);
    }
    return out;
  }
  return escapeXml(String(value));
};

const element = (name: string, v: XmlValue): string => `<${name}>${renderXml(v)}</${name}>`;

/** `<XResponse xmlns=…><requestId>…</requestId>…</XResponse>`, the envelope of every EC2 answer. */
export const ec2ResponseXml = (action: string, requestId: string, body: XmlFields): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}"><requestId>${escapeXml(
    requestId,
  )}</requestId>${renderXml(body)}</${action}Response>`;

/** EC2's error document: unlike other Query services it nests `Errors/Error` and spells `RequestID`. */
export const ec2ErrorXml = (code: string, message: string, requestId: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(
    message,
  )}</Message></Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`;
