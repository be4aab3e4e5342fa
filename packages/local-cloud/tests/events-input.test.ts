import { evaluateJsonPath, JsonPathError, renderTemplate } from '../src/services/events/input';

/** The JSONPath subset and InputTemplate filling behind InputPath and InputTransformer. */
describe('target input', () => {
  const event = {
    id: 'e1',
    'detail-type': 'Image Built',
    resources: ['arn:1', 'arn:2'],
    detail: {
      'image-id': 'ami-0',
      findings: [{ id: 'CVE-1' }, { id: 'CVE-2' }],
      'a/b': 1,
      quote: 'say "hi"',
    },
  };

  it.each([
    ['$', event],
    ['$.detail.image-id', 'ami-0'],
    ['$.detail-type', 'Image Built'],
    ['$.resources[1]', 'arn:2'],
    ["$['detail']['a/b']", 1],
    ['$.detail.a/b', 1],
    ['$.detail.findings[*].id', ['CVE-1', 'CVE-2']],
    ['$.resources.*', ['arn:1', 'arn:2']],
    ['$.detail.nothing', undefined],
    ['$.resources[5]', undefined],
  ])('evaluates %s', (path, expected) => {
    expect(evaluateJsonPath(event, path)).toEqual(expected);
  });

  it.each(['detail', '$..detail', '$.detail[', '$[?(@.id)]'])('refuses the path %s', (path) => {
    expect(() => evaluateJsonPath(event, path)).toThrow(JsonPathError);
  });

  const vars = { s: 'ami-0', n: 2, o: { a: 'x', b: [1] }, q: 'say "hi"', nil: null };

  it.each([
    [
      'inserts JSON outside quotes',
      '{"s": <s>, "n": <n>, "o": <o>, "z": <nil>}',
      '{"s": "ami-0", "n": 2, "o": {"a":"x","b":[1]}, "z": null}',
    ],
    ['inserts text inside quotes', '{"m": "<s> has <n>"}', '{"m": "ami-0 has 2"}'],
    ['drops the inner quotes of an object inside quotes', '{"m": "got <o>"}', '{"m": "got {a:x,b:[1]}"}'],
    ['does not escape strings inside quotes, as AWS', '{"m": "<q>"}', '{"m": "say "hi""}'],
    ['gives null for a missing variable outside quotes', '{"m": <missing>}', '{"m": null}'],
    ['gives nothing for a missing variable inside quotes', '{"m": "[<missing>]"}', '{"m": "[]"}'],
    ['keeps escaped quotes of the template', '"<s> is in state \\"<n>\\""', '"ami-0 is in state \\"2\\""'],
    ['inserts plain text into a text template', '<s> is ready', 'ami-0 is ready'],
  ])('%s', (_what, template, expected) => {
    expect(renderTemplate(template, vars).text).toBe(expected);
  });
});
