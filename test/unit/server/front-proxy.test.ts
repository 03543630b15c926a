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

  it('has no user without the username header', () => {
    assert.equal(userFromFrontProxyHeaders({ 'x-remote-group': ['dev'] }, settings), null);
  });
});
