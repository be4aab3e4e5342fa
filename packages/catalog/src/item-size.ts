/**
 * Item sizes as DynamoDB counts them (Developer Guide, "Item sizes and formats"): the UTF-8 bytes of
 * every attribute name plus its value. Strings count their UTF-8 bytes, binary its raw bytes, a boolean
 * or null 1 byte, a number 1 byte per two significant digits plus 1; a list or map 3 bytes plus its
 * elements, each element 1 byte more (a map entry counts its name too). Where the guide says
 * "approximately" (numbers) this rounds up, so a size here is never below DynamoDB's.
 */

/** DynamoDB's largest item: 400 KB of attribute names and values together. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** DynamoDB's limits on one TransactWriteItems call: 100 actions, 4 MB of items together. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** 1 byte per two significant digits, plus 1; leading and trailing zeros do not count. */
const numberBytes = (n: number | bigint): number => {
  const text = typeof n === 'bigint' ? n.toString() : Math.abs(n).toExponential();
  const mantissa = (text.split('e')[0] ?? '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(mantissa.length, 1) / 2) + 1;
};

const valueBytes = (value: unknown): number => {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    return [...value].reduce<number>((sum, element) => sum + valueBytes(element), 0);
  }
  if (Array.isArray(value)) {
    return value.reduce<number>((sum, element) => sum + 1 + valueBytes(element), 3);
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).reduce<number>(
      (sum, [name, element]) => (element === undefined ? sum : sum + utf8(name) + 1 + valueBytes(element)),
      3,
    );
  }
  return 0;
};

/** The size DynamoDB counts for `item` (top-level attributes: name + value; `undefined` is no attribute). */
export const dynamoItemBytes = (item: Readonly<Record<string, unknown>>): number =>
  Object.entries(item).reduce<number>(
    (sum, [name, value]) => (value === undefined ? sum : sum + utf8(name) + valueBytes(value)),
    0,
  );
