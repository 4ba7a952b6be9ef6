#!/bin/bash
# Sample tests for the ECS container instance image, run on an instance launched from the new
# image before it is published. A non-zero exit keeps the image from the published parameter.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "the tools the customisation installs are there"
for tool in jq sar; do command -v "$tool" >/dev/null || fail "$tool is not installed"; done

echo "the SSM agent and Docker start"
systemctl is-enabled --quiet amazon-ssm-agent || fail "amazon-ssm-agent is not enabled"
systemctl start docker && systemctl is-active --quiet docker || fail "docker does not start"

echo "no ECS state is baked in"
if compgen -G '/var/lib/ecs/data/*' >/dev/null; then fail "/var/lib/ecs/data is not empty"; fi

echo "the build left nothing behind: cloud-init knows this instance only"
builds="$(find /var/lib/cloud/instances -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
[ "$builds" -le 1 ] || fail "cloud-init keeps $builds instances' state (the build's is in the image)"

echo "all tests passed"
