import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, resolveServeConfig } from '../../../src/config/serve-config.ts';
import { parseDuration, parseSize, parseTimeOrAgo } from '../../../src/config/units.ts';

const TLS = { tlsCertFile: 'c.pem', tlsKeyFile: 'k.pem' };

describe('units', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('2h30m'), 9_000_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    for (const bad of ['', '10', 'h', '3 days', '-1h']) assert.equal(parseDuration(bad), null, bad);
  });
  it('parses sizes', () => {
    assert.equal(parseSize('3MiB'), 3 * 1024 * 1024);
    assert.equal(parseSize('512k'), 512_000);
    assert.equal(parseSize('1048576'), 1_048_576);
    for (const bad of ['', 'MiB', '3 parsecs', '-1']) assert.equal(parseSize(bad), null, bad);
  });
  it('parses points in time, absolute or ago', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    assert.equal(parseTimeOrAgo('2h', now), Date.parse('2026-11-26T10:00:00Z'));
    assert.equal(parseTimeOrAgo('2026-11-25T00:00:00Z', now), Date.parse('2026-11-25T00:00:00Z'));
    assert.equal(parseTimeOrAgo('2026-11-25T01:00:00+01:00', now), Date.parse('2026-11-25T00:00:00Z'));
    for (const bad of ['yesterday', '2026-11-25', '2026-13-45T99:00:00Z']) assert.equal(parseTimeOrAgo(bad, now), null, bad);
  });
});

