/**
 * Number codes for the catalog's versions, so that the planner's per-family tables compare numbers
 * instead of fetching key strings from all over the heap (a `Map` of a million strings spends most of
 * a plan growing its table and comparing keys). A version outside the form gets no code (-1): callers
 * keep such versions in a `Map` of their own, so every version is found in exactly one place.
 */

/**
 * A version of 1 to 14 characters among `0-9 . -` (every semantic or calendar version) as a whole
 * number below 2^53, one to one: each character a digit from 1 to 12 in base 13 (no zero digit, so
 * lengths never collide). -1 for any other string.
 */
export const versionCode = (s: string): number => {
  if (typeof s !== 'string') return -1;
  const n = s.length;
  if (n === 0 || n > 14) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 47;
    else if (c === 46) d = 11;
    else if (c === 45) d = 12;
    else return -1;
    v = v * 13 + d;
  }
  return v;
};
