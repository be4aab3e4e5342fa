/**
 * Page tokens, shared by every emulated listing. They are opaque to callers, as AWS's are: the base64url
 * JSON of the listing they belong to and the key of the last item returned. Naming the listing lets a
 * token handed to another listing be refused instead of silently paging the wrong thing; a cursor rather
 * than an offset means items that appear or vanish between pages neither repeat nor skip others. Each
 * service answers a refused token with its own error.
 */
export interface PageToken<K extends string | number = string | number> {
  /** The listing (and, where it matters, the query) the token was issued for. */
  l: string;
  /** The key of the last item returned. */
  after: K;
}

export const encodePageToken = (token: PageToken): string =>
  Buffer.from(JSON.stringify(token)).toString('base64url');

/** The key the token resumes after, or undefined when this listing did not issue it. */
export function decodePageToken(token: string, listing: string, key: 'string'): string | undefined;
export function decodePageToken(token: string, listing: string, key: 'number'): number | undefined;
export function decodePageToken(
  token: string,
  listing: string,
  key: 'string' | 'number',
): string | number | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageToken> | null;
    if (t?.l === listing && typeof t.after === key) return t.after;
  } catch {
    // not a token at all: refused like one from another listing
  }
  return undefined;
}
