/**
 * Independent implementations ("oracles") the codec tests check our output against, and the code
 * that makes sure they are installed.
 *
 * Every oracle is a Debian package. `ensureOracles()` (call it in `beforeAll`) checks each one; a
 * missing one is installed with `apt-get install -y --no-install-recommends <packages>` when we are
 * root and apt-get exists (running `apt-get update` once and retrying if the install fails, e.g. for
 * lack of package lists); otherwise it throws an Error naming exactly what to install. Tests are
 * never skipped silently. Installs are serialized across parallel test files with flock(1) and
 * dpkg's lock timeout.
 *
 * The Python oracles run under Debian's own interpreter, `/usr/bin/python3`, because that is the one
 * that sees Debian's `python3-*` packages (a pyenv or venv `python3` earlier on PATH does not).
 *
 * Oracles:
 * - gzip(1) (package `gzip`): `gzip -dc`, `gzip -c`.
 * - unzip(1) (package `unzip`): `unzip -p`, `unzip -tq`.
 * - Python's `zipfile` (package `python3`).
 * - python-snappy (package `python3-snappy`, 0.5.3 in Debian 12): `snappy.StreamDecompressor` /
 *   `StreamCompressor` (framing format) and `snappy.hadoop_snappy` (Hadoop block format), on top of
 *   Google's C++ libsnappy. Debian 12's build has a bug: its C `_crc32c` raises
 *   `SystemError: PY_SSIZE_T_CLEAN macro must be defined for '#' formats` on Python ≥ 3.10, which
 *   breaks every framing-format data chunk. The scripts below therefore replace python-snappy's
 *   `_masked_crc32c` with one built on crcmod's predefined `crc-32c` (package `python3-crcmod`, a C
 *   extension): python-snappy's framing parser, libsnappy and crcmod stay independent of our code.
 */
import { spawnSync } from 'node:child_process';
import { aptInstall } from '../support/aptInstall.js';

/** Debian's interpreter, which sees the packages in /usr/lib/python3/dist-packages. */
export const PYTHON = '/usr/bin/python3';

export interface Oracle {
  /** What the oracle is, for messages. */
  readonly name: string;
  /** The Debian package(s) that provide it. */
  readonly packages: readonly string[];
  /** Whether it is usable right now. */
  readonly present: () => boolean;
}

const succeeds = (command: string, args: readonly string[]): boolean => {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.error === undefined && result.status === 0;
};
const pythonImports = (modules: string): boolean => succeeds(PYTHON, ['-c', `import ${modules}`]);

export const GZIP: Oracle = { name: 'gzip(1)', packages: ['gzip'], present: () => succeeds('gzip', ['--version']) };
export const UNZIP: Oracle = { name: 'unzip(1)', packages: ['unzip'], present: () => succeeds('unzip', ['-v']) };
export const PYTHON_ZIPFILE: Oracle = {
  name: `Python's zipfile (${PYTHON})`,
  packages: ['python3'],
  present: () => pythonImports('zipfile'),
};
export const PYTHON_SNAPPY: Oracle = {
  name: `python-snappy with crcmod (${PYTHON})`,
  packages: ['python3-snappy', 'python3-crcmod'],
  present: () => pythonImports('snappy, snappy.hadoop_snappy, crcmod.predefined'),
};

/**
 * Makes sure every oracle is usable, installing missing ones with apt-get when possible, and throws
 * an Error saying exactly what to install otherwise.
 */
export function ensureOracles(...oracles: readonly Oracle[]): void {
  const missing = oracles.filter((oracle) => !oracle.present());
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((oracle) => oracle.packages))];
  const failure = aptInstall(packages);
  const still = missing.filter((oracle) => !oracle.present());
  if (still.length === 0) return;
  throw new Error(
    `The codec tests need these independent implementations to check against: ${still.map((o) => o.name).join(', ')}.\n` +
      `Install the Debian package(s): apt-get install -y --no-install-recommends ${packages.join(' ')}\n` +
      `(Automatic install ${failure === undefined ? 'ran, but they are still missing' : `was not possible: ${failure}`})`,
  );
}

/** Runs a command with `input` on stdin and returns its stdout; throws with its stderr on failure. */
export function run(command: string, args: readonly string[], input?: Uint8Array): Buffer {
  const result = spawnSync(command, args, {
    input: input ?? new Uint8Array(0),
    maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error !== undefined || result.status !== 0) {
    const stderr = result.stderr?.toString('utf8') ?? '';
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${stderr.slice(-4000)}`,
    );
  }
  return result.stdout;
}

/** Runs a Python script under Debian's interpreter with `input` on stdin; returns its stdout. */
export function python(script: string, input?: Uint8Array): Buffer {
  return run(PYTHON, ['-c', script], input);
}

/**
 * Python prelude: imports python-snappy and swaps its broken C CRC-32C (see above) for crcmod's.
 * Defines `snappy`, `hadoop` (snappy.hadoop_snappy), `crc32c`, `stdin` and `stdout` (binary).
 */
export const SNAPPY_PRELUDE = `
import sys, crcmod.predefined, snappy, snappy.snappy, snappy.hadoop_snappy as hadoop
crc32c = crcmod.predefined.mkCrcFun('crc-32c')
def _masked_crc32c(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff
snappy.snappy._masked_crc32c = _masked_crc32c
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
def feed(decompressor, data, piece=65536):
    # python-snappy's decompressors re-slice their whole buffer per chunk; feeding pieces keeps it linear.
    out = [decompressor.decompress(data[i:i + piece]) for i in range(0, len(data), piece)]
    decompressor.flush()  # raises if bytes are left over (truncated input)
    return b''.join(out)
`;
