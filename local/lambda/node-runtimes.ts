import { AmiBakeError } from '../../functions/shared/errors';

/** The Node.js binary that runs functions of a Lambda runtime (`nodejs24.x` → a Node 24). */
export type RuntimeBinaries = (runtime: string) => string;

/** The Node.js major of a Lambda Node.js runtime identifier, or undefined for another language. */
export function runtimeNodeMajor(runtime: string): number | undefined {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  return major === undefined ? undefined : Number(major);
}

/**
 * Picks, once per runtime, the Node.js that runs its functions: this process's own when its
 * major is the runtime's, otherwise what `binaryFor(major)` provides (a pinned release, fetched
 * once). A runtime that is not Node.js, or whose Node cannot be had, is refused with the reason,
 * as the emulator cannot run it faithfully on another major.
 */
export function runtimeBinaries(options: {
  binaryFor: (major: number) => string;
  version?: string;
  execPath?: string;
}): RuntimeBinaries {
  const { version = process.version, execPath = process.execPath } = options;
  const ownMajor = Number(/^v(\d+)\./.exec(version)?.[1]);
  const chosen = new Map<string, string>();
  return (runtime) => {
    const known = chosen.get(runtime);
    if (known) return known;
    const major = runtimeNodeMajor(runtime);
    if (major === undefined) {
      throw new AmiBakeError(
        `the emulated Lambda runs Node.js runtimes only (nodejs<major>.x), got runtime "${runtime}": deploy the function on a nodejs runtime to run it locally`,
        { code: 'RuntimeUnavailable' },
      );
    }
    let binary: string;
    try {
      binary = major === ownMajor ? execPath : options.binaryFor(major);
    } catch (error) {
      throw new AmiBakeError(
        `runtime ${runtime} needs Node.js ${major}, which the emulator cannot have here: ${(error as Error).message}`,
        { code: 'RuntimeUnavailable', cause: error },
      );
    }
    chosen.set(runtime, binary);
    return binary;
  };
}
