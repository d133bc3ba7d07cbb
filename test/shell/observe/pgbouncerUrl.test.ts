/** `--pgbouncer-url` is checked before any connection: one UsageError (exit 2), no password in it. */
import { describe, expect, it } from 'vitest';
import { parsePgBouncerUrl } from '../../../src/shell/observe/pgbouncer.js';
import { UsageError } from '../../../src/core/errors.js';

const refused = (v: string): UsageError => {
  try {
    parsePgBouncerUrl(v);
  } catch (e) {
    return e as UsageError;
  }
  throw new Error(`${v} was accepted`);
};

describe('parsePgBouncerUrl', () => {
  it('accepts the console database and keeps the password out of the display', () => {
    expect(parsePgBouncerUrl('postgresql://stats:s3cret@bouncer:6432/pgbouncer')).toEqual({ url: 'postgresql://stats:s3cret@bouncer:6432/pgbouncer', display: 'postgresql://stats@bouncer:6432/pgbouncer' });
  });

  it('refuses a non-URL, another scheme, another database, and a malformed escape in the path, each as a usage error without the password', () => {
    for (const [v, says] of [
      ['not a url', 'not a URL'],
      ['http://stats:s3cret@bouncer:6432/pgbouncer', 'not a postgresql:// URL'],
      ['postgresql://stats:s3cret@bouncer:6432/app', "the admin console is the database 'pgbouncer', not 'app'"],
      ['postgresql://stats:s3cret@bouncer:6432/%E0', "the admin console is the database 'pgbouncer', not '%E0'"],
    ] as const) {
      const e = refused(v);
      expect(e, v).toBeInstanceOf(UsageError);
      expect(e.message).toContain(says);
      expect(e.message).not.toContain('s3cret');
    }
  });
});
