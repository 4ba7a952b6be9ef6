import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * A minimal Debian with cloud-init, as a disk image a real boot starts from: the base image of
 * the boot test. Built once from the machine's Debian packages (mmdebstrap, in a user namespace:
 * nothing is mounted on the host) and written to an ext4 disk image without mounting (mke2fs -d).
 */
export interface GuestBase {
  /** The root file system (raw ext4, sparse): copied for each instance, never booted itself. */
  disk: string;
  kernel: string;
  initrd: string;
}

const SUITE = 'bookworm';

/** What the base has: a kernel, systemd, cloud-init with a DHCP client, curl, and an SSH server (host keys). */
const PACKAGES = [
  'systemd-sysv',
  'udev',
  'linux-image-amd64',
  'initramfs-tools',
  'cloud-init',
  'ifupdown',
  'isc-dhcp-client',
  'curl',
  'openssh-server',
  'procps',
];

/**
 * cloud-init reads its instance from the NoCloud seed in the root file system
 * (/var/lib/cloud/seed/nocloud), as EC2's datasource reads the instance metadata service. Each
 * new instance gets an Ed25519 host key only: an RSA key takes seconds of emulated CPU.
 */
const CLOUD_CFG = 'datasource_list: [ NoCloud, None ]\nssh_genkeytypes: [ ed25519 ]\n';

/** The tools a real boot needs, with the Debian package of each. */
const TOOLS: readonly (readonly [string, string])[] = [
  ['mmdebstrap', 'mmdebstrap'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['mke2fs', 'e2fsprogs'],
  ['debugfs', 'e2fsprogs'],
];

/** The PATH the tools are looked up in: the caller's, and the system folders e2fsprogs installs to. */
const TOOL_PATH = [...(process.env.PATH ?? '').split(':').filter((dir) => dir !== ''), '/usr/sbin', '/sbin'];

const onPath = (tool: string) => TOOL_PATH.some((dir) => existsSync(join(dir, tool)));

/** The missing tools, each with how to install it (empty when everything is there). */
export function missingTools(): string[] {
  return TOOLS.filter(([tool]) => !onPath(tool)).map(([tool, pkg]) => `${tool} (apt-get install ${pkg})`);
}

/** Where built bases are kept: outside the clone, reused by every later run. */
function guestCacheDir(): string {
  return process.env.AMIBAKE_BOOT_CACHE ?? join(homedir(), '.cache', 'amibake', 'boot');
}

/** Runs a tool to its end, whatever its exit status: its output and status. */
export function runTool(
  command: string,
  args: readonly string[],
  input?: string,
): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(command, args, {
    env: { ...process.env, PATH: TOOL_PATH.join(':') },
    encoding: 'utf-8',
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Runs a command; throws with its output when it fails. */
export function run(command: string, args: readonly string[], options: { input?: string } = {}): string {
  const result = runTool(command, args, options.input);
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${output}`);
  }
  return result.stdout;
}

/**
 * The base, built now if the cache lacks it (about two minutes here: packages from Debian's
 * mirror). The cache key covers everything the base is made of.
 */
export function ensureGuestBase(say: (line: string) => void = () => {}): GuestBase {
  const key = createHash('sha256')
    .update(JSON.stringify({ SUITE, PACKAGES, CLOUD_CFG, layout: 1 }))
    .digest('hex')
    .slice(0, 16);
  const dir = join(guestCacheDir(), key);
  const base = { disk: join(dir, 'base.img'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
  if (existsSync(base.disk) && existsSync(base.kernel) && existsSync(base.initrd)) return base;

  const missing = missingTools();
  if (missing.length > 0) throw new Error(`a real boot needs: ${missing.join(', ')}`);
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  try {
    say(`building the guest base (Debian ${SUITE} with cloud-init) into ${dir}`);
    const tarball = join(building, 'rootfs.tar');
    run('mmdebstrap', [
      '--mode=unshare',
      '--variant=minbase',
      `--include=${PACKAGES.join(',')}`,
      SUITE,
      tarball,
    ]);
    const root = join(building, 'root');
    mkdirSync(root);
    run('tar', ['-xf', tarball, '-C', root]);
    rmSync(tarball);
    writeFileSync(join(root, 'etc/cloud/cloud.cfg.d/90-amibake-boot-test.cfg'), CLOUD_CFG);
    const boot = readdirSync(join(root, 'boot'));
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (!kernel || !initrd)
      throw new Error(`the guest root has no kernel or initrd in /boot: ${boot.join(', ')}`);
    copyFileSync(join(root, 'boot', kernel), join(building, 'vmlinuz'));
    copyFileSync(join(root, 'boot', initrd), join(building, 'initrd.img'));
    run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'rootfs', '-d', root, join(building, 'base.img'), '3G']);
    rmSync(root, { recursive: true, force: true });
    if (!existsSync(base.disk)) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
    }
    // Bases of an earlier make-up are not booted again: about a gigabyte each.
    for (const other of readdirSync(guestCacheDir())) {
      if (other !== key && !other.includes('.building-')) {
        rmSync(join(guestCacheDir(), other), { recursive: true, force: true });
      }
    }
    return base;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}
