#!/usr/bin/env python3
"""Checks the rendered manifests of an overlay (`kubectl kustomize`) for what matters to
running the tracker, beyond the schema: every service deployed with gRPC probes, resources,
a non-root user and its keys read-only; two notifier replicas at least with a disruption
budget; a migration Job; an Ingress to the gateway; and no Secret written in the files.

Usage: check_kubernetes.py RENDERED.yaml [MIN_NOTIFIERS]"""
import sys

import yaml

path = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d]
by_kind = {}
for doc in docs:
    by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
problems = []

SERVICES = ["deadlines", "briefings", "submissions", "notifier", "gateway"]
for service in SERVICES:
    name = f"advocacy-{service}"
    deployment = by_kind.get("Deployment", {}).get(name)
    if deployment is None:
        problems.append(f"no Deployment {name}")
        continue
    if name not in by_kind.get("Service", {}):
        problems.append(f"no Service {name}")
    pod = deployment["spec"]["template"]["spec"]
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        problems.append(f"{name} may run as root")
    # A Secret's files belong to root: the non-root user reads them through its group.
    if pod.get("securityContext", {}).get("fsGroup") != pod.get("securityContext", {}).get("runAsGroup"):
        problems.append(f"{name}: no fsGroup, so its user cannot read its keys")
    container = pod["containers"][0]
    if container.get("args") != ["serve", service]:
        problems.append(f"{name} does not serve {service} alone: {container.get('args')}")
    ready = container.get("readinessProbe", {}).get("grpc", {})
    if ready.get("service", "").lower() != f"advocacy.v1.{service}service":
        problems.append(f"{name}: readiness is not the gRPC health of its service: {ready}")
    if "grpc" not in container.get("livenessProbe", {}):
        problems.append(f"{name}: no gRPC liveness probe")
    resources = container.get("resources", {})
    if not resources.get("requests", {}).get("memory") or not resources.get("limits", {}).get("memory"):
        problems.append(f"{name}: no memory request and limit")
    mounts = {m["name"]: m for m in container.get("volumeMounts", [])}
    if not mounts.get("keys", {}).get("readOnly"):
        problems.append(f"{name}: the keys are not mounted read-only")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    secret = volumes.get("keys", {}).get("secret", {})
    if secret.get("secretName") != f"advocacy-keys-{service}":
        problems.append(f"{name}: its keys are not its own Secret")
    if not secret.get("defaultMode", 0o644) & 0o040:
        problems.append(f"{name}: its keys are not readable by the pod's group")

notifier = by_kind.get("Deployment", {}).get("advocacy-notifier", {"spec": {}})
least = int(sys.argv[2]) if len(sys.argv) > 2 else 2
if notifier["spec"].get("replicas", 1) < least:
    problems.append(f"fewer than {least} notifier replicas")
budget = by_kind.get("PodDisruptionBudget", {}).get("advocacy-notifier")
if budget is None or budget["spec"].get("minAvailable", 0) < 1:
    problems.append("no disruption budget keeps a notifier running")
job = by_kind.get("Job", {}).get("advocacy-migrate")
if job is None or job["spec"]["template"]["spec"]["containers"][0].get("args") != ["migrate"]:
    problems.append("no migration Job running `advocacy migrate`")
ingress = by_kind.get("Ingress", {}).get("advocacy-gateway")
backend = ingress and ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"]
if backend != "advocacy-gateway":
    problems.append("no Ingress to the gateway")
if "Secret" in by_kind:
    problems.append(f"Secrets written in the manifests: {sorted(by_kind['Secret'])}")

if problems:
    sys.exit(f"{path}:\n  " + "\n  ".join(problems))
print(f"{path}: {len(docs)} objects; every service deployed, probed, sized, non-root, keys read-only")
