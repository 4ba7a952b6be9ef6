import { expect } from 'chai';
import { attestedFiles } from '../../../functions/ami-image-create/build-report';
import { checkFile, fileNote } from '../../../functions/shared/attested-files';

const a = 'a'.repeat(64);
const b = 'b'.repeat(64);

describe('attested files', () => {
  it('reads the digests a status object names, and only well-formed ones', () => {
    expect(attestedFiles(JSON.stringify({ logSha256: a, packagesSha256: b }))).to.deep.equal({
      logSha256: a,
      packagesSha256: b,
    });
    expect(attestedFiles(JSON.stringify({ logSha256: a, packagesSha256: '' }))).to.deep.equal({
      logSha256: a,
    });
    expect(attestedFiles(JSON.stringify({ logSha256: 'A'.repeat(64), packagesSha256: 7 }))).to.deep.equal({});
    expect(attestedFiles('not json')).to.deep.equal({});
  });

  it('judges a file against its attested digest, and says so only when it is not the attested one', () => {
    const cases: [string | undefined, string | undefined, string, RegExp | undefined][] = [
      [a, a, 'attested', undefined],
      [
        b,
        a,
        'altered',
        new RegExp(`^the log is not the one its instance attested \\(SHA-256 ${b}, attested ${a}\\)`),
      ],
      [a, undefined, 'unattested', /^the log is not attested: /],
      [undefined, a, 'unchecked', /^the log was not checked against its attestation: it was not read whole$/],
    ];
    for (const [sha256, attested, verdict, note] of cases) {
      const check = checkFile(sha256, attested);
      expect(check.verdict).to.equal(verdict);
      const said = fileNote('the log', check);
      if (note) expect(said).to.match(note);
      else expect(said).to.equal(undefined);
    }
  });
});
