// Quiet the AWS SDK's notice about Node.js 20 (the functions run on nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
