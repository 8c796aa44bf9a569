#!/usr/bin/env python3
"""Offline checks of what the chart ships for observability.

  * dashboards: every helm/comptoir/dashboards/*.json parses, has a uid (unique), a title
    and a schemaVersion, takes its Prometheus datasource from a `datasource` variable
    (and the RED dashboard its Tempo one from `tempo`), and every PromQL expression in it
    (panel targets and query variables) names only metrics the services export, labels
    they carry and PromQL's own functions and keywords: a misspelt metric, label or
    function fails;
  * each dashboard is shipped, unchanged but for the Tempo datasource's starting value,
    by one ConfigMap labelled for the Grafana sidecar in every render given;
  * metrics ports: every service container names a `metrics` port, binds
    COMPTOIR_METRICS_ADDR to it, its Service exposes it, and its NetworkPolicy (when
    rendered) lets only metrics.scrapeFrom reach it;
  * the ServiceMonitor (a CRD, which kubernetes-validate cannot check) in the render made
    with it enabled: its apiVersion and kind, a selector matching exactly the five
    services' Services, an endpoint on their `metrics` port and /metrics, honorLabels.

  check_observability.py --values VALUES --monitoring RENDER RENDER...
  check_observability.py --dashboard FILE...     only the dashboard checks, on FILEs
"""

import argparse
import glob
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = os.path.join(ROOT, "helm", "comptoir")
SERVICES = ("identity", "tenancy", "billing", "accountant-portal", "export")

# The series the services export (crates/runtime/src/metrics.rs, plus billing's own
# invoice counter). A dashboard naming anything else watches nothing.
METRICS = {
    "comptoir_grpc_requests_total",
    "comptoir_grpc_request_duration_seconds_bucket",
    "comptoir_grpc_request_duration_seconds_sum",
    "comptoir_grpc_request_duration_seconds_count",
    "comptoir_outbox_backlog",
    "comptoir_outbox_published_total",
    "comptoir_consumer_lag",
    "comptoir_events_handled_total",
    "comptoir_invoices_issued_total",
}
# Announced, not emitted yet: its panel says so.
NOT_YET_EMITTED = {"comptoir_invoices_issued_total"}
# Their labels, the histogram's `le`, and the target labels Prometheus adds.
LABELS = {"service", "method", "code", "consumer", "outcome", "le",
          "job", "instance", "namespace", "pod", "container", "endpoint"}
PROMQL_WORDS = {
    # aggregations and their modifiers
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "atan2",
    # functions
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max",
    "clamp_min", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta",
    "deriv", "exp", "floor", "histogram_avg", "histogram_count", "histogram_fraction",
    "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum",
    "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace",
    "ln", "log2", "log10", "minute", "month", "predict_linear", "rate", "resets", "round",
    "scalar", "sgn", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt",
    "time", "timestamp", "vector", "year", "avg_over_time", "min_over_time",
    "max_over_time", "sum_over_time", "count_over_time", "quantile_over_time",
    "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time",
    "inf", "nan",
}
LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")


