import { describe, expect, it } from 'vitest';
import { passwordOf, redactUrl, scrub, secretParamsOf } from '../../src/core/redact.js';

describe('redactUrl and passwordOf', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['postgresql://u:pw@h:5432/db', 'postgresql://u@h:5432/db', 'pw'],
    ['postgresql://u@h/db', 'postgresql://u@h/db', undefined],
    ['postgresql://h/db', 'postgresql://h/db', undefined],
    // pg reads the user info up to the last '@' before the host: the whole password must go.
    ['postgresql://u:Secret@Word99@127.0.0.1:1/db', 'postgresql://u@127.0.0.1:1/db', 'Secret@Word99'],
    ['postgresql://u:p%40ss@h/db', 'postgresql://u@h/db', 'p@ss'],
    ['postgresql://h/db?user=u&password=pw2', 'postgresql://h/db?user=u&password=***', 'pw2'],
    ['host=h user=u password=pw3 dbname=d', 'host=h user=u password=*** dbname=d', 'pw3'],
  ];
  for (const [input, redacted, pw] of cases) {
    it(input, () => {
      expect(redactUrl(input)).toBe(redacted);
      expect(passwordOf(input)).toBe(pw);
    });
  }
});

describe('scrub', () => {
  it('removes a password where it stands as one, and a long one anywhere', () => {
    expect(scrub('postgresql://u:tasker@h and tasker', ['tasker'])).toBe('postgresql://u@h and tasker');
    expect(scrub('error near Long-Secret-9 here', ['Long-Secret-9'])).toBe('error near *** here');
  });
});

describe('secret query parameters (issue 29)', () => {
  it.each([
    ['http://prom:9090/?api_key=K1', 'http://prom:9090/?api_key=***'],
    ['https://gw/prom?x=1&access_token=T1&y=2', 'https://gw/prom?x=1&access_token=***&y=2'],
    ['http://h/?token=a&apikey=b&key=c&secret=d&sig=e&signature=f#frag', 'http://h/?token=***&apikey=***&key=***&secret=***&sig=***&signature=***#frag'],
    ['http://h/?API_KEY=a&Signature=b&Password=c', 'http://h/?API_KEY=***&Signature=***&Password=***'],
    ['http://ops:PW@tasker:8080/', 'http://ops@tasker:8080/'],
    // Names that only contain a secret's name are not secrets.
    ['http://h/?monkey=a&keyboard=b', 'http://h/?monkey=a&keyboard=b'],
  ])('%s', (input, redacted) => {
    expect(redactUrl(input)).toBe(redacted);
  });

  it("secretParamsOf gives the values, and scrub removes even a short one where it stands as a parameter's", () => {
    expect(secretParamsOf('http://h/?api_key=abc&x=1&Token=t%2By')).toEqual(['abc', 'abc', 't%2By', 't+y']);
    expect(scrub('GET http://h/?api_key=abc failed; abc', ['abc'])).toBe('GET http://h/?api_key=*** failed; abc');
  });
});
