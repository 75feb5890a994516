// Proves the SASL DIGEST-MD5 server: MD5 equals node:crypto, the RFC 2831 example exchange
// verifies (response and rspauth), a wrong password or unknown user fails, and JAAS user lists
// are read as ZooKeeper's DigestLoginModule reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { md5 } from '../../src/util/md5.js';
import { DigestMd5Server, digestResponse, jaasServerUsers, parseDirectives } from '../../src/auth/sasl-digest-md5.js';

test('md5 equals node:crypto for every length up to 200', () => {
  for (let n = 0; n <= 200; n++) {
    const input = randomBytes(n);
    assert.equal(md5(input).toString('hex'), createHash('md5').update(input).digest('hex'));
  }
});

test('the RFC 2831 example verifies', () => {
  const p = { username: 'chris', realm: 'elwood.innosoft.com', password: 'secret', nonce: 'OA6MG9tEQGm2hh', cnonce: 'OA6MHXh6VqTrRk', nc: '00000001', qop: 'auth', digestUri: 'imap/elwood.innosoft.com' };
  assert.equal(digestResponse(p), 'd388dad90d4bbd760a152321f2143af7');
  assert.equal(digestResponse({ ...p, forServer: true }), 'ea40f60335c427b5527b84dbabcdfffd');
});

test('a full exchange succeeds with the right password and fails otherwise', () => {
  const users = new Map([['jaasuser', 'jaas_password']]);
  for (const [password, ok] of [['jaas_password', true], ['wrong', false]] as const) {
    const server = new DigestMd5Server(users, 'n0nce');
    const challenge = server.step(Buffer.alloc(0));
    assert.equal(challenge.kind, 'challenge');
    const c = parseDirectives(challenge.kind === 'challenge' ? challenge.token.toString() : '');
    const response = digestResponse({ username: 'jaasuser', realm: c.get('realm')!, password, nonce: c.get('nonce')!, cnonce: 'abc', nc: '00000001', qop: 'auth', digestUri: 'zookeeper/zk-sasl-md5' });
    const reply = server.step(Buffer.from(`charset=utf-8,username="jaasuser",realm="${c.get('realm')}",nonce="${c.get('nonce')}",nc=00000001,cnonce="abc",digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=${response},qop=auth`));
    assert.equal(reply.kind, ok ? 'success' : 'failure');
    if (reply.kind === 'success') assert.equal(reply.authorizationId, 'jaasuser');
  }
});

test('JAAS Server sections give the user list', () => {
  const users = jaasServerUsers('Client {\n x required;\n};\nServer {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_super="super_secret"\n  user_jaasuser="jaas_password";\n};\n');
  assert.deepEqual([...users], [['super', 'super_secret'], ['jaasuser', 'jaas_password']]);
});
