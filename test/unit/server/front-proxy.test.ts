import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userFromFrontProxyHeaders } from '../../../src/server/auth/front-proxy.ts';
import type { FrontProxySettings } from '../../../src/server/auth/types.ts';

const settings: FrontProxySettings = {
  caPem: '', allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User'], uidHeaders: ['X-Remote-Uid'],
  groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'],
};

describe('users forwarded by the front proxy', () => {
  it('keeps repeated group headers apart and decodes extra keys', () => {
    const user = userFromFrontProxyHeaders({
      'x-remote-user': ['alice'], 'x-remote-uid': ['uid-alice'], 'x-remote-group': ['dev', 'system:authenticated'],
      'x-remote-extra-scopes': ['a', 'b'], 'x-remote-extra-example.com%2fteam': ['payments'], 'user-agent': ['kubectl'],
    }, settings);
    assert.deepEqual(user, { username: 'alice', uid: 'uid-alice', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a', 'b'], 'example.com/team': ['payments'] } });
  });

  it('keeps extra keys that are not valid percent-encoding as sent, and keys named like prototype properties as keys', () => {
    const user = userFromFrontProxyHeaders({
      'x-remote-user': ['alice'], 'x-remote-extra-100%': ['x'], 'x-remote-extra-%zz%2f': ['y'], 'x-remote-extra-__proto__': ['z'],
      'x-remote-extra-constructor': ['c'],
    }, settings);
    assert.ok(user);
    assert.deepEqual(Object.keys(user.extra).sort(), ['%zz%2f', '100%', '__proto__', 'constructor']);
    assert.deepEqual(user.extra['__proto__'], ['z']);
    assert.equal(Object.getPrototypeOf(user.extra), Object.prototype);
    assert.deepEqual(user.extra['100%'], ['x']);
  });

  it('has no user without the username header', () => {
    assert.equal(userFromFrontProxyHeaders({ 'x-remote-group': ['dev'] }, settings), null);
  });
});
