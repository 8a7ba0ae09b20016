"""witness_record.py - read the pfwitness record (its --json or --csv
output) by field name.  Python 3 stdlib only.

The record is defined once, in include/pfprof/witness_record.h, and
described in docs/witness.md ("The record").  Readers take fields by name
and ignore names they do not know, so fields a newer pfwitness adds break
nothing and fields it lacks read as absent; a record whose major version
this module does not know is refused (RecordError).

    import witness_record as wr
    rec = wr.read(path)            # JSON or CSV, told apart by the first byte
    rec = wr.read_csv(lines)       # any iterable of CSV lines
    rec = wr.read_json(text)

Either gives the same shape:
    {"version": (major, minor),
     "sources": {name: {"attached": bool, "method": str, "reason": str}},
     "intervals": [row], "totals": [row], "programs": [{"name": ..., ...}],
     "wait4": {...} or None, "untraced": {...}, "lost_map_full": int or None}
where a row is a dict: seq, jiffies, mono_ns, secs (intervals only), pid,
comm and every counter under its name (ints; pid None when empty).
"""
import csv
import json
import os

MAJOR = 1  # the record major version this reader knows
TAG = "pfwitness-record"
ROW_FIELDS = ("type", "seq", "jiffies", "mono_ns", "secs", "pid", "comm")


class RecordError(ValueError):
    """Not a pfwitness record this reader can read."""


def _version(text, where):
    try:
        major, minor = (int(x) for x in str(text).strip().split("."))
    except ValueError:
        raise RecordError(f"{where}: bad {TAG} version {text!r}") from None
    if major != MAJOR:
        raise RecordError(f"{where}: witness record version {major}.{minor}; this reader "
                          f"(experiments/lib/witness_record.py) reads version {MAJOR}.x only")
    return major, minor


def _num(v):
    """A field's value: int, float, or the text as it is ("" stays "")."""
    if v is None:
        return None
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def _empty():
    return {"version": None, "sources": {}, "intervals": [], "totals": [], "programs": [],
            "wait4": None, "untraced": {}, "lost_map_full": None}


def _keyed(fields):
    """key=value fields after a row's name, as a dict (unknown keys kept)."""
    out = {}
    for f in fields:
        k, eq, v = f.partition("=")
        if eq:
            out[k] = _num(v)
    return out


def read_csv(lines, where="witness CSV"):
    """The record from pfwitness --csv lines (other '#' lines are skipped;
    the version line must come before the header)."""
    rec, header = _empty(), None
    for line in lines:
        line = line.rstrip("\r\n")
        if line.startswith("#"):
            rest = line[1:].strip()
            if rest.startswith(TAG + " "):
                rec["version"] = _version(rest[len(TAG) + 1:], where)
            continue
        if not line:
            continue
        f = next(csv.reader([line]))
        if f[0] == "type":
            if rec["version"] is None:
                raise RecordError(f"{where}: no '# {TAG}' line before the header")
            header = f
            continue
        if header is None:
            continue
        row = dict(zip(header, f))
        kind = row.get("type")
        if kind in ("interval", "total"):
            d = {k: _num(v) for k, v in row.items() if k != "type" and k != "comm"}
            d["comm"] = row.get("comm", "")
            d["pid"] = d.get("pid") if d.get("pid") != "" else None
            if kind == "total":
                for k in ("seq", "jiffies", "mono_ns", "secs"):
                    d.pop(k, None)
            rec["intervals" if kind == "interval" else "totals"].append(d)
            continue
        # rows with a name (in comm) and key=value fields after it
        ci = header.index("comm") if "comm" in header else len(header)
        name, kv = (f[ci] if ci < len(f) else ""), _keyed(f[ci + 1:])
        if kind == "source":
            rec["sources"][name] = {"attached": bool(kv.get("attached")),
                                    "method": str(kv.get("method", "")),
                                    "reason": str(kv.get("reason", ""))}
        elif kind == "program":
            rec["programs"].append(dict(name=name, **kv))
        elif kind == "wait4":
            pid = row.get("pid", "")
            rec["wait4"] = dict(pid=_num(pid) if pid else None, comm=name, **kv)
        elif kind == "untraced":
            rec["untraced"] = kv
        elif kind == "lost" and ci + 1 < len(f):
            rec["lost_map_full"] = _num(f[ci + 1])
    if rec["version"] is None:
        raise RecordError(f"{where}: no '# {TAG}' line")
    return rec


def read_json(text, where="witness JSON"):
    """The record from pfwitness --json output (a str)."""
    d = json.loads(text)
    if "record" not in d:
        raise RecordError(f"{where}: no \"record\" version")
    rec = _empty()
    rec["version"] = _version(d["record"], where)
    for name, s in d.get("sources", {}).items():
        if isinstance(s, dict):
            rec["sources"][name] = {"attached": bool(s.get("attached")),
                                    "method": s.get("method", ""), "reason": s.get("reason", "")}
    for iv in d.get("intervals", []):
        stamp = {k: v for k, v in iv.items() if k != "procs"}
        for p in iv.get("procs", []):
            rec["intervals"].append({**stamp, **p})
    rec["totals"] = list(d.get("totals", []))
    rec["programs"] = list(d.get("programs", []))
    rec["wait4"] = d.get("wait4")
    rec["untraced"] = d.get("untraced_switches", {})
    rec["lost_map_full"] = d.get("lost_map_full")
    return rec


def read(path):
    """The record in the file @path, JSON or CSV."""
    with open(path, errors="replace") as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        return read_json(text, path)
    return read_csv(text.splitlines(), path)


def attached(rec):
    """{source name: attached} for every source the record names."""
    return {k: v["attached"] for k, v in rec["sources"].items()}


def _main(argv):
    """witness_record.py FILE: print the record's version, sources and
    totals (by name); exit 1 if it is refused."""
    import sys
    if len(argv) != 2:
        print("usage: witness_record.py FILE", file=sys.stderr)
        return 2
    try:
        rec = read(argv[1])
    except (RecordError, OSError, ValueError) as e:
        print(f"{os.path.basename(argv[0])}: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"version": "%d.%d" % rec["version"], "sources": attached(rec),
                      "totals": rec["totals"], "wait4": rec["wait4"]}, sort_keys=True))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main(sys.argv))
