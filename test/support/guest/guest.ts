import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { GuestBase } from './guest-image';
import { run, runTool } from './guest-image';

/**
 * One instance's disk and boot under qemu, with no host mount, loop device or host network
 * change: the disk is a copy of an image file, edited with debugfs; the network is qemu's user
 * mode, where the guest reaches the host's loopback at the gateway, 10.0.2.2.
 */

/** The address at which a guest reaches the host's loopback. */
export const HOST_FROM_GUEST = '10.0.2.2';

const SEED = '/var/lib/cloud/seed/nocloud';

/** A new disk for an instance: a sparse copy of an image's disk. */
export function copyDisk(from: string, to: string): void {
  run('cp', ['--sparse=always', from, to]);
}

/**
 * Writes the instance's NoCloud seed into its disk (debugfs -w, no mount): a new instance id
 * with its user data, as EC2 gives each instance launched from an image.
 */
export function writeSeed(disk: string, instanceId: string, userData: string, scratch: string): void {
  const metaData = `${scratch}.meta-data`;
  const userDataFile = `${scratch}.user-data`;
  writeFileSync(metaData, `instance-id: ${instanceId}\nlocal-hostname: ${instanceId}\n`);
  writeFileSync(userDataFile, userData);
  const commands = [
    'mkdir /var/lib/cloud',
    'mkdir /var/lib/cloud/seed',
    `mkdir ${SEED}`,
    `rm ${SEED}/meta-data`,
    `rm ${SEED}/user-data`,
    `write ${metaData} ${SEED}/meta-data`,
    `write ${userDataFile} ${SEED}/user-data`,
  ];
  run('debugfs', ['-w', '-f', '-', disk], { input: `${commands.join('\n')}\n` });
  // debugfs reports a failed command but exits 0: the seed is read back instead.
  if (readGuestFile(disk, `${SEED}/user-data`) !== userData) {
    throw new Error(`the NoCloud seed could not be written into ${disk}`);
  }
}

/**
 * What one read-only debugfs request prints about a path of the guest's disk, or undefined when
 * the path does not exist (debugfs says so on stderr, and exits 0).
 */
function debugfsRead(disk: string, request: string, path: string): string | undefined {
  const result = runTool('debugfs', ['-R', `${request} ${path}`, disk]);
  if (/File not found by ext2_lookup/.test(result.stderr)) return undefined;
  if (result.status !== 0) throw new Error(`debugfs could not read ${path}: ${result.stderr}`);
  return result.stdout;
}

/** A file of the guest's disk, or undefined when there is none. */
export function readGuestFile(disk: string, path: string): string | undefined {
  return debugfsRead(disk, 'cat', path);
}

export interface GuestEntry {
  name: string;
  /** The inode mode, in octal as debugfs prints it (`100644` a file, `40755` a directory). */
  mode: string;
  size: number;
}

/** The entries of a directory of the guest's disk, or undefined when it does not exist. */
export function listGuestDir(disk: string, path: string): GuestEntry[] | undefined {
  return debugfsRead(disk, 'ls -p', path)
    ?.split('\n')
    .map((line) => line.split('/'))
    .filter((f) => f.length >= 7 && f[5] !== '.' && f[5] !== '..')
    .map((f) => ({ name: f[5] ?? '', mode: f[2] ?? '', size: Number(f[6] || 0) }));
}

export interface Boot {
  /** The guest powered itself off (rather than being killed at the time limit). */
  poweredOff: boolean;
  /** From the start of qemu to its exit. */
  seconds: number;
  /** What the guest wrote to its serial console. */
  console: string;
}

/**
 * Boots a disk under qemu until the guest powers off, or kills it after `timeoutMs`. The serial
 * console is kept, as EC2 keeps it. Software emulation unless AMIBAKE_BOOT_ACCEL says otherwise
 * (`kvm`): a /dev/kvm that exists is not always one that works (here a KVM guest never starts).
 */
export function bootGuest(
  base: GuestBase,
  disk: string,
  consoleFile: string,
  timeoutMs: number,
): Promise<Boot> {
  const accel = process.env.AMIBAKE_BOOT_ACCEL ?? 'tcg';
  const args = [
    '-machine',
    `q35,accel=${accel}`,
    '-m',
    '1024',
    '-smp',
    '1',
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    base.kernel,
    '-initrd',
    base.initrd,
    '-append',
    // No speculative-execution mitigations: they cost emulated CPU and guard nothing here.
    'console=ttyS0 root=/dev/vda rw net.ifnames=0 quiet mitigations=off',
    '-drive',
    `file=${disk},format=raw,if=virtio`,
    '-netdev',
    'user,id=net0',
    '-device',
    'virtio-net-pci,netdev=net0',
    '-device',
    'virtio-rng-pci',
    '-serial',
    `file:${consoleFile}`,
  ];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const stop = () => child.kill('SIGKILL');
    process.once('exit', stop);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`qemu-system-x86_64 could not start: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', stop);
      const console = existsSync(consoleFile) ? readFileSync(consoleFile, 'utf-8') : '';
      if (!killed && code !== 0) {
        reject(new Error(`qemu-system-x86_64 exited with ${code}: ${stderr.trim()}`));
        return;
      }
      resolve({
        poweredOff: !killed && /reboot: Power down/.test(console),
        seconds: (Date.now() - started) / 1000,
        console,
      });
    });
  });
}
