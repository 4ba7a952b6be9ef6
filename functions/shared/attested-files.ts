/**
 * Whether a file the operator reads (a build's log, its package manifest) is the one its
 * instance attested: the status object the console attested names its SHA-256 (AttestedFiles in
 * the record). Anyone who may write the artifacts bucket can rewrite the file since.
 */
export type FileCheck =
  | { verdict: 'attested' }
  | { verdict: 'altered'; sha256: string; attested: string }
  | { verdict: 'unattested' }
  | { verdict: 'unchecked'; reason: string };

/** Judges a file's digest (undefined: it could not be hashed whole) against the attested one (pure). */
export function checkFile(sha256: string | undefined, attested: string | undefined): FileCheck {
  if (attested === undefined) return { verdict: 'unattested' };
  if (sha256 === undefined) return { verdict: 'unchecked', reason: 'it was not read whole' };
  return sha256 === attested ? { verdict: 'attested' } : { verdict: 'altered', sha256, attested };
}

/** One line for the reader when the file is not known to be the attested one, else undefined (pure). */
export function fileNote(what: string, check: FileCheck): string | undefined {
  switch (check.verdict) {
    case 'attested':
      return undefined;
    case 'altered':
      return `${what} is not the one its instance attested (SHA-256 ${check.sha256}, attested ${check.attested}): it was rewritten after the build, do not trust it`;
    case 'unattested':
      return `${what} is not attested: its instance's report was never believed or named no digest (a build before attested files, or a failure reported without attestation)`;
    case 'unchecked':
      return `${what} was not checked against its attestation: ${check.reason}`;
  }
}
