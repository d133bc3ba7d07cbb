/**
 * Keeping database passwords out of every output (docs/architecture.md, "Output conventions").
 */

/** A URL's scheme and user info (to the last `@` before the path, as pg reads it). */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/**
 * A target with no scheme but an `@` (`u:pw@host/db`): no URL, but its password must still never
 * show. Only for a target without spaces (a libpq keyword string has its own rule).
 */
const BARE_USERINFO = /^()([^/?#\s]*)@/;

function userinfoPattern(target: string): RegExp | undefined {
  if (URL_USERINFO.test(target)) return URL_USERINFO;
  return /\s/.test(target) ? undefined : BARE_USERINFO;
}

/**
 * The query parameters that carry secrets in the URLs the tool is given (a database's `password`,
 * a Prometheus or Tasker behind a gateway that takes `?api_key=`, `?access_token=`, a signed URL's
 * `sig`), matched case-insensitively: their values are never printed.
 */
export const SECRET_PARAMS = ['password', 'token', 'access_token', 'api_key', 'apikey', 'key', 'secret', 'sig', 'signature'] as const;

const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#]*`, 'gi');

/** The values of the secret-carrying query parameters of a URL (for {@link scrub}). */
export function secretParamsOf(target: string): string[] {
  const out: string[] = [];
  for (const m of target.matchAll(new RegExp(`[?&](?:${SECRET_PARAMS.join('|')})=([^&#]*)`, 'gi'))) {
    if (!m[1]) continue;
    out.push(m[1]);
    try {
      out.push(decodeURIComponent(m[1].replace(/\+/g, ' ')));
    } catch {
      // Malformed escapes: the raw value is enough.
    }
  }
  return out;
}

/**
 * Remove the password from a connection target (the user info runs to the last `@` before the
 * host, as pg reads it, so a password holding an unencoded `@` goes whole): URL userinfo (`postgres://u:pw@h/db` ->
 * `postgres://u@h/db`), the values of the query parameters that carry secrets ({@link SECRET_PARAMS}),
 * or a libpq `password=...` keyword.
 */
export function redactUrl(target: string): string {
  const re = userinfoPattern(target);
  let s = !re
    ? target
    : target.replace(re, (_m, scheme: string, userinfo: string) => {
        const colon = userinfo.indexOf(':');
        return `${scheme}${colon >= 0 ? userinfo.slice(0, colon) : userinfo}@`;
      });
  s = s.replace(SECRET_QUERY, '$1***');
  s = s.replace(/(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/gi, '$1password=***');
  return s;
}

/** The password a connection target carries, if any (for {@link scrub}). */
export function passwordOf(target: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:([^/?#]*)@/i.exec(target) ?? (/\s/.test(target) ? null : /^[^:@/?#]*:([^/?#]*)@/.exec(target));
  if (m && m[1]) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return m[1];
    }
  }
  const q = /[?&]password=([^&#]*)/i.exec(target);
  if (q && q[1]) return decodeURIComponent(q[1]);
  const kw = /(?:^|\s)password\s*=\s*'?([^'\s]+)/i.exec(target);
  return kw?.[1];
}

/**
 * Remove the given passwords from a text. The last line of defence: applied to everything the
 * CLI writes, so a password that slipped into a driver's message never reaches the terminal.
 * A password is always removed where it stands as one (`user:PW@`, `password=PW`); anywhere else
 * only when it is long enough (8+ characters) not to be an ordinary word of the output too
 * (Tasker's test password is `tasker`, which is also its user, database and project name).
 */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) {
      out = out.split(`:${form}@`).join('@');
      out = out.split(`password=${form}`).join('password=***');
      // A secret query parameter's value, however short, where it stands as one (`?api_key=abc`).
      out = out.replace(new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)${form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[&#\\s'"])`, 'gi'), '$1***');
      if (s.length >= 8) out = out.split(form).join('***');
    }
  }
  return out;
}