def promql_problems(expr):
    """Names in a PromQL expression that are not known metrics, labels or PromQL."""
    problems = []
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    for matchers in re.findall(r"\{([^{}]*)\}", text):
        for label in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
            if label not in LABELS:
                problems.append(f"unknown label {label!r}")
    text = re.sub(r"\{[^{}]*\}", " ", text)
    for _, labels in LABEL_LIST.findall(text):
        for label in filter(None, (l.strip() for l in labels.split(","))):
            if label not in LABELS:
                problems.append(f"unknown label {label!r}")
    text = LABEL_LIST.sub(r" \1 ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)                   # ranges, subqueries
    text = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", " 0 ", text)  # Grafana variables
    text = re.sub(r"\b\d+(\.\d+)?([eE][+-]?\d+)?\b", " ", text)
    names = re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text)
    metrics = [n for n in names if n not in PROMQL_WORDS]
    for name in metrics:
        if name not in METRICS:
            kind = "metric" if name.startswith("comptoir_") else "name (a misspelt metric or function?)"
            problems.append(f"unknown {kind} {name!r}")
    if not metrics:
        problems.append("names no metric")
    return problems


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def expressions(dashboard):
    """(where, PromQL) of every Prometheus query: panel targets and query variables."""
    for panel in walk(dashboard.get("panels", [])):
        if "expr" in panel:
            yield f"panel target {panel.get('refId', '?')}", panel["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        query = query.get("query", "") if isinstance(query, dict) else query or ""
        where = f"variable {variable.get('name')}"
        inner = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", query)
        if inner:
            if inner.group(2) not in LABELS:
                yield where, f"{{{inner.group(2)}=\"\"}}"      # reported as an unknown label
            yield where, inner.group(1)
        elif not re.fullmatch(r"\s*label_values\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*", query):
            yield where, query


def check_dashboard(path, dashboard, uids):
    failures = []
    fail = failures.append
    for key, kind in (("uid", str), ("title", str), ("schemaVersion", int)):
        if not isinstance(dashboard.get(key), kind) or dashboard.get(key) in ("", 0):
            fail(f"no {key}")
    uid = dashboard.get("uid")
    if uid in uids:
        fail(f"uid {uid!r} also used by {uids[uid]}")
    uids[uid] = path
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    datasource = variables.get("datasource", {})
    if datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        fail("no `datasource` variable of type datasource, query prometheus")
    allowed = {"${datasource}"}
    if "tempo" in variables:
        tempo = variables["tempo"]
        if tempo.get("type") != "datasource" or tempo.get("query") != "tempo":
            fail("variable `tempo` is not a datasource variable of query tempo")
        allowed.add("${tempo}")
    for node in walk(dashboard.get("panels", [])):
        ds = node.get("datasource")
        if isinstance(ds, dict) and ds.get("uid") not in allowed:
            fail(f"a datasource uid {ds.get('uid')!r} instead of a variable ({sorted(allowed)})")
        elif isinstance(ds, str):
            fail(f"a datasource given by name ({ds!r}) instead of a variable")
    count = 0
    for where, expr in expressions(dashboard):
        count += 1
        for problem in promql_problems(expr):
            fail(f"{where}: {problem}: {expr}")
    if not count:
        fail("no PromQL expression")
    return failures, count


def load_dashboards(paths):
    dashboards, failures = {}, 0
    uids = {}
    for path in paths:
        name = os.path.relpath(path, ROOT)
        try:
            dashboard = json.load(open(path))
        except json.JSONDecodeError as err:
            print(f"FAIL {name}: not JSON: {err}")
            failures += 1
            continue
        problems, count = check_dashboard(name, dashboard, uids)
        for problem in problems:
            print(f"FAIL {name}: {problem}")
        if problems:
            failures += 1
        else:
            print(f"ok   {name}: {dashboard['title']!r} (uid {dashboard['uid']}), "
                  f"{count} PromQL expressions, known metrics and labels only")
        dashboards[os.path.basename(path)] = dashboard
    return dashboards, failures


def without_tempo_start(dashboard):
    dashboard = json.loads(json.dumps(dashboard))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("name") == "tempo":
            variable["current"] = {}
    return dashboard


def check_shipped(render, docs, dashboards, values):
    label, value = values["dashboards"]["label"], values["dashboards"]["labelValue"]
    shipped = {}
    for doc in docs:
        if doc["kind"] != "ConfigMap" or doc["metadata"].get("labels", {}).get(label) != value:
            continue
        for key, text in doc.get("data", {}).items():
            shipped[key] = (doc["metadata"]["name"], json.loads(text))
    failures = 0
    for name, dashboard in sorted(dashboards.items()):
        key = f"comptoir-{name}"
        if key not in shipped:
            print(f"FAIL {render}: no ConfigMap labelled {label}={value} ships {name}")
            failures += 1
        elif without_tempo_start(shipped[key][1]) != without_tempo_start(dashboard):
            print(f"FAIL {render}: ConfigMap {shipped[key][0]} ships a different {name}")
            failures += 1
    extra = set(shipped) - {f"comptoir-{n}" for n in dashboards}
    if extra:
        print(f"FAIL {render}: dashboards with no file in the chart: {sorted(extra)}")
        failures += 1
    if not failures:
        print(f"ok   {render}: {len(dashboards)} dashboards shipped, labelled {label}={value}")
    return failures


def component(doc):
    return doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def check_ports(render, docs, values):
    failures = []
    fail = failures.append
    by_kind = {}
    for doc in docs:
        if component(doc) in SERVICES:
            by_kind.setdefault(doc["kind"], {})[component(doc)] = doc
    scrape_from = values["metrics"]["scrapeFrom"]
    for name in SERVICES:
        expected = values["services"][name]["metricsPort"]
        deployment = by_kind.get("Deployment", {}).get(name)
        if not deployment:
            fail(f"no Deployment of {name}")
            continue
        pod = deployment["spec"]["template"]
        (container,) = [c for c in pod["spec"]["containers"] if c["name"] == name]
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        if ports.get("metrics") != expected:
            fail(f"{name}: container port `metrics` is {ports.get('metrics')}, not {expected}")
        if env.get("COMPTOIR_METRICS_ADDR") != f"0.0.0.0:{expected}":
            fail(f"{name}: COMPTOIR_METRICS_ADDR is {env.get('COMPTOIR_METRICS_ADDR')!r}")
        if ports.get("grpc") != values["services"][name]["port"]:
            fail(f"{name}: gRPC port moved to {ports.get('grpc')}")
        annotations = pod["metadata"].get("annotations", {})
        if values["metrics"]["scrapeAnnotations"]:
            want = {"prometheus.io/scrape": "true", "prometheus.io/port": str(expected),
                    "prometheus.io/path": "/metrics"}
            if {k: annotations.get(k) for k in want} != want:
                fail(f"{name}: scrape annotations {annotations}")
        elif any(k.startswith("prometheus.io/") for k in annotations):
            fail(f"{name}: scrape annotations while metrics.scrapeAnnotations is off")
        service = by_kind.get("Service", {}).get(name)
        service_ports = {p["name"]: p for p in (service or {}).get("spec", {}).get("ports", [])}
        metrics = service_ports.get("metrics")
        if not metrics or metrics["port"] != expected or metrics.get("targetPort") != "metrics":
            fail(f"{name}: Service has no port `metrics` {expected} -> metrics: {metrics}")
        policy = by_kind.get("NetworkPolicy", {}).get(name)
        if policy:
            rules = [r for r in policy["spec"].get("ingress", [])
                     if any(p.get("port") in ("metrics", expected) for p in r.get("ports", []))]
            peers = [peer for rule in rules for peer in rule.get("from", [])]
            if any(not rule.get("from") for rule in rules) or peers != scrape_from:
                fail(f"{name}: NetworkPolicy lets {peers or 'anyone'} scrape, not metrics.scrapeFrom")
    for failure in failures:
        print(f"FAIL {render}: {failure}")
    if not failures:
        print(f"ok   {render}: metrics ports {[values['services'][n]['metricsPort'] for n in SERVICES]} "
              f"on pods, Services, COMPTOIR_METRICS_ADDR and NetworkPolicies")
    return len(failures)


def matches(selector, labels):
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def check_service_monitor(render, docs, values):
    failures = []
    fail = failures.append
    monitors = [d for d in docs if d["kind"] == "ServiceMonitor"]
    if len(monitors) != 1:
        print(f"FAIL {render}: {len(monitors)} ServiceMonitors, expected one")
        return 1
    (monitor,) = monitors
    sm = values["metrics"]["serviceMonitor"]
    if monitor.get("apiVersion") != "monitoring.coreos.com/v1":
        fail(f"apiVersion {monitor.get('apiVersion')}")
    extra = set(monitor) - {"apiVersion", "kind", "metadata", "spec"}
    if extra:
        fail(f"unexpected fields {sorted(extra)}")
    spec = monitor.get("spec", {})
    known = {"jobLabel", "namespaceSelector", "selector", "endpoints", "targetLabels",
             "podTargetLabels", "sampleLimit", "attachMetadata"}
    if set(spec) - known:
        fail(f"unknown spec fields {sorted(set(spec) - known)}")
    labels = monitor["metadata"].get("labels", {})
    for key, value in sm["labels"].items():
        if labels.get(key) != value:
            fail(f"label {key}={value} missing")
    services = [d for d in docs if d["kind"] == "Service"]
    selected = [s for s in services if matches(spec.get("selector", {}), s["metadata"].get("labels", {}))]
    names = sorted(component(s) for s in selected)
    if names != sorted(SERVICES):
        fail(f"selector picks {names}, not the five services")
    namespaces = spec.get("namespaceSelector", {})
    if not (namespaces.get("any") or namespaces.get("matchNames")):
        if sm["namespace"]:
            fail("in another namespace than the release's, but no namespaceSelector")
    endpoints = spec.get("endpoints", [])
    if not endpoints:
        fail("no endpoints")
    for endpoint in endpoints:
        port = endpoint.get("port")
        for service in selected:
            if port not in {p.get("name") for p in service["spec"]["ports"]}:
                fail(f"endpoint port {port!r} is not a port name of Service {service['metadata']['name']}")
        if endpoint.get("path", "/metrics") != "/metrics":
            fail(f"endpoint path {endpoint.get('path')}")
        if not endpoint.get("honorLabels"):
            fail("endpoint without honorLabels: the services' `service` label would be renamed")
        for key in ("interval", "scrapeTimeout"):
            if endpoint.get(key) != sm[key]:
                fail(f"endpoint {key} {endpoint.get(key)!r}, values say {sm[key]!r}")
            elif not re.fullmatch(r"([0-9]+(ms|s|m|h))+", str(endpoint[key])):
                fail(f"endpoint {key} {endpoint[key]!r} is not a Prometheus duration")
    for failure in failures:
        print(f"FAIL {render}: ServiceMonitor: {failure}")
    if not failures:
        print(f"ok   {render}: ServiceMonitor {monitor['metadata']['name']} selects the five Services, "
              f"port {endpoints[0]['port']!r} {endpoints[0].get('path')} every {endpoints[0].get('interval')}")
    return len(failures)


def check_sources():
    """The allowlist follows the services: each name is registered in the runtime's metrics."""
    source = open(os.path.join(ROOT, "crates", "runtime", "src", "metrics.rs")).read()
    failures = 0
    for metric in sorted(METRICS - NOT_YET_EMITTED):
        base = re.sub(r"_(bucket|sum|count)$", "", metric) if "duration" in metric else metric
        if f'"{base.removeprefix("comptoir_")}"' not in source:
            print(f"FAIL {metric} is not registered in crates/runtime/src/metrics.rs")
            failures += 1
    if not failures:
        print(f"ok   the {len(METRICS - NOT_YET_EMITTED)} allowed series are registered by the runtime; "
              f"announced, not emitted yet: {sorted(NOT_YET_EMITTED)}")
    return failures


def merged_values(path):
    def merge(base, over):
        for key, value in (over or {}).items():
            base[key] = merge(base.get(key), value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        return base
    values = yaml.safe_load(open(os.path.join(CHART, "values.yaml")))
    return merge(values, yaml.safe_load(open(path))) if path else values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dashboard", nargs="+", help="check only these dashboard files")
    parser.add_argument("--monitoring", help="render with the ServiceMonitor enabled")
    parser.add_argument("--monitoring-values", help="values file of that render")
    parser.add_argument("renders", nargs="*", metavar="PROFILE=RENDER",
                        help="renders to check, each with its profile's values file (or default)")
    args = parser.parse_args()
    if args.dashboard:
        _, failures = load_dashboards(args.dashboard)
        return 1 if failures else 0
    failures = check_sources()
    dashboards, bad = load_dashboards(sorted(glob.glob(os.path.join(CHART, "dashboards", "*.json"))))
    failures += bad
    if not dashboards:
        print("FAIL no dashboards in helm/comptoir/dashboards")
        failures += 1
    renders = [r.split("=", 1) for r in args.renders]
    if args.monitoring:
        renders.append((args.monitoring_values, args.monitoring))
    for values_file, render in renders:
        values = merged_values(None if values_file == "default" else values_file)
        docs = [d for d in yaml.safe_load_all(open(render)) if d]
        name = os.path.basename(render)
        if values["dashboards"]["enabled"]:
            failures += check_shipped(name, docs, dashboards, values)
        failures += check_ports(name, docs, values)
        if render == args.monitoring:
            failures += check_service_monitor(name, docs, values)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
