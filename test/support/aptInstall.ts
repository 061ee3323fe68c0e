import { spawnSync } from 'node:child_process';

const succeeds = (command: string, args: readonly string[]): boolean => {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.error === undefined && result.status === 0;
};

let updated = false;

/**
 * Installs Debian packages for tests with apt-get, when running as root where apt-get exists. Every
 * apt-get of the test suite takes one lock file (flock(1), essential on Debian), and waits for dpkg's own
 * lock too, so test files running in parallel never race for apt's locks. Runs `apt-get update` once and
 * retries when the install fails (for lack of package lists). Returns undefined on success, or why it failed.
 */
export function aptInstall(packages: readonly string[]): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  if (!succeeds('apt-get', ['--version'])) return 'apt-get is not available';
  // flock(1) (util-linux, essential on Debian) keeps parallel test files from racing for apt's locks.
  const locked = succeeds('flock', ['--version']);
  const apt = (args: readonly string[]) => {
    const argv = ['apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args];
    const [command, ...rest] = locked ? ['flock', '/tmp/rx-firehose-apt.lock', ...argv] : argv;
    return spawnSync(command!, rest, {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  };
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  let result = apt(install);
  if (result.status !== 0 && !updated) {
    updated = true;
    apt(['update']);
    result = apt(install);
  }
  if (result.status === 0) return undefined;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  return `apt-get install failed (exit ${result.status}):\n${output.slice(-2000)}`;
}
