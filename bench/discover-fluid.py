#!/usr/bin/env python3
"""Turns the Fluid Project's public Jira (github fluid-project/jira-to-11ty, BSD-3; one issue per
`src/issues/*.md` with JSON front matter) into a Jira-like CSV for `runway tickets analyze`, and
scores the groups Runway finds against the issues' own labels (issue type, component, project).

Their data is not committed: the script reads a local mirror of the repository with `git archive`.

    python3 bench/discover-fluid.py MIRROR_GIT_DIR OUT.csv            # convert
    runway tickets analyze OUT.csv --json --members --top 20 > OUT.json
    python3 bench/discover-fluid.py --score OUT.csv OUT.json          # purity and coverage

The export has no resolution date; for closed issues the `updated` time stands in for it (a proxy,
said so in docs/discover.md).
"""
import collections
import csv
import io
import json
import subprocess
import sys
import tarfile

CLOSED = {"Closed", "Done", "Resolved", "Won't Fix"}


def jira_date(iso):
    # 2018-06-18T14:56:35.432-0400 is already a format Runway reads; keep it as it is.
    return iso or ""


def convert(mirror, out_path):
    archive = subprocess.run(
        ["git", "--git-dir", mirror, "archive", "HEAD", "src/issues"],
        check=True, capture_output=True,
    ).stdout
    rows = []
    max_components = 1
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".md"):
                continue
            text = tar.extractfile(member).read().decode("utf-8", "replace")
            if not text.startswith("---json"):
                continue
            end = text.index("\n---", 7)
            issue = json.loads(text[7:end])
            components = [c if isinstance(c, str) else c.get("name", "") for c in issue.get("components") or []]
            max_components = max(max_components, len(components))
            resolved = issue.get("updated") if issue.get("status") in CLOSED else ""
            rows.append([
                issue.get("summary", ""), issue.get("title", ""), issue.get("type", ""),
                issue.get("status", ""), jira_date(issue.get("date")), jira_date(resolved),
                (issue.get("project") or {}).get("key", ""), components,
            ])
    rows.sort(key=lambda r: r[1])
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Summary", "Issue key", "Issue Type", "Status", "Created", "Resolved",
                    "Custom field (Team)"] + ["Component/s"] * max_components)
        for r in rows:
            w.writerow(r[:7] + r[7] + [""] * (max_components - len(r[7])))
    print(f"{len(rows)} issues written to {out_path}", file=sys.stderr)


def score(csv_path, json_path):
    labels = {}
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        for row in reader:
            components = [c for c in row[7:] if c]
            labels[row[1]] = {
                "type": row[2],
                "component": components[0] if components else "(none)",
                "project": row[6],
            }
    result = json.load(open(json_path))
    groups = result["report"]["groups"]
    total = result["report"]["tickets"]
    covered = sum(g["tickets"] for g in groups)
    print(f"{len(groups)} groups shown hold {covered} of {total} tickets ({covered / total:.1%})")
    for label in ["type", "component", "project"]:
        pure, weighted = [], 0
        for g in groups:
            keys = result["members"][g["id"]]
            counts = collections.Counter(labels[k][label] for k in keys if k in labels)
            best = counts.most_common(1)[0][1] if counts else 0
            pure.append(best / max(len(keys), 1))
            weighted += best
        mean = sum(pure) / max(len(pure), 1)
        print(f"purity against {label:9}: mean {mean:.1%}, ticket-weighted {weighted / max(covered, 1):.1%}, "
              f"groups >= 80 %: {sum(p >= 0.8 for p in pure)} of {len(pure)}")
    for g in groups:
        keys = result["members"][g["id"]]
        counts = {l: collections.Counter(labels[k][l] for k in keys).most_common(1)[0] for l in ["type", "component", "project"]}
        print(f"  {g['rank']:>2} {g['tickets']:>5} {g['label'][:42]:42} " +
              "  ".join(f"{l}={v[0][:18]} {v[1] / len(keys):.0%}" for l, v in counts.items()))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--score":
        score(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        convert(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
