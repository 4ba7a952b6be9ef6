import { emptyAnswer, errorAnswer, jsonAnswer } from '../emulator/answers';
import { functionNameOf } from '../emulator/gaps/lambda-gaps';
import type { Layer } from '../emulator/gateway';
import type { LambdaService } from './lambda-service';

/**
 * Lambda's Invoke API, answered by the emulated Lambda service (moto runs no code): an `Event`
 * invocation is queued (202), a `RequestResponse` one runs and answers with the function's
 * result or its error (`X-Amz-Function-Error: Unhandled`), as Lambda does.
 */
export function lambdaInvokeLayer(lambda: LambdaService): Layer {
  return async ({ request, caller }, next) => {
    if (request.service !== 'lambda' || request.operation !== 'Invoke') return next();
    const name = functionNameOf(request) ?? '';
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    let payload: unknown = {};
    try {
      payload = request.body.length > 0 ? JSON.parse(request.body.toString('utf-8')) : {};
    } catch {
      return errorAnswer(
        request,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
      );
    }
    const source = caller?.kind === 'function' ? `invoke from ${caller.functionName}` : 'invoke';
    try {
      if (type === 'DryRun') {
        await lambda.describe(name);
        return emptyAnswer(204);
      }
      if (type === 'Event') {
        await lambda.describe(name);
        lambda.invokeAsync(name, payload, source);
        return emptyAnswer(202, { 'x-amzn-requestid': `emulator-${Date.now().toString(36)}` });
      }
      const outcome = await lambda.invoke(name, payload, source);
      if (outcome.ok) return jsonAnswer(200, outcome.value, { 'x-amz-executed-version': '$LATEST' });
      return jsonAnswer(
        200,
        { errorType: outcome.errorType, errorMessage: outcome.errorMessage },
        { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
      );
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        return errorAnswer(request, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
      }
      throw error;
    }
  };
}
