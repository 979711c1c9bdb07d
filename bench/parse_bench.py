"""The parser against the raw lxml scan, several rounds: prints CPU s, wall s, peak RSS, ratio.

    .venv/bin/python bench/parse_bench.py                   # the feed import_bench.py left
    .venv/bin/python bench/parse_bench.py --rounds 7 --out bench/out

The feed is the Complet in OUT/complet (``import_bench.py --schools 40`` writes a city). Each
step runs in a fresh process (peak RSS per step; no Django, no database: the parser is pure):
``raw`` is import_bench's floor (tag-filtered iterparse, every value's text touched, elements
cleared), ``parse`` is FeedReader over the same files. A round runs both, one after the other;
on a loaded machine the ratio of the minima is the steadiest figure. Also prints the load.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(name: str, out: Path) -> dict:
    from import_bench import _peak_rss_mb, _raw_scan

    from imports.aaf import FeedReader

    paths = sorted((out / "complet").glob("*.xml"))
    cpu, wall = time.process_time(), time.perf_counter()
    if name == "raw":
        records = _raw_scan(paths)
    else:
        records = 0
        for path in paths:
            for _ in FeedReader(path):
                records += 1
    return {
        "cpu": time.process_time() - cpu,
        "seconds": time.perf_counter() - wall,
        "records": records,
        "peak_rss_mb": _peak_rss_mb(),
        "mb": sum(path.stat().st_size for path in paths) / 2**20,
    }


def run(name: str, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--step")
    args = parser.parse_args()
    out = Path(args.out)
    if args.step:
        print(json.dumps(child(args.step, out)))
        return
    if not any((out / "complet").glob("*.xml")):
        raise SystemExit(f"no feed in {out / 'complet'}: run import_bench.py --schools 40 first")
    print(f"load before: {os.getloadavg()}")
    results: dict[str, list[dict]] = {"raw": [], "parse": []}
    for round_ in range(1, args.rounds + 1):
        for name in ("raw", "parse"):
            results[name].append(run(name, out))
        raw, parse = results["raw"][-1], results["parse"][-1]
        print(
            f"round {round_}: raw CPU {raw['cpu']:.2f} s (wall {raw['seconds']:.2f}, "
            f"{raw['mb'] / raw['cpu']:.0f} MB/s, peak RSS {raw['peak_rss_mb']:.0f} MB) | "
            f"parse CPU {parse['cpu']:.2f} s (wall {parse['seconds']:.2f}, "
            f"{parse['mb'] / parse['cpu']:.0f} MB/s, peak RSS {parse['peak_rss_mb']:.0f} MB, "
            f"{parse['records']} records) | parse / raw = {parse['cpu'] / raw['cpu']:.2f}"
        )
    raws = [result["cpu"] for result in results["raw"]]
    parses = [result["cpu"] for result in results["parse"]]
    print(
        f"CPU s: parse / raw = {min(parses) / min(raws):.2f} (minima), "
        f"{statistics.median(parses) / statistics.median(raws):.2f} (medians); target ≤ 2"
    )
    print(f"load after: {os.getloadavg()}; CPU of all steps {_children_cpu():.1f} s")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
