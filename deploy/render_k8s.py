#!/usr/bin/env python3
"""Generates k8s/ (kustomize base and dev/prod overlays) from the Helm chart, and checks it.

The plain manifests are the chart rendered with its defaults (base) and with
values-dev.yaml / values-prod.yaml (overlays), so the two ways of installing Comptoir
cannot drift apart:

  * base: `helm template` with default values, minus what only Helm understands (hook
    annotations, the chart and managed-by labels, the config checksum);
  * the Grafana dashboards: their JSON as files under base/dashboards/, shipped by a
    configMapGenerator, so they stay readable (and importable) JSON;
  * an overlay: the objects the profile adds, a strategic-merge patch per object it
    changes (keys it drops set to null), a delete patch per object it removes; the dev
    overlay's database Secret comes from a secretGenerator over dev-only credentials
    (database.env) instead of the chart's random ones.

  render_k8s.py --helm PATH --kubectl PATH            rewrite k8s/
  render_k8s.py --helm PATH --kubectl PATH --check    fail if k8s/ is stale, or if
                                                      `kubectl kustomize` of an overlay
                                                      differs from the chart's render
"""

import argparse
import copy
import difflib
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = os.path.join(ROOT, "helm", "comptoir")
K8S = os.path.join(ROOT, "k8s")
RELEASE = "comptoir"
HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")
HELM_ONLY_ANNOTATIONS = ("helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy",
                         "checksum/env")
HEADER = ("# Generated from helm/comptoir by deploy/render_k8s.py: do not edit by hand.\n"
          "# Change the chart or its values, then run `bash deploy/check.sh --update-k8s`.\n")
# The services: each gets one file of the base holding its Deployment, Service, PDB, etc.
COMPONENTS = ("identity", "tenancy", "billing", "accountant-portal", "export")


