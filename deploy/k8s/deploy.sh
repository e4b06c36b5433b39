#!/usr/bin/env bash
# Applies an overlay with every service's image from one build, then waits for each rollout:
#   deploy/k8s/deploy.sh <dev|staging|prod> <registry> <tag>
#   deploy/k8s/deploy.sh staging ghcr.io/example/tessera 3f2c1e0…
# kubectl's context (KUBECONFIG) names the cluster. The Secrets each service reads must exist first
# (README, "Kubernetes").
set -euo pipefail
overlay=$1 registry=$2 tag=$3
services=(identity catalog cart inventory orders payments notifications gateway)
cd "$(dirname "$0")/overlays"
[[ -f "$overlay/kustomization.yaml" ]] || { echo "no overlay $overlay" >&2; exit 2; }

# The images are set in a throwaway overlay on top of the chosen one, leaving the repository as it is.
work=$(mktemp -d ".deploy-XXXXXX")
trap 'rm -rf "$work"' EXIT
{
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../%s]\nimages:\n' "$overlay"
  for service in "${services[@]}"; do
    printf '  - { name: tessera/%s, newName: %s/%s, newTag: "%s" }\n' "$service" "$registry" "$service" "$tag"
  done
} >"$work/kustomization.yaml"

namespace=$(kubectl kustomize "$work" | awk '/^kind: Namespace$/ { found = 1 } found && /^  name: / { print $2; exit }')
kubectl apply --server-side -k "$work"
for service in "${services[@]}"; do
  kubectl --namespace "$namespace" rollout status "deployment/$service" --timeout=5m
done
