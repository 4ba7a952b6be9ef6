import { expect } from 'chai';
import { amiNameTemplateProblems, renderAmiName } from '../../../functions/shared/ami-name';

const values = {
  recipe: 'ecs',
  buildId: 'ecs-20261124120000-abcdef',
  baseImageId: 'ami-0123',
  time: new Date('2026-11-24T08:09:10Z'),
};

describe('renderAmiName', () => {
  it('renders the default template in UTC', () => {
    expect(renderAmiName('{recipe}-{yyyyMMdd-HHmmss}', values)).to.equal('ecs-20261124-080910');
  });

  it('renders every placeholder', () => {
    expect(renderAmiName('{recipe} {yyyyMMdd} {HHmmss} {buildId} {baseImageId}', values)).to.equal(
      'ecs 20261124 080910 ecs-20261124120000-abcdef ami-0123',
    );
  });
});

describe('amiNameTemplateProblems', () => {
  it('accepts the default template', () => {
    expect(amiNameTemplateProblems('{recipe}-{yyyyMMdd-HHmmss}')).to.deep.equal([]);
  });

  it('rejects unknown placeholders', () => {
    expect(amiNameTemplateProblems('{recipe}-{date}-{buildId}').join()).to.match(/unknown: \{date\}/);
  });

  it('rejects characters AWS does not allow', () => {
    expect(amiNameTemplateProblems('{recipe}:{buildId}').join()).to.match(/must contain only/);
  });

  it('rejects templates without a per-build part', () => {
    expect(amiNameTemplateProblems('{recipe}-{yyyyMMdd}').join()).to.match(/unique name/);
  });

  it('rejects templates that can exceed 128 characters', () => {
    expect(amiNameTemplateProblems(`${'x'.repeat(100)}-{buildId}`).join()).to.match(/at most 128/);
  });
});
