import { decodeState, encodeState, StateCodecError } from '../src/persistence/codec';

describe('the JSON of saved state', () => {
  it('brings Maps, Sets and Dates back as they were, through JSON text', () => {
    const value = {
      tags: new Map([
        ['family', 'golden'],
        ['tier', 'gold'],
      ]),
      versions: new Map([[1, { labels: new Set(['stable']), at: new Date('2026-03-01T00:00:00.000Z') }]]),
      list: [1, 'two', null, true],
    };

    const back = decodeState(JSON.parse(JSON.stringify(encodeState(value))));

    expect(back).toEqual(value);
    expect((back as typeof value).versions.get(1)?.labels).toBeInstanceOf(Set);
  });

  it('keeps a stored object whose only key looks like a tag an object', () => {
    const value = { attributes: { $map: 'a message attribute named $map' } };

    expect(decodeState(JSON.parse(JSON.stringify(encodeState(value))))).toEqual(value);
  });

  it('leaves out undefined fields and the live handles a service names', () => {
    const encoded = encodeState(
      { a: 1, b: undefined, transition: { cancel: () => undefined } },
      new Set(['transition']),
    );

    expect(encoded).toEqual({ a: 1 });
  });

  it.each([
    ['a function', { run: () => undefined }, '$.run: a function cannot be stored'],
    ['a class instance', { when: new (class Timer {})() }, '$.when: an instance of Timer cannot be stored'],
    ['a number JSON cannot hold', { n: Number.NaN }, '$.n: NaN cannot be stored'],
  ])('refuses %s, naming where it is', (_what, value, message) => {
    expect(() => encodeState(value)).toThrow(
      new StateCodecError(message.split(':')[0]!, message.split(': ')[1]!),
    );
  });

  it('refuses an object that contains itself', () => {
    const value: Record<string, unknown> = {};
    value.self = value;
    expect(() => encodeState(value)).toThrow('$.self: refers back to an object that contains it');
  });

  it.each([
    [{ images: { $map: 'not a list' } }, '$.images: $map must be a list of [key, value] pairs'],
    [{ images: { $map: [['only a key']] } }, '$.images[0]: a $map entry must be a [key, value] pair'],
    [{ ids: { $set: {} } }, '$.ids: $set must be a list'],
    [{ at: { $date: 'yesterday' } }, '$.at: $date must be an ISO time'],
  ])('refuses a damaged tag in %j, naming its path', (saved, message) => {
    expect(() => decodeState(saved)).toThrow(message);
  });
});
