// Test PKI made with the openssl CLI: certificate authorities, serving certificates (SAN with IP 127.0.0.1,
// DNS localhost and any service names) and client certificates (e.g. the aggregation layer's front-proxy
// client). Keys are ECDSA P-256: quick to generate, accepted by Go (kube-apiserver) and Node.js alike.
// Every function writes PEM files into a directory and returns both the paths and the PEM text.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env.OPENSSL ?? 'openssl';

export interface CertFiles {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends CertFiles {
  commonName: string;
}

export interface CaOptions {
  /** File name stem: writes `<name>.crt` and `<name>.key`. */
  name: string;
  commonName?: string;
  days?: number;
}

export interface ServingCertOptions {
  name: string;
  commonName?: string;
  /** Extra DNS names, e.g. `logistis.logistis-system.svc`. `localhost` is always included. */
  dnsNames?: string[];
  /** Extra IP addresses. `127.0.0.1` is always included. */
  ipAddresses?: string[];
  days?: number;
}

export interface ClientCertOptions {
  name: string;
  /** The user name Kubernetes reads from the certificate, e.g. `front-proxy-client`. */
  commonName: string;
  /** Organisations; Kubernetes reads them as groups. */
  organizations?: string[];
  /** More CN attributes after the first (a malformed subject, for tests of how it is read). */
  additionalCommonNames?: string[];
  days?: number;
}

// Values go into an openssl config file; keep them to characters that need no quoting there.
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9 .:_@*-]*$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function check(kind: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new Error(`certs: ${kind} ${JSON.stringify(value)} has characters this helper does not accept (${pattern})`);
  return value;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run(OPENSSL, args, { maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`certs: openssl ${args[0] ?? ''} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

async function generateKey(keyPath: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
}

function configFile(subject: Record<string, string[]>, extensions: string[]): string {
  const dn: string[] = [];
  for (const [field, values] of Object.entries(subject)) {
    values.forEach((v, i) => dn.push(`${i}.${field} = ${check(field, v, SAFE_VALUE)}`));
  }
  return ['[req]', 'distinguished_name = dn', 'prompt = no', 'utf8 = yes', '', '[dn]', ...dn, '', '[ext]', ...extensions, ''].join('\n');
}

async function loadPair(certPath: string, keyPath: string): Promise<CertFiles> {
  const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { certPath, keyPath, certPem, keyPem };
}

/** A self-signed certificate authority. */
export async function createCa(dir: string, opts: CaOptions): Promise<CertificateAuthority> {
  const name = check('name', opts.name, SAFE_NAME);
  const commonName = opts.commonName ?? `${name}-ca`;
  await mkdir(dir, { recursive: true });
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const cnf = join(dir, `${name}.cnf`);
  await writeFile(cnf, configFile({ CN: [commonName] }, [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
    'subjectKeyIdentifier = hash',
  ]));
  await generateKey(keyPath);
  await openssl(['req', '-x509', '-new', '-key', keyPath, '-config', cnf, '-extensions', 'ext', '-sha256',
    '-days', String(opts.days ?? 3650), '-out', certPath]);
  await rm(cnf, { force: true });
  return { ...(await loadPair(certPath, keyPath)), commonName };
}

async function issue(dir: string, ca: CertificateAuthority, name: string, subject: Record<string, string[]>,
  extensions: string[], days: number, basicConstraints = 'critical, CA:FALSE'): Promise<CertFiles> {
  check('name', name, SAFE_NAME);
  await mkdir(dir, { recursive: true });
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const cnf = join(dir, `${name}.cnf`);
  const csr = join(dir, `${name}.csr`);
  await writeFile(cnf, configFile(subject, [
    `basicConstraints = ${basicConstraints}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    ...extensions,
  ]));
  await generateKey(keyPath);
  await openssl(['req', '-new', '-key', keyPath, '-config', cnf, '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^./, '1')}`, '-sha256', '-days', String(days),
    '-extfile', cnf, '-extensions', 'ext', '-out', certPath]);
  await Promise.all([rm(cnf, { force: true }), rm(csr, { force: true })]);
  return loadPair(certPath, keyPath);
}

/** An intermediate certificate authority signed by `parent`; its certificate file holds only its own certificate. */
export async function createIntermediateCa(dir: string, parent: CertificateAuthority, opts: CaOptions): Promise<CertificateAuthority> {
  const commonName = opts.commonName ?? `${opts.name}-ca`;
  const files = await issue(dir, parent, opts.name, { CN: [commonName] }, [
    'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
  ], opts.days ?? 825, 'critical, CA:TRUE, pathlen:0');
  return { ...files, commonName };
}

/** A TLS server certificate signed by `ca`, valid for 127.0.0.1, localhost and the given names. */
export async function createServingCert(dir: string, ca: CertificateAuthority, opts: ServingCertOptions): Promise<CertFiles> {
  const dns = [...new Set(['localhost', ...(opts.dnsNames ?? [])])].map((d) => check('DNS name', d, SAFE_VALUE));
  const ips = [...new Set(['127.0.0.1', ...(opts.ipAddresses ?? [])])].map((ip) => check('IP address', ip, SAFE_VALUE));
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(', ');
  return issue(dir, ca, opts.name, { CN: [opts.commonName ?? dns[dns.length > 1 ? 1 : 0] ?? 'localhost'] }, [
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${san}`,
  ], opts.days ?? 825);
}

/** A TLS client certificate signed by `ca`: CN is the user name, O the groups. */
export async function createClientCert(dir: string, ca: CertificateAuthority, opts: ClientCertOptions): Promise<CertFiles> {
  const subject: Record<string, string[]> = { CN: [opts.commonName, ...(opts.additionalCommonNames ?? [])] };
  if (opts.organizations?.length) subject.O = opts.organizations;
  return issue(dir, ca, opts.name, subject, [
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = clientAuth',
  ], opts.days ?? 825);
}
