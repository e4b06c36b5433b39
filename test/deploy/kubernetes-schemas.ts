import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import type { KubeObject } from "./deploy-files.ts";

/** A model class of kubernetes-models: built from an object of its kind, `validate()` throws what is wrong. */
type Model = new (data: never) => { validate(): void };

/**
 * The models of kubernetes-models, whose `validate()` checks an object against the JSON schema
 * generated from the Kubernetes API's OpenAPI document, by `apiVersion/kind`. Only the kinds the
 * manifests use: any other kind is refused, so that nothing goes unchecked.
 */
const MODELS: Readonly<Record<string, Model>> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
};

/** What is wrong with an object against its API schema, or undefined when it is valid. */
export function schemaProblem(object: KubeObject): string | undefined {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    // The schema, not the compiler, decides whether the rendered object fits the kind.
    new Model(object as never).validate();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