class Dumper(yaml.SafeDumper):
    """Block-style YAML whose lists are indented under their key, like the chart's."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def dump(docs):
    return "---\n".join(yaml.dump(d, Dumper=Dumper, sort_keys=False, width=100) for d in docs)


def render(helm, values_file=None):
    cmd = [helm, "template", RELEASE, CHART]
    if values_file:
        cmd += ["-f", os.path.join(CHART, values_file)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [strip(d) for d in yaml.safe_load_all(out) if d]


def strip(doc):
    doc = copy.deepcopy(doc)

    def clean(meta):
        for key, names in (("labels", HELM_ONLY_LABELS), ("annotations", HELM_ONLY_ANNOTATIONS)):
            values = meta.get(key)
            if values is None:
                continue
            for name in names:
                values.pop(name, None)
            if not values:
                del meta[key]

    clean(doc["metadata"])
    template = doc.get("spec", {}).get("template")
    if isinstance(template, dict) and "metadata" in template:
        clean(template["metadata"])
    return doc


def ident(doc):
    return (doc["kind"], doc["metadata"]["name"])


def file_of(doc):
    component = doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
    if component in COMPONENTS:
        return f"{component}.yaml"
    return {"ConfigMap": "config.yaml", "ServiceAccount": "serviceaccount.yaml",
            "Job": "provision-job.yaml"}.get(doc["kind"], "other.yaml")


def patch_for(base, target):
    """A strategic-merge patch turning base into target (dict keys dropped -> null, lists
    merged by name replaced whole when their names differ)."""
    if isinstance(base, dict) and isinstance(target, dict):
        out = {}
        for key, value in target.items():
            if key in base:
                if base[key] != value:
                    out[key] = patch_for(base[key], value)
            else:
                out[key] = value
        for key in base:
            if key not in target:
                out[key] = None
        return out
    named = lambda items: isinstance(items, list) and items and all(
        isinstance(i, dict) and "name" in i for i in items)
    if named(base) and named(target) and [i["name"] for i in base] == [i["name"] for i in target]:
        # Lists merged by name (containers, env, ...): patch only the items that changed.
        return [{"name": t["name"], **patch_for(b, t)} for b, t in zip(base, target) if b != t]
    if named(base) and named(target):
        # Items added or dropped: kustomize would merge by name (new items first, dropped
        # ones kept), so the list is replaced whole, in the chart's order.
        return [{"$patch": "replace"}, *target]
    return target


def overlay_files(base_docs, docs, profile):
    base = {ident(d): d for d in base_docs}
    target = {ident(d): d for d in docs}
    added = [d for d in docs if ident(d) not in base and d["kind"] != "Secret"]
    files = {}
    patches = []
    for key, doc in target.items():
        if key in base and base[key] != doc:
            patch = patch_for(base[key], doc)
            head = {"apiVersion": doc["apiVersion"], "kind": doc["kind"],
                    "metadata": {"name": doc["metadata"]["name"], **patch.pop("metadata", {})}}
            patches.append({**head, **patch})
    deletions = {}
    for key, doc in base.items():
        if key not in target:
            # One file each: kustomize mishandles `$patch: delete` in a multi-document file.
            deletions[f"delete-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"] = {
                "$patch": "delete", "apiVersion": doc["apiVersion"], "kind": doc["kind"],
                "metadata": {"name": doc["metadata"]["name"]}}
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": ["../../base"]}
    if added:
        files["resources.yaml"] = HEADER + dump(added)
        kustomization["resources"].append("resources.yaml")
    if patches:
        files["patches.yaml"] = HEADER + dump(patches)
        kustomization["patches"] = [{"path": "patches.yaml"}]
    for name, patch in sorted(deletions.items()):
        files[name] = HEADER + dump([patch])
        kustomization.setdefault("patches", []).append({"path": name})
    secrets = [d for d in docs if d["kind"] == "Secret" and ident(d) not in base]
    if secrets:
        # The chart generates random passwords; plain manifests cannot, so the dev
        # overlay reads fixed dev-only credentials from database.env.
        (secret,) = secrets
        kustomization["secretGenerator"] = [{
            "name": secret["metadata"]["name"], "envs": ["database.env"],
            "options": {"labels": secret["metadata"].get("labels", {}),
                        "disableNameSuffixHash": True}}]
    files["kustomization.yaml"] = HEADER + dump([kustomization])
    return files


def is_dashboard(doc):
    return (doc["kind"] == "ConfigMap"
            and doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "dashboards")


def dashboard_generators(docs, files):
    """configMapGenerator entries for the dashboard ConfigMaps, their JSON written to files."""
    generators = []
    for doc in docs:
        meta = doc["metadata"]
        names = []
        for key, text in doc["data"].items():
            files[f"base/dashboards/{key}"] = text
            names.append(f"dashboards/{key}")
        options = {"labels": meta.get("labels", {})}
        if meta.get("annotations"):
            options["annotations"] = meta["annotations"]
        options["disableNameSuffixHash"] = True
        generator = {"name": meta["name"]}
        if meta.get("namespace"):
            generator["namespace"] = meta["namespace"]
        generators.append({**generator, "files": names, "options": options})
    return generators


def generate(helm):
    base_docs = render(helm)
    files = {}
    grouped = {}
    for doc in base_docs:
        if not is_dashboard(doc):
            grouped.setdefault(file_of(doc), []).append(doc)
    for name, docs in grouped.items():
        files[f"base/{name}"] = HEADER + dump(docs)
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": sorted(grouped)}
    generators = dashboard_generators([d for d in base_docs if is_dashboard(d)], files)
    if generators:
        kustomization["configMapGenerator"] = generators
    files["base/kustomization.yaml"] = HEADER + dump([kustomization])
    renders = {"": base_docs}
    for profile in ("dev", "prod"):
        docs = render(helm, f"values-{profile}.yaml")
        renders[profile] = docs
        for name, text in overlay_files(base_docs, docs, profile).items():
            files[f"overlays/{profile}/{name}"] = text
    return files, renders


def normalise(docs, secret_keys_only):
    out = {}
    for doc in docs:
        doc = copy.deepcopy(doc)
        if doc["kind"] == "Secret" and secret_keys_only:
            doc = {"kind": "Secret", "name": doc["metadata"]["name"],
                   "keys": sorted({**doc.get("data", {}), **doc.get("stringData", {})})}
        out[ident(doc) if "metadata" in doc else (doc["kind"], doc["name"])] = doc
    return out


def compare(label, expected, actual):
    exp = yaml.safe_dump(dict(sorted((f"{k}/{n}", v) for (k, n), v in expected.items())), sort_keys=True)
    act = yaml.safe_dump(dict(sorted((f"{k}/{n}", v) for (k, n), v in actual.items())), sort_keys=True)
    if exp != act:
        sys.stdout.writelines(difflib.unified_diff(exp.splitlines(True), act.splitlines(True),
                                                   f"chart {label}", f"k8s {label}"))
        return False
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--helm", required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    files, renders = generate(args.helm)
    ok = True
    if args.check:
        existing = set()
        for dirpath, _, names in os.walk(K8S):
            for name in names:
                if name.endswith((".yaml", ".json")):
                    existing.add(os.path.relpath(os.path.join(dirpath, name), K8S))
        for path in sorted(set(files) | existing):
            if path.endswith(".env"):
                continue
            full = os.path.join(K8S, path)
            current = open(full).read() if os.path.exists(full) else None
            if current != files.get(path):
                print(f"k8s/{path} is stale: run `bash deploy/check.sh --update-k8s`")
                ok = False
        tree = K8S
    else:
        for path, text in files.items():
            full = os.path.join(K8S, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as handle:
                handle.write(text)
        print(f"wrote {len(files)} files under k8s/")
        tree = K8S
    # The overlays must build to exactly what the chart renders for the same profile.
    for profile, path in (("", "base"), ("dev", "overlays/dev"), ("prod", "overlays/prod")):
        out = subprocess.run([args.kubectl, "kustomize", os.path.join(tree, path)],
                             check=True, capture_output=True, text=True).stdout
        built = [d for d in yaml.safe_load_all(out) if d]
        if not compare(profile or "default", normalise(renders[profile], True),
                       normalise(built, True)):
            print(f"k8s/{path} does not build to the chart's {profile or 'default'} render")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
