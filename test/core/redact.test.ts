import { describe, expect, it } from 'vitest';
import { passwordOf, redactUrl, scrub } from '../../src/core/redact.js';

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
