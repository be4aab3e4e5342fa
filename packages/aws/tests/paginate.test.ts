import { collectPages, PaginationLimitError } from '../src';

describe('collectPages', () => {
  it('follows NextToken until a page carries none', async () => {
    const pages: Record<string, { items: number[]; nextToken?: string }> = {
      start: { items: [1, 2], nextToken: 'b' },
      b: { items: [], nextToken: 'c' },
      c: { items: [3] },
    };

    const items = await collectPages('test:List', async (token) => pages[token ?? 'start']!);

    expect(items).toEqual([1, 2, 3]);
  });

  it('stops with PaginationLimitError when a listing keeps answering a token', async () => {
    const fetchPage = jest.fn(async () => ({ items: [1], nextToken: 'again' }));

    await expect(collectPages('test:Loop', fetchPage, 5)).rejects.toBeInstanceOf(PaginationLimitError);
    expect(fetchPage).toHaveBeenCalledTimes(5);
  });
});
