#!/usr/bin/env node
'use strict';
/**
 * The Node.js amibake runs on, and the Node.js each Lambda runtime runs on locally.
 *
 * Node's own binaries are published on the npm registry as `node-<platform>-<arch>` packages. The
 * releases amibake uses are pinned, with their integrity, in package.json (`config.nodeReleases`,
 * one per major); a release is fetched once with `npm pack`, checked against its pin, and kept in
 * a cache outside the clone (`$AMIBAKE_NODE_CACHE`, default `~/.cache/amibake/node`).
 *
 * This file has no dependencies and runs on any Node from 18 on, so that it can run before
 * `npm ci` and on a machine whose Node is older than the floor:
 *
 *   node scripts/node-toolchain.cjs run <command...>   runs the command on a Node that satisfies
 *                                                      package.json's engines (this one, or the
 *                                                      newest pinned release, saying so once)
 *   node scripts/node-toolchain.cjs path               prints the folder to put first on the PATH
 *                                                      (nothing when this Node satisfies engines)
 *   node scripts/node-toolchain.cjs binary <major>     prints the pinned release's node binary
 */
const { execFileSync, spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

const PACKAGE = require('../package.json');

class NodeUnavailableError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NodeUnavailableError';
  }
}

/** The registry package that carries Node's binary for this machine. */
function binaryPackage(platform = process.platform, arch = process.arch) {
  return `node-${platform}-${arch}`;
}

/** `^22.12 || ^24` as the ranges it allows: a major and its lowest minor. Only caret ranges are used. */
function engineRanges(engines = PACKAGE.engines.node) {
  return engines.split('||').map((part) => {
    const match = /^\s*\^(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(part);
    if (!match)
      throw new Error(`package.json engines.node must be caret ranges joined by ||, got "${engines}"`);
    return { major: Number(match[1]), minor: Number(match[2] ?? 0), patch: Number(match[3] ?? 0) };
  });
}

function parseVersion(version) {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number);
  return { major, minor, patch };
}

/** Whether a Node version (`v20.20.2` or `20.20.2`) satisfies package.json's engines. */
function satisfiesEngines(version, engines) {
  const v = parseVersion(version);
  return engineRanges(engines).some(
    (r) => v.major === r.major && (v.minor > r.minor || (v.minor === r.minor && v.patch >= r.patch)),
  );
}

/** The floor, as a person reads it: `22.12`. */
function engineFloor(engines) {
  const lowest = engineRanges(engines).sort((a, b) => a.major - b.major || a.minor - b.minor)[0];
  return `${lowest.major}.${lowest.minor}`;
}

/** The pinned release of a major: `{ version, integrity }` for this machine's package. */
function pinnedRelease(major, releases = PACKAGE.config.nodeReleases) {
  const release = releases[String(major)];
  if (!release) {
    throw new NodeUnavailableError(
      `no Node ${major} release is pinned: package.json config.nodeReleases has ${Object.keys(releases).join(', ')}; ` +
        `add "${major}": { "version", "integrity": { "${binaryPackage()}": "sha512-..." } } (npm view ${binaryPackage()}@${major} dist.integrity)`,
    );
  }
  const integrity = release.integrity[binaryPackage()];
  if (!integrity) {
    throw new NodeUnavailableError(
      `Node ${release.version} is pinned for ${Object.keys(release.integrity).join(', ')}, not for ${binaryPackage()}: ` +
        `install Node ${major} yourself, or pin its integrity in package.json config.nodeReleases (npm view ${binaryPackage()}@${release.version} dist.integrity)`,
    );
  }
  return { version: release.version, integrity };
}

/** The newest pinned major, the one to run on when the machine's Node is too old. */
function preferredMajor(releases = PACKAGE.config.nodeReleases) {
  return Math.max(...Object.keys(releases).map(Number));
}

function cacheRoot(env = process.env) {
  return env.AMIBAKE_NODE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'amibake', 'node');
}

/**
 * The path of the pinned release's `node` for a major, fetched into the cache the first time.
 * Concurrent callers each unpack into a folder of their own; the first rename wins.
 */
