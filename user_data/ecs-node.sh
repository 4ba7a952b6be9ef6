#!/bin/bash
# Sample customisation for an ECS container instance on Amazon Linux 2023.
# Runs as root from amibake's wrapper; a non-zero exit fails the build (no AMI is made).
set -euo pipefail

echo "updating packages"
dnf -y upgrade --refresh

echo "installing troubleshooting tools"
dnf -y install amazon-ssm-agent jq sysstat

echo "joining the default cluster is left to launch templates: clearing ECS state baked by the base"
systemctl stop ecs || true
rm -rf /var/lib/ecs/data/*

echo "cleaning caches so the image stays small"
dnf clean all
rm -rf /var/log/journal/* /tmp/*
