import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { expect } from 'chai';
import { config as sample } from '../../amibake.config';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { synthStack } from '../support/stack';

const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(PROJECT_ROOT, 'docs')).map((f) => join('docs', f)),
];
const read = (page: string) => readFileSync(join(PROJECT_ROOT, page), 'utf-8');

/** The text outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

const anchorsOf = (page: string) =>
  new Set([...prose(read(page)).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1] ?? '')));

describe('the README and the docs', () => {
  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const [, target = ''] of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(?:https?|mailto):/.test(target)) continue;
        const [path = '', hash] = target.split('#');
        const file = path === '' ? page : relative(PROJECT_ROOT, join(PROJECT_ROOT, dirname(page), path));
        if (!existsSync(join(PROJECT_ROOT, file))) broken.push(`${page}: ${target} (no ${file})`);
        else if (hash !== undefined && file.endsWith('.md') && !anchorsOf(file).has(hash))
          broken.push(`${page}: ${target} (no heading #${hash} in ${file})`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('keep the README a ten-minute read: at most 300 lines, no line of a table wider than a screen', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).to.be.at.most(300);
    expect(readme.split('\n').filter((l) => l.startsWith('|') && l.length > 160)).to.deep.equal([]);
  });

  it("tell the sample's true resource count and name files that exist", () => {
    const readme = read('README.md');
    const { tf } = synthStack(sample);
    const resources = Object.values(tf.resource).reduce((n, byName) => n + Object.keys(byName).length, 0);
    expect(/terraform apply: (\d+) resources created/.exec(readme)?.[1]).to.equal(String(resources));
    const counts = PAGES.flatMap((page) =>
      [...read(page).matchAll(/"resources":(\d+)|(\d+) resources created/g)].map(
        (m) => `${page}: ${m[1] ?? m[2]}`,
      ),
    );
    expect(counts.filter((c) => !c.endsWith(`: ${resources}`))).to.deep.equal([]);
    const files = [...readme.matchAll(/'(user_data\/[\w.-]+)'/g)].map((m) => m[1] ?? '');
    expect(files).to.include.members(sample.recipes.map((r) => r.script));
    expect(files.filter((f) => !existsSync(join(PROJECT_ROOT, f)))).to.deep.equal([]);
  });
});