function nodeBinary(major, options = {}) {
  const { env = process.env, log = (line) => process.stderr.write(`${line}\n`) } = options;
  const { version, integrity } = pinnedRelease(major, options.releases);
  const home = join(cacheRoot(env), version);
  const binary = join(home, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const spec = `${binaryPackage()}@${version}`;
  log(`amibake: fetching Node ${version} (${spec} from the npm registry) into ${home}, once`);
  mkdirSync(cacheRoot(env), { recursive: true });
  const scratch = mkdtempSync(join(cacheRoot(env), `.${version}-`));
  try {
    let packed;
    try {
      packed = JSON.parse(
        execFileSync('npm', ['pack', spec, '--json', '--silent', '--pack-destination', scratch], {
          cwd: scratch,
          encoding: 'utf-8',
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...env, npm_config_update_notifier: 'false' },
        }),
      );
    } catch (error) {
      const reason = String(error.stderr || error.message)
        .trim()
        .split('\n')
        .pop();
      throw new NodeUnavailableError(
        `could not fetch ${spec} with npm pack (${reason}): install Node ${major} yourself and put it first on the PATH`,
      );
    }
    const tarball = join(scratch, packed[0].filename);
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (digest !== integrity) {
      throw new NodeUnavailableError(
        `${spec} does not match its pin: package.json config.nodeReleases says ${integrity}, the registry served ${digest}; nothing was installed`,
      );
    }
    const unpacked = join(scratch, 'node');
    mkdirSync(unpacked);
    execFileSync('tar', [
      'xzf',
      tarball,
      '-C',
      unpacked,
      '--strip-components=1',
      'package/bin/node',
      'package/LICENSE',
    ]);
    const reported = execFileSync(join(unpacked, 'bin', 'node'), ['--version'], { encoding: 'utf-8' }).trim();
    if (reported !== `v${version}`)
      throw new NodeUnavailableError(`${spec} reports ${reported}, not v${version}`);
    try {
      renameSync(unpacked, home);
    } catch (error) {
      if (!existsSync(binary)) throw error;
    }
    return binary;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The folder to put first on the PATH so that `node` satisfies engines, or undefined when the
 * running Node already does. Says once, on stderr, what it chose.
 */
function floorPath(options = {}) {
  const { version = process.version, log = (line) => process.stderr.write(`${line}\n`) } = options;
  if (satisfiesEngines(version, options.engines)) return undefined;
  const major = preferredMajor(options.releases);
  const binary = nodeBinary(major, options);
  const { version: pinned } = pinnedRelease(major, options.releases);
  log(
    `amibake: Node ${version} is older than the floor (${engineFloor(options.engines)}); running on Node ${pinned} (${binary})`,
  );
  return join(binary, '..');
}

/** Runs a command on a Node that satisfies engines, forwarding signals and the exit status. */
function runOnFloor(command, args) {
  const dir = floorPath();
  const env = dir
    ? { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, npm_node_execpath: join(dir, 'node') }
    : process.env;
  const child = spawn(command, args, { stdio: 'inherit', env });
  // Ctrl-C reaches the whole foreground group: the child handles it; a signal sent to this
  // process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('error', (error) => {
    process.stderr.write(`amibake: could not start ${command}: ${error.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

function main(argv) {
  const [verb, ...rest] = argv;
  try {
    if (verb === 'run' && rest.length > 0) return runOnFloor(rest[0], rest.slice(1));
    if (verb === 'path') {
      const dir = floorPath();
      if (dir) process.stdout.write(`${dir}\n`);
      return;
    }
    if (verb === 'binary' && /^\d+$/.test(rest[0] ?? '')) {
      process.stdout.write(`${nodeBinary(Number(rest[0]))}\n`);
      return;
    }
    process.stderr.write('usage: node scripts/node-toolchain.cjs run <command...> | path | binary <major>\n');
    process.exitCode = 2;
  } catch (error) {
    if (!(error instanceof NodeUnavailableError)) throw error;
    process.stderr.write(`amibake: ${error.message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) main(process.argv.slice(2));

module.exports = {
  NodeUnavailableError,
  binaryPackage,
  engineFloor,
  floorPath,
  nodeBinary,
  pinnedRelease,
  preferredMajor,
  satisfiesEngines,
};
