#!/usr/bin/env python3
"""Structure checks for the monitoring assets, run by check.sh (which also runs promtool and
docker-compose). Python 3 standard library; the checks that read YAML need PyYAML (Debian: python3-yaml)
and say so when it is missing.

    python3 check-assets.py rules            alert rules: labels, annotations, for:, and unit-test coverage
    python3 check-assets.py dashboard        dashboard JSON: what Grafana needs to import and render it
    python3 check-assets.py dashboard-rules  prints the dashboard's queries as a rule file, for promtool to parse
    python3 check-assets.py metrics          README-assets.md lists the metric names used and every dashboard query
    python3 check-assets.py compose-ports    every port published by `docker-compose config` (stdin) is on 127.0.0.1

Exit status 0 when the check passes, 1 with one line per problem on stderr, 3 when PyYAML is missing.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "prometheus", "rules", "watchtower-alerts.yml")
TESTS = os.path.join(HERE, "prometheus", "rules", "tests")
DASHBOARD = os.path.join(HERE, "grafana", "dashboards", "watchtower-worker.json")
NOTE = os.path.join(HERE, "README-assets.md")

# What the dashboard's variables are replaced with when its queries are checked outside Grafana.
SUBSTITUTIONS = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "15s"}
VARIABLES = ("namespace", "task_queue", "workflow_type")


def load_yaml(path):
    try:
        import yaml  # noqa: PLC0415 (optional dependency, imported where needed)
    except ImportError:
        print("PyYAML is missing: apt-get install python3-yaml (or pip install pyyaml)", file=sys.stderr)
        sys.exit(3)
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def duration_seconds(text):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    total = 0.0
    for number, unit in re.findall(r"(\d+)(ms|s|m|h|d)", text or "0s"):
        total += int(number) * units[unit]
    return total


def check_rules():
    problems = []
    rules = [r for g in load_yaml(RULES)["groups"] for r in g["rules"]]
    names = [r.get("alert") for r in rules]
    for rule in rules:
        name = rule.get("alert") or rule.get("record")
        if "alert" not in rule:
            problems.append(f"{name}: only alerting rules are expected here")
            continue
        if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
            problems.append(f"{name}: labels.severity must be warning or critical")
        annotations = rule.get("annotations", {})
        for key in ("summary", "runbook"):
            text = annotations.get(key, "")
            if not text.strip():
                problems.append(f"{name}: annotations.{key} is missing")
            elif "\n" in text.strip():
                problems.append(f"{name}: annotations.{key} must be one line")
        if duration_seconds(rule.get("for")) < 300:
            problems.append(f"{name}: for: is under 5m, too short to ride out a worker restart")
    if len(set(names)) != len(names):
        problems.append("alert names are not unique")

    fires, quiet = set(), set()
    for file in sorted(os.listdir(TESTS)):
        if not file.endswith((".yml", ".yaml")):
            continue
        for test in load_yaml(os.path.join(TESTS, file)).get("tests", []):
            for case in test.get("alert_rule_test", []):
                (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    for name in names:
        if name not in fires:
            problems.append(f"{name}: no unit test expects it to fire")
        if name not in quiet:
            problems.append(f"{name}: no unit test expects it to stay quiet")
    unknown = (fires | quiet) - set(names)
    for name in sorted(unknown):
        problems.append(f"tests name an alert that does not exist: {name}")
    return problems


def dashboard_queries(dashboard):
    """(where, expression) for every panel target and every query variable."""
    for panel in dashboard.get("panels", []):
        for inner in [panel] + panel.get("panels", []):
            for target in inner.get("targets", []):
                yield f'panel "{inner.get("title")}" {target.get("refId")}', target.get("expr", "")
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            query = query.get("query") if isinstance(query, dict) else query
            match = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", query or "", re.S)
            yield f'variable "{variable.get("name")}"', match.group(1) if match else (query or "")


def substitute(expr):
    for key, value in SUBSTITUTIONS.items():
        expr = expr.replace(key, value)
    for name in VARIABLES:
        expr = expr.replace("${" + name + "}", ".*").replace("$" + name, ".*")
    return expr


def check_dashboard():
    problems = []
    with open(DASHBOARD, encoding="utf-8") as f:
        dashboard = json.load(f)
    for key in ("uid", "title", "schemaVersion", "panels", "templating"):
        if key not in dashboard:
            problems.append(f"top level: {key} is missing")
    if not 36 <= dashboard.get("schemaVersion", 0) <= 41:
        problems.append(f"schemaVersion {dashboard.get('schemaVersion')} is not one Grafana 10-11 writes (36-41)")
    if dashboard.get("id") not in (None,):
        problems.append("top level: id must be null (or absent) so that provisioning and import assign one")

    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append('variable "datasource" must be of type datasource with query prometheus')
    for name in VARIABLES:
        v = variables.get(name)
        if not v:
            problems.append(f'variable "{name}" is missing')
            continue
        query = v.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if v.get("type") != "query" or not str(query).startswith("label_values("):
            problems.append(f'variable "{name}" must be a label_values query')
        if not (v.get("multi") and v.get("includeAll")):
            problems.append(f'variable "{name}" must allow several values and All')
        if v.get("allValue") != ".*":
            problems.append(f'variable "{name}": allValue should be .* (used in =~ matchers)')
        if (v.get("datasource") or {}).get("uid") != "${datasource}":
            problems.append(f'variable "{name}" must query the ${{datasource}} variable')

    ids, occupied = set(), {}
    for panel in dashboard.get("panels", []):
        pid, title, kind = panel.get("id"), panel.get("title"), panel.get("type")
        where = f'panel {pid} "{title}"'
        if pid in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(pid)
        if not title:
            problems.append(f"{where}: no title")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            problems.append(f"{where}: gridPos needs integer x, y, w, h")
            continue
        if grid["x"] < 0 or grid["x"] + grid["w"] > 24:
            problems.append(f"{where}: gridPos is outside the 24 columns")
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                if (x, y) in occupied:
                    problems.append(f"{where}: overlaps panel {occupied[(x, y)]}")
                    break
                occupied[(x, y)] = pid
            else:
                continue
            break
        if kind == "row":
            continue
        if kind not in ("timeseries", "stat", "state-timeline", "table", "gauge", "bargauge", "text"):
            problems.append(f"{where}: unexpected panel type {kind}")
        if (panel.get("datasource") or {}).get("uid") != "${datasource}":
            problems.append(f"{where}: datasource must be the ${{datasource}} variable")
        targets = panel.get("targets", [])
        if not targets:
            problems.append(f"{where}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs) or None in refs:
            problems.append(f"{where}: refIds must be present and unique")
        for target in targets:
            expr = target.get("expr", "")
            if not expr.strip():
                problems.append(f"{where}: a target has no expr")
            if (target.get("datasource") or {}).get("uid") != "${datasource}":
                problems.append(f"{where} {target.get('refId')}: target datasource must be ${{datasource}}")
            for name in VARIABLES:
                if f"${name}" in expr and not re.search(rf'=~\s*"\${name}"', expr):
                    problems.append(f"{where}: ${name} must only appear as =~\"${name}\"")
        if "fieldConfig" not in panel:
            problems.append(f"{where}: no fieldConfig")
    return problems


def dashboard_rules():
    with open(DASHBOARD, encoding="utf-8") as f:
        dashboard = json.load(f)
    lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
    for index, (where, expr) in enumerate(dashboard_queries(dashboard)):
        lines.append(f"      # {where}")
        lines.append(f"      - record: dashboard:query_{index}")
        lines.append("        expr: " + json.dumps(substitute(expr)))
    print("\n".join(lines))
    return []


KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan"}


def metric_names(expr):
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", expr):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(re.sub(r"_(bucket|sum|count)$", "", name))
    return names


def used_metrics():
    used = set()
    for group in load_yaml(RULES)["groups"]:
        for rule in group["rules"]:
            used |= metric_names(rule["expr"])
    with open(DASHBOARD, encoding="utf-8") as f:
        for _, expr in dashboard_queries(json.load(f)):
            used |= metric_names(expr)
    return used


def check_metrics():
    used = used_metrics()
    with open(NOTE, encoding="utf-8") as f:
        note = f.read()
    section = note.split("## Metric names", 1)[-1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^- `([a-zA-Z_:][a-zA-Z0-9_:]*)`", section, re.M))
    problems = [f"used but not listed in README-assets.md: {n}" for n in sorted(used - listed)]
    problems += [f"listed in README-assets.md but not used: {n}" for n in sorted(listed - used)]
    lines = set(note.splitlines())
    with open(DASHBOARD, encoding="utf-8") as f:
        for where, expr in dashboard_queries(json.load(f)):
            if expr not in lines:
                problems.append(f"{where}: query not listed verbatim in README-assets.md")
    return problems


def check_compose_ports():
    config = sys.stdin.read()
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        yaml = None
    problems = []
    if yaml:
        services = (yaml.safe_load(config) or {}).get("services", {})
        for name, service in services.items():
            for port in service.get("ports", []):
                host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
                if host_ip != "127.0.0.1":
                    problems.append(f"service {name}: port {port} is not bound to 127.0.0.1")
    else:
        for line in config.splitlines():
            m = re.match(r"\s*-\s*['\"]?([^'\"]+)['\"]?\s*$", line)
            if m and re.fullmatch(r"[\d.]*:?\d+:\d+(/\w+)?", m.group(1)) and not m.group(1).startswith("127.0.0.1:"):
                problems.append(f"port {m.group(1)} is not bound to 127.0.0.1")
    return problems


COMMANDS = {
    "rules": check_rules,
    "dashboard": check_dashboard,
    "dashboard-rules": dashboard_rules,
    "metrics": check_metrics,
    "compose-ports": check_compose_ports,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    found = COMMANDS[sys.argv[1]]()
    for problem in found:
        print(problem, file=sys.stderr)
    sys.exit(1 if found else 0)
