/**
 * The server side of SASL DIGEST-MD5 (RFC 2831, qop=auth), as ZooKeeper's SASL provider runs it
 * with its JAAS `user_<name>="<password>"` list: a challenge, the client's digest checked, the
 * server's rspauth sent back. Pure: the nonce comes from the caller.
 */
import { md5 } from '../util/md5.js';

/** ZooKeeper's realm and service for DIGEST-MD5 (its server name is "zk-sasl-md5"). */
export const DIGEST_REALM = 'zk-sasl-md5';

/** Parses `key=value,key="quoted \\" value",...`. */
export function parseDirectives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ',' || text[i] === ' ')) i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const key = text.substring(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      i++;
    } else {
      const end = text.indexOf(',', i);
      value = text.substring(i, end < 0 ? text.length : end).trim();
      i = end < 0 ? text.length : end;
    }
    out.set(key, value);
  }
  return out;
}

const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

/** The response value (and, with `forServer`, the rspauth value) for one exchange. */
export function digestResponse(p: {
  username: string; realm: string; password: string; nonce: string; cnonce: string; nc: string;
  qop: string; digestUri: string; authzid?: string; forServer?: boolean;
}): string {
  const inner = md5(Buffer.from(`${p.username}:${p.realm}:${p.password}`, 'utf8'));
  const tail = `:${p.nonce}:${p.cnonce}` + (p.authzid !== undefined && p.authzid !== '' ? `:${p.authzid}` : '');
  const a1 = Buffer.concat([inner, Buffer.from(tail, 'utf8')]);
  const a2 = `${p.forServer ? '' : 'AUTHENTICATE'}:${p.digestUri}`;
  return hex(md5(Buffer.from(`${hex(md5(a1))}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${hex(md5(Buffer.from(a2, 'utf8')))}`, 'utf8')));
}

export type SaslStep =
  | { readonly kind: 'challenge'; readonly token: Buffer }
  | { readonly kind: 'success'; readonly token: Buffer; readonly authorizationId: string }
  | { readonly kind: 'failure'; readonly reason: string };

/** One connection's DIGEST-MD5 exchange. */
export class DigestMd5Server {
  private stage: 'start' | 'sent-challenge' | 'done' = 'start';
  private authorizationId: string | undefined;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly nonce: string,
  ) {}

  /** The client's next token; returns what to answer. */
  step(token: Buffer): SaslStep {
    if (this.stage === 'start') {
      this.stage = 'sent-challenge';
      const challenge = `realm="${DIGEST_REALM}",nonce="${this.nonce}",qop="auth",charset=utf-8,algorithm=md5-sess`;
      return { kind: 'challenge', token: Buffer.from(challenge, 'utf8') };
    }
    if (this.stage === 'done') {
      // Some clients send one more (empty) token after checking rspauth: nothing left to do.
      return this.authorizationId === undefined ? { kind: 'failure', reason: 'exchange failed' } : { kind: 'success', token: Buffer.alloc(0), authorizationId: this.authorizationId };
    }
    this.stage = 'done';
    const d = parseDirectives(token.toString('utf8'));
    const username = d.get('username') ?? '';
    const password = this.users.get(username);
    if (password === undefined) return { kind: 'failure', reason: `unknown user ${username}` };
    if (d.get('nonce') !== this.nonce) return { kind: 'failure', reason: 'nonce mismatch' };
    const qop = d.get('qop') ?? 'auth';
    if (qop !== 'auth') return { kind: 'failure', reason: `unsupported qop ${qop}` };
    const params = {
      username, realm: d.get('realm') ?? DIGEST_REALM, password, nonce: this.nonce, cnonce: d.get('cnonce') ?? '',
      nc: d.get('nc') ?? '', qop, digestUri: d.get('digest-uri') ?? '', ...(d.has('authzid') ? { authzid: d.get('authzid')! } : {}),
    };
    if (digestResponse(params) !== (d.get('response') ?? '').toLowerCase()) return { kind: 'failure', reason: 'wrong password' };
    const authorizationId = params.authzid ?? username;
    this.authorizationId = authorizationId;
    return { kind: 'success', token: Buffer.from(`rspauth=${digestResponse({ ...params, forServer: true })}`, 'utf8'), authorizationId };
  }
}

/** The users of a JAAS file's `Server { ... user_<name>="<password>" ...; }` section. */
export function jaasServerUsers(text: string): Map<string, string> {
  const users = new Map<string, string>();
  const section = /Server\s*\{([\s\S]*?)\};/.exec(text);
  if (section === null) return users;
  for (const match of section[1]!.matchAll(/user_([^\s=]+)\s*=\s*"([^"]*)"/g)) users.set(match[1]!, match[2]!);
  return users;
}
