// The capture suite once more with the server on a real PostgreSQL, inside the one node:test run of `make test`
// (the harness reads LOGISTIS_TEST_STORE when it is first imported, hence the dynamic import).
process.env['LOGISTIS_TEST_STORE'] = 'postgres';
await import('./capture.test.ts');
