/** The part of the Lambda context object that handlers and the logger use. */
export interface LambdaContext {
  awsRequestId?: string;
  /** The ARN the function was invoked by, with its alias when invoked through one. */
  invokedFunctionArn?: string;
  functionName?: string;
  functionVersion?: string;
  memoryLimitInMB?: string | number;
  getRemainingTimeInMillis?: () => number;
}
