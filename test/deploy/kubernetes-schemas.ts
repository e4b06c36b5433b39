import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import type { KubeObject } from "./deploy-files.ts";

interface Validating {
  validate(): void;
}

/**
 * The models of kubernetes-models, whose `validate()` checks an object against the JSON schema
 * generated from the Kubernetes API's OpenAPI document, by `apiVersion/kind`. Only the kinds the
 * manifests use: any other kind is refused, so that nothing goes unchecked.
 */
const MODELS: Readonly<Record<string, (object: KubeObject) => Validating>> = {
  "v1/ConfigMap": (object) => new ConfigMap(object),
  "v1/Namespace": (object) => new Namespace(object as never),
  "v1/Service": (object) => new Service(object as never),
  "v1/ServiceAccount": (object) => new ServiceAccount(object),
  "apps/v1/Deployment": (object) => new Deployment(object as never),
  "autoscaling/v2/HorizontalPodAutoscaler": (object) => new HorizontalPodAutoscaler(object as never),
  "policy/v1/PodDisruptionBudget": (object) => new PodDisruptionBudget(object as never),
  "networking.k8s.io/v1/NetworkPolicy": (object) => new NetworkPolicy(object as never),
  "networking.k8s.io/v1/Ingress": (object) => new Ingress(object as never),
};

/** What is wrong with an object against its API schema, or undefined when it is valid. */
export function schemaProblem(object: KubeObject): string | undefined {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (model === undefined) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    model(object).validate();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