describe('serve settings', () => {
  it('has sensible defaults', () => {
    const config = resolveServeConfig(TLS, {});
    assert.equal(config.listenHost, '0.0.0.0');
    assert.equal(config.listenPort, 8443);
    assert.equal(config.store, 'sqlite:./data/events.db');
    assert.equal(config.redactionKeyFile, './data/events.db.redaction-key');
    assert.equal(config.maxEventsPerObject, 100);
    assert.equal(config.maxAgeMs, 30 * 86_400_000);
    assert.equal(config.maxBodyBytes, 8 * 1024 * 1024);
    assert.equal(config.auth, 'kubernetes');
    assert.deepEqual(config.normalise, { dropManagedFields: true, dropResourceVersion: true, dropGeneration: true, dropStatus: true });
  });

  it('reads the capture caller, metrics and connection settings from flags, environment and YAML', () => {
    const defaults = resolveServeConfig(TLS, {});
    assert.equal(defaults.captureClientCaFile, '');
    assert.deepEqual(defaults.captureAllowedNames, []);
    assert.equal(defaults.metricsListenPort, 0);
    assert.deepEqual(defaults.limits, { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, connectionTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000, maxRequestsPerSocket: 1000, maxConnections: 2048 });
    const dir = mkdtempSync(join(tmpdir(), 'logistis-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'captureClientCaFile: /etc/ca.crt\nmaxConnections: 10\n');
    const config = resolveServeConfig({ ...TLS, config: file, captureAllowedNames: 'a, b', requestTimeout: '5s' }, { LOGISTIS_METRICS_LISTEN: '127.0.0.1:9090', LOGISTIS_HEADERS_TIMEOUT: '2s' });
    assert.equal(config.captureClientCaFile, '/etc/ca.crt');
    assert.deepEqual(config.captureAllowedNames, ['a', 'b']);
    assert.equal(config.metricsListenPort, 9090);
    assert.equal(config.limits.maxConnections, 10);
    assert.equal(config.limits.requestTimeoutMs, 5000);
    assert.equal(config.limits.headersTimeoutMs, 2000);
    assert.throws(() => resolveServeConfig({ ...TLS, captureAllowedNames: 'a' }, {}), /--capture-allowed-names: needs --capture-client-ca-file/);
    assert.throws(() => resolveServeConfig({ ...TLS, headersTimeout: '1m', requestTimeout: '10s' }, {}), /--headers-timeout: must not be longer/);
  });

  it('reads the capture listener, live-stream caps and shutdown grace', () => {
    const defaults = resolveServeConfig(TLS, {});
    assert.equal(defaults.captureListenPort, 0, 'no capture listener unless asked');
    assert.equal(defaults.captureLimits.maxConnections, 1024);
    assert.deepEqual(defaults.liveStreams, { perServer: 256, perUser: 8 });
    assert.equal(defaults.shutdownGraceMs, 3000);
    const config = resolveServeConfig({ ...TLS, maxLiveStreams: '40', shutdownGrace: '500ms' }, {
      LOGISTIS_CAPTURE_LISTEN: '0.0.0.0:8444', LOGISTIS_CAPTURE_MAX_CONNECTIONS: '64', LOGISTIS_MAX_LIVE_STREAMS_PER_USER: '4', LOGISTIS_HEADERS_TIMEOUT: '5s',
    });
    assert.equal(config.captureListenHost, '0.0.0.0');
    assert.equal(config.captureListenPort, 8444);
    assert.deepEqual(config.captureLimits, { ...config.limits, maxConnections: 64 }, 'the main timeouts, its own cap');
    assert.equal(config.captureLimits.headersTimeoutMs, 5000);
    assert.deepEqual(config.liveStreams, { perServer: 40, perUser: 4 });
    assert.equal(config.shutdownGraceMs, 500);
    // A small connection cap lowers the default stream caps with it.
    assert.deepEqual(resolveServeConfig({ ...TLS, maxConnections: '10' }, {}).liveStreams, { perServer: 5, perUser: 5 });
  });

  it('reads the reader threads and the read deadline, and refuses bad ones naming the setting', () => {
    assert.deepEqual(resolveServeConfig(TLS, {}).reads, { threads: 2, timeoutMs: 30_000 });
    assert.deepEqual(resolveServeConfig({ ...TLS, readTimeout: '5s' }, { LOGISTIS_READER_THREADS: '4' }).reads, { threads: 4, timeoutMs: 5000 });
    assert.throws(() => resolveServeConfig({ ...TLS, readerThreads: '0' }, {}), /--reader-threads: must be a whole number of at least 1/);
    assert.throws(() => resolveServeConfig({ ...TLS, readTimeout: 'soon' }, {}), /--read-timeout: must be a duration/);
  });

  it('takes flags over environment over the YAML file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'listen: 127.0.0.1:9000\nmaxEventsPerObject: 7\nmaxAge: 2d\nnormalise: managedFields,status\n');
    const fromFile = resolveServeConfig({ ...TLS, config: file }, {});
    assert.equal(fromFile.listenPort, 9000);
    assert.equal(fromFile.maxEventsPerObject, 7);
    assert.equal(fromFile.normalise.dropGeneration, false);
    const fromEnv = resolveServeConfig({ ...TLS, config: file }, { LOGISTIS_MAX_EVENTS_PER_OBJECT: '9', LOGISTIS_LISTEN: '[::1]:9100' });
    assert.equal(fromEnv.maxEventsPerObject, 9);
    assert.equal(fromEnv.listenHost, '::1');
    const fromFlag = resolveServeConfig({ ...TLS, config: file, maxEventsPerObject: '11' }, { LOGISTIS_MAX_EVENTS_PER_OBJECT: '9' });
    assert.equal(fromFlag.maxEventsPerObject, 11);
  });

  it('reads the PostgreSQL connection settings and the store size limit', () => {
    const config = resolveServeConfig({
      ...TLS, store: 'postgres://logistis@db/logistis', redactionKeyFile: '/k', storePoolSize: '3', storePasswordFile: '/run/pw',
      storeTlsCaFile: '/ca.pem', maxStoreBytes: '20GiB',
    }, {});
    assert.deepEqual(config.postgres, { poolSize: 3, passwordFile: '/run/pw', tlsCaFile: '/ca.pem' });
    assert.equal(config.maxStoreBytes, 20 * 1024 ** 3);
    assert.equal(resolveServeConfig({ ...TLS }, {}).maxStoreBytes, 0);
  });

  it('names the setting that is wrong, and where it came from', () => {
    const cases: [Record<string, string>, NodeJS.ProcessEnv, RegExp][] = [
      [{ listen: '8443' }, {}, /^--listen: must be HOST:PORT/],
      [{ listen: 'x:99999' }, {}, /^--listen: must be HOST:PORT/],
      [{ maxEventsPerObject: '0' }, {}, /^--max-events-per-object: must be a whole number/],
      [{}, { LOGISTIS_MAX_AGE: 'forever' }, /^LOGISTIS_MAX_AGE: must be a duration/],
      [{ maxBodyBytes: 'huge' }, {}, /^--max-body-bytes: must be a size/],
      [{ store: 'mysql://x' }, {}, /^--store: must be sqlite:PATH or postgres/],
      [{ auth: 'magic' }, {}, /^--auth: must be kubernetes or none/],
      [{ normalise: 'status,spec' }, {}, /^--normalise: unknown field "spec"/],
      [{ logLevel: 'loud' }, {}, /^--log-level: unknown level/],
      [{ tlsCertFile: '' }, {}, /^--tls-cert-file: required/],
      [{ store: 'postgres://db/logistis' }, {}, /^--redaction-key-file: required with a PostgreSQL store/],
      [{ maxStoreBytes: '10KiB' }, {}, /^--max-store-bytes: must be 0 or a size of at least 1MiB/],
      [{}, { LOGISTIS_STORE_POOL_SIZE: '0' }, /^LOGISTIS_STORE_POOL_SIZE: must be a whole number of at least 1/],
      [{ captureListen: '8444' }, {}, /^--capture-listen: must be HOST:PORT/],
      [{ captureListen: '127.0.0.1:8443' }, {}, /^--capture-listen: must be another port than --listen \(8443\)/],
      [{ maxConnections: '100', maxLiveStreams: '100' }, {}, /^--max-live-streams: must be below --max-connections \(100\)/],
      [{ maxLiveStreams: '4', maxLiveStreamsPerUser: '5' }, {}, /^--max-live-streams-per-user: must not be more than --max-live-streams \(4\)/],
      [{ shutdownGrace: 'soon' }, {}, /^--shutdown-grace: must be a duration/],
    ];
    for (const [flags, env, message] of cases) {
      assert.throws(() => resolveServeConfig({ ...TLS, ...flags }, env), (error: Error) => error instanceof ConfigError && message.test(error.message), JSON.stringify(flags));
    }
  });

  it('rejects an unknown or unreadable config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'lsten: 1.2.3.4:5\n');
    assert.throws(() => resolveServeConfig({ ...TLS, config: file }, {}), /unknown setting "lsten"/);
    assert.throws(() => resolveServeConfig({ ...TLS, config: join(dir, 'missing.yaml') }, {}), /--config: cannot read/);
    writeFileSync(file, 'listen: [1, 2');
    assert.throws(() => resolveServeConfig({ ...TLS, config: file }, {}), /not valid YAML/);
  });
});
