#!/usr/bin/env python3
"""Checks that the environment the chart gives each binary matches what the binary reads.

For every rendered manifest file given, each service container must set (through env
and envFrom) only variables its binary lists as `[env: NAME=...]` in `--help`, and all
the ones its usage line makes required. The provision job is checked the same way;
its per-role password variables (COMPTOIR_<SCHEMA>_DB_PASSWORD) are read directly, not
through clap, so they are allowed by name. Credentials (database and SMTP URLs) must come
from a Secret, and identity and tenancy, which send mails, must have either an SMTP URL
or a mailbox directory on a writable emptyDir.

  check_env.py --bin-dir target/debug rendered-default.yaml rendered-dev.yaml ...
"""

import argparse
import os
import re
import subprocess
import sys

import yaml

SERVICES = ("identity", "tenancy", "billing", "accountant-portal", "export")
PROVISION = "comptoir-provision"
# What the issue requires of every deployment, whatever --help says.
MUST_SET = {name: {"COMPTOIR_DATABASE_URL", "COMPTOIR_NATS_URL"}
            | (set() if name == "identity" else {"COMPTOIR_IDENTITY_URL"}) for name in SERVICES}
# Optional to the binary (SwitchCompany answers UNAVAILABLE without it), needed in a cluster.
MUST_SET["identity"] |= {"COMPTOIR_TENANCY_URL"}
# Optional to the binary (client creation and bulk lock dates answer UNAVAILABLE without
# them), needed in a cluster.
MUST_SET["accountant-portal"] |= {"COMPTOIR_TENANCY_URL", "COMPTOIR_BILLING_URL"}
MUST_SET[PROVISION] = {"COMPTOIR_ADMIN_DATABASE_URL"}
# Variables carrying credentials: only ever from a Secret (secretKeyRef), never a literal
# value or a ConfigMap.
SECRET_ONLY = {"COMPTOIR_DATABASE_URL", "COMPTOIR_ADMIN_DATABASE_URL", "COMPTOIR_SMTP_URL"}
# The services that send mails must either send them (SMTP) or write them somewhere the
# chart made writable (the root filesystem is read-only).
MAILERS = ("identity", "tenancy")


def read_help(bin_dir, binary):
    path = os.path.join(bin_dir, binary)
    text = subprocess.run([path, "--help"], check=True, capture_output=True, text=True).stdout
    # `[env: NAME=value]`, or `[env: NAME]` for a secret whose value clap hides.
    known = set(re.findall(r"\[env: ([A-Z0-9_]+)[=\]]", text))
    usage = next(line for line in text.splitlines() if line.startswith("Usage:"))
    # Required options are the ones outside square brackets on the usage line.
    required = set(re.findall(r"<([A-Z0-9_]+)>", re.sub(r"\[[^\]]*\]", "", usage))) & known
    if not known:
        sys.exit(f"{path} --help lists no [env: ...] variable")
    return known, required


def secret_problems(container, configmaps):
    """Credential variables set otherwise than from a Secret."""
    problems = [e["name"] for e in container.get("env", [])
                if e["name"] in SECRET_ONLY and "secretKeyRef" not in e.get("valueFrom", {})]
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        problems += [source.get("prefix", "") + k for k in configmaps.get(ref, {})
                     if source.get("prefix", "") + k in SECRET_ONLY]
    return sorted(problems)


def mailbox_problem(container, pod_spec):
    """Without an SMTP URL, the mailbox must be a mounted, writable volume."""
    env = {e["name"]: e for e in container.get("env", [])}
    if "COMPTOIR_SMTP_URL" in env:
        return None
    if "COMPTOIR_MAILBOX_DIR" not in env or "value" not in env["COMPTOIR_MAILBOX_DIR"]:
        return "neither COMPTOIR_SMTP_URL nor COMPTOIR_MAILBOX_DIR is set"
    path = env["COMPTOIR_MAILBOX_DIR"]["value"]
    mounts = {m["mountPath"].rstrip("/"): m for m in container.get("volumeMounts", [])}
    mount = mounts.get(path.rstrip("/"))
    if mount is None or mount.get("readOnly"):
        return f"COMPTOIR_MAILBOX_DIR={path} is not a writable volume mount"
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    if "emptyDir" not in volumes.get(mount["name"], {}):
        return f"COMPTOIR_MAILBOX_DIR={path} is not an emptyDir"
    return None


def container_env(container, configmaps, where):
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            ref = source["configMapRef"]["name"]
            if ref not in configmaps:
                sys.exit(f"{where}: envFrom ConfigMap {ref} is not among the rendered objects")
            names |= {source.get("prefix", "") + key for key in configmaps[ref]}
        else:
            sys.exit(f"{where}: envFrom {list(source)} cannot be checked offline; use env")
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("manifests", nargs="+")
    args = parser.parse_args()
    helps = {b: read_help(args.bin_dir, b) for b in SERVICES + (PROVISION,)}
    passwords = {f"COMPTOIR_{s.replace('-', '_').upper()}_DB_PASSWORD" for s in SERVICES}
    failures = 0
    for manifest in args.manifests:
        docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
        configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
        seen = set()
        for doc in docs:
            if doc["kind"] not in ("Deployment", "Job"):
                continue
            for container in doc["spec"]["template"]["spec"]["containers"]:
                binary = os.path.basename(container["command"][0])
                where = f"{manifest}: {doc['kind']}/{doc['metadata']['name']} ({binary})"
                if binary not in helps:
                    print(f"FAIL {where}: runs an unknown binary")
                    failures += 1
                    continue
                seen.add(binary)
                known, required = helps[binary]
                allowed = known | (passwords if binary == PROVISION else set())
                names = container_env(container, configmaps, where)
                unknown = sorted(names - allowed)
                missing = sorted((required | MUST_SET[binary]) - names)
                inlined = secret_problems(container, configmaps)
                mailbox = (mailbox_problem(container, doc["spec"]["template"]["spec"])
                           if binary in MAILERS else None)
                if unknown or missing:
                    failures += 1
                    print(f"FAIL {where}: unknown to the binary {unknown}, required but unset {missing}")
                elif inlined:
                    failures += 1
                    print(f"FAIL {where}: {inlined} not read from a Secret")
                elif mailbox:
                    failures += 1
                    print(f"FAIL {where}: {mailbox}")
                else:
                    print(f"ok   {where}: {len(names)} variables, all known, "
                          f"required {sorted(required | MUST_SET[binary])} set")
        absent = set(SERVICES) - seen
        if absent:
            failures += 1
            print(f"FAIL {manifest}: no Deployment runs {sorted(absent)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
