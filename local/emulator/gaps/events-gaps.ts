import type { Layer } from '../gateway';

/**
 * ListRules' NamePrefix is a literal prefix in EventBridge; moto reads it as a regular
 * expression, so `amibake.` also returns `amibake_sweep` and `amibake-dev.…`. The layer keeps
 * only the rules whose names begin with the prefix as written.
 */
export const literalRulePrefix: Layer = async ({ request }, next) => {
  if (request.service !== 'events' || request.operation !== 'ListRules') return next();
  const prefix = request.json?.NamePrefix;
  const answer = await next();
  if (typeof prefix !== 'string' || answer.status !== 200) return answer;
  const body = JSON.parse(answer.body.toString('utf-8')) as { Rules?: { Name?: string }[] };
  body.Rules = (body.Rules ?? []).filter((rule) => rule.Name?.startsWith(prefix));
  return { ...answer, body: Buffer.from(JSON.stringify(body)) };
};
