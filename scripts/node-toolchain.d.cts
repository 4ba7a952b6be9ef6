/** Types of node-toolchain.cjs (plain CommonJS, so that it runs before `npm ci`). */
export declare class NodeUnavailableError extends Error {}
export declare function binaryPackage(platform?: string, arch?: string): string;
export declare function engineFloor(engines?: string): string;
export declare function satisfiesEngines(version: string, engines?: string): boolean;
export declare function preferredMajor(releases?: NodeReleases): number;
export declare function pinnedRelease(
  major: number,
  releases?: NodeReleases,
): { version: string; integrity: string };
export declare function nodeBinary(major: number, options?: ToolchainOptions): string;
export declare function floorPath(
  options?: ToolchainOptions & { version?: string; engines?: string },
): string | undefined;

export type NodeReleases = Record<string, { version: string; integrity: Record<string, string> }>;
export interface ToolchainOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  releases?: NodeReleases;
}
