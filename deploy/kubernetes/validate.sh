#!/usr/bin/env bash
# Checks the manifests of this directory with no cluster and no network:
#
# - each against the OpenAPI schemas of Kubernetes $KUBERNETES_VERSION,
#   bundled with kubernetes-validate (tests/toolchains.sh installs it),
#   strictly: a field the API does not know fails;
# - kustomization.yaml lists every manifest, and only those;
# - labels, the instance count (each Indexed Job's completions and
#   parallelism, and INSTANCES in it and in the merge Job) agree, and
#   the run Jobs share one script;
# - every `sh -c` script parses;
# - kustomize renders the directory, when kubectl is installed.
set -euo pipefail
cd "$(dirname "$0")"

# The oldest release the manifests are for: image volumes
# (job-run-oci.yaml) are beta from 1.33.
KUBERNETES_VERSION=1.33.0

if ! python3 -c 'import kubernetes_validate, yaml' 2>/dev/null; then
    echo "validate.sh: kubernetes-validate is not installed: run tests/toolchains.sh" >&2
    exit 2
fi

manifests=()
for file in *.yaml; do
    [[ $file == kustomization.yaml ]] || manifests+=("$file")
done

echo "== schemas (Kubernetes $KUBERNETES_VERSION, strict)"
python3 -m kubernetes_validate --strict --kubernetes-version "$KUBERNETES_VERSION" "${manifests[@]}"

echo "== kustomization, labels, instances, scripts"
python3 - "${manifests[@]}" <<'PY'
import subprocess
import sys

import yaml

manifests = sys.argv[1:]
problems = []

with open("kustomization.yaml") as f:
    listed = yaml.safe_load(f).get("resources") or []
for name in sorted(set(manifests) - set(listed)):
    problems.append(f"kustomization.yaml does not list {name}")
for name in sorted(set(listed) - set(manifests)):
    problems.append(f"kustomization.yaml lists {name}, which is not a manifest here")
if len(listed) != len(set(listed)):
    problems.append("kustomization.yaml lists a manifest twice")

objects = []
for name in manifests:
    with open(name) as f:
        objects += [(name, o) for o in yaml.safe_load_all(f) if o]

def barrage_container(job):
    for c in job["spec"]["template"]["spec"]["containers"]:
        if c["name"] == "barrage":
            return c
    return None

def env(container, key):
    for e in container.get("env", []):
        if e["name"] == key:
            return e.get("value")
    return None

indexed, merge = [], []
for name, o in objects:
    what = f"{name}: {o['kind']} {o['metadata']['name']}"
    labels = o["metadata"].get("labels", {})
    if labels.get("app.kubernetes.io/name") != "barrage" or not labels.get("app.kubernetes.io/component"):
        problems.append(f"{what}: app.kubernetes.io/name or component label missing")
    if o["kind"] != "Job":
        continue
    if o["spec"]["template"]["metadata"].get("labels") != labels:
        problems.append(f"{what}: its pods are not labelled as the Job is")
    container = barrage_container(o)
    if container is None:
        problems.append(f"{what}: no container named barrage")
        continue
    for c in o["spec"]["template"]["spec"].get("initContainers", []) + o["spec"]["template"]["spec"]["containers"]:
        command = c.get("command", [])
        if command[:2] == ["/bin/sh", "-c"]:
            check = subprocess.run(["sh", "-n", "-c", command[2]], capture_output=True, text=True)
            if check.returncode != 0:
                problems.append(f"{what}: the script of {c['name']} does not parse: {check.stderr.strip()}")
    if o["spec"].get("completionMode") == "Indexed":
        indexed.append((what, o, container))
    elif labels.get("app.kubernetes.io/component") == "merge":
        merge.append((what, container))

counts = set()
for what, job, container in indexed:
    count = {job["spec"].get("completions"), job["spec"].get("parallelism"), env(container, "INSTANCES")}
    count = {int(c) if isinstance(c, str) and c.isdigit() else c for c in count}
    if len(count) != 1:
        problems.append(f"{what}: completions, parallelism and INSTANCES differ: {sorted(map(str, count))}")
    counts |= count
for what, container in merge:
    counts.add(int(env(container, "INSTANCES") or 0))
if len(counts) > 1:
    problems.append(f"the run Jobs and the merge Job do not agree on the number of instances: {sorted(map(str, counts))}")
if not indexed:
    problems.append("no Indexed Job (the run step)")
if not merge:
    problems.append("no merge Job")
scripts = {tuple(container["command"]) for _, _, container in indexed}
if len(scripts) > 1:
    problems.append("the run Jobs' scripts differ: keep them the same")

for p in problems:
    print(f"FAIL {p}")
if problems:
    sys.exit(1)
print(f"OK {len(manifests)} manifests listed, {len(objects)} objects, "
      f"{len(indexed)} run Jobs of {counts.pop()} instances with one script")
PY

echo "== kustomize"
if command -v kubectl >/dev/null; then
    kinds=$(kubectl kustomize . | grep -c '^kind:')
    echo "OK kubectl kustomize renders $kinds objects"
else
    echo "skipped: kubectl is not installed"
fi
