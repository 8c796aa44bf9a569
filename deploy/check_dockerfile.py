#!/usr/bin/env python3
"""Structural test of the Dockerfile and .dockerignore (no Docker engine needed).

  * stages: a cargo-chef planner and builder on an official rust:1-bookworm image, and a
    final runtime stage on a minimal image (distroless or debian-slim);
  * the builder cooks and builds exactly the workspace's service binaries (every binary
    target but xtask, read from `cargo metadata`), in release mode with --locked;
  * the final stage copies every one of them, runs as a non-root USER, and contains no
    toolchain: no cargo, rustc or rustup, no apt, nothing copied from a rust image but
    the binaries;
  * .dockerignore keeps target/ and .git out and everything cargo needs in.
"""

import json
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def instructions(text):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped.rstrip("\\").strip() if current else stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            word, _, rest = current.partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def workspace_binaries():
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    return sorted(t["name"] for p in meta["packages"] for t in p["targets"]
                  if "bin" in t["kind"] and p["name"] != "xtask")


def main():
    text = open(os.path.join(ROOT, "Dockerfile")).read()
    steps = instructions(text)
    args = {}
    for word, rest in steps:
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args.setdefault(name, value.strip('"'))
    expand = lambda s: re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), s)

    stages, current = [], None
    for word, rest in steps:
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            current = {"image": expand(parts[0]), "name": name, "steps": []}
            stages.append(current)
        elif current is not None:
            current["steps"].append((word, expand(rest)))
    names = [s["name"] for s in stages]
    print(f"stages: {names}")
    by_name = {s["name"]: s for s in stages}
    check(len(stages) >= 3, "multi-stage build (at least chef/planner, builder, runtime)")

    def base_image(stage):
        while stage["image"] in by_name:
            stage = by_name[stage["image"]]
        return stage["image"]

    run_text = lambda stage: " ".join(r for w, r in stage["steps"] if w == "RUN")
    builders = [s for s in stages if "cargo build" in run_text(s)]
    check(len(builders) == 1, "one stage runs cargo build")
    planners = [s for s in stages if "cargo chef prepare" in run_text(s)]
    check(len(planners) == 1, "a planner stage runs `cargo chef prepare`")
    if builders:
        builder = builders[0]
        check(base_image(builder).startswith("rust:1-bookworm"),
              f"builder is based on the official rust:1-bookworm image ({base_image(builder)})")
        runs = run_text(builder)
        check("cargo chef cook" in runs and runs.index("cargo chef cook") < runs.index("cargo build"),
              "builder cooks dependencies (cargo chef cook) before building")
        check(any(w == "COPY" and "recipe.json" in r for w, r in builder["steps"]),
              "builder copies only the recipe before cooking")
        check("--release" in runs and "--locked" in runs, "release build with --locked")
        bins = sorted(args.get("BINS", "").split())
        expected = workspace_binaries()
        check(bins == expected, f"BINS {bins} are the workspace's binaries {expected}")
        for command in ("cargo chef cook", "cargo build"):
            run = next((r for w, r in builder["steps"] if w == "RUN" and command in r), "")
            check(all(re.search(rf"(^|\s){re.escape(b)}(\s|;|$)", run) for b in expected),
                  f"`{command}` takes every binary (the same features in both steps)")

    final = stages[-1]
    image = final["image"]
    check(final["name"] != None and base_image(final) == image,
          f"final stage {final['name']} starts from an image, not from a build stage")
    check(image.startswith("gcr.io/distroless/") or "-slim" in image,
          f"final stage is a minimal runtime image ({image})")
    users = [r for w, r in final["steps"] if w == "USER"]
    user = users[-1].split(":")[0] if users else "root"
    check(bool(users) and user not in ("root", "0"), f"final stage runs as non-root USER {user}")
    final_text = " ".join(f"{w} {r}" for w, r in final["steps"])
    for tool in ("cargo", "rustc", "rustup", "apt-get", "gcc"):
        check(not re.search(rf"\b{tool}\b", final_text), f"no {tool} in the final stage")
    check(not any(w == "RUN" for w, _ in final["steps"]), "no RUN in the final stage (nothing installed)")
    copied = []
    for word, rest in final["steps"]:
        if word == "COPY":
            parts = shlex.split(rest)
            flags = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            check(any(f.startswith("--from=") for f in flags), f"final COPY comes from a build stage: {rest}")
            copied += [os.path.basename(p) for p in paths[:-1]]
            check(paths[-1] == "/usr/local/bin/", f"binaries land in /usr/local/bin/ ({paths[-1]})")
    for binary in workspace_binaries():
        check(binary in copied, f"final stage copies {binary}")

    ignore = [l.strip() for l in open(os.path.join(ROOT, ".dockerignore")) if l.strip() and not l.startswith("#")]
    for needed in ("target", ".git"):
        check(needed in ignore, f".dockerignore excludes {needed}")
    needed = {"Cargo.toml", "Cargo.lock", "proto", "migrations", "crates", "services", "tests", "xtask"}
    excluded = {p.strip("/") for p in ignore if not p.startswith("!")}
    check(not (needed & excluded), f".dockerignore keeps what cargo reads ({sorted(needed)})")
    print(f"{len(failures)} failed" if failures else "Dockerfile structure: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
