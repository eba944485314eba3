"""The whole pipeline end to end: articles/second and peak memory by corpus size, in one process
and on Dask workers, against the floor of the unavoidable work on the same input.

    .venv/bin/python bench/pipeline_scale.py [--sizes 1000,10000] [--modes single,workers2,default] [--runs 1]
    .venv/bin/python bench/pipeline_scale.py --stages 1000        # each stage's share of the time
    .venv/bin/python bench/pipeline_scale.py --gva 400 --runs 3   # default against bulk, GVA JSONL
    .venv/bin/python bench/pipeline_scale.py --plot               # redraw the plot from the JSON

Input: real articles set in news pages, in WARC files (see bench/pipeline_corpus.py; sizes
beyond the real articles repeat them with new URLs, dates and words, and the output says so),
generated once per size under --work (a temporary folder, never the project).

End to end is ``storyline ingest FOLDER`` run as a user runs it, in a fresh store: reading the
WARC files, extraction, cleaning, storing, near-duplicate grouping, MiniLM embedding, clustering,
summaries, storing the events, and in the default modes the facts (spaCy's analysis of every
article of a multi-article event). The modes: ``single`` and ``workers2`` are the bulk load
(``--no-facts --lexical-summaries``; the second on Dask, ``--workers 2``), ``default`` and
``default-workers2`` the same with everything on, as the README shows. Peak memory is the largest sum of resident
memory over the command and all its processes (extraction pool, Dask scheduler and workers),
sampled every 0.2 s; the same sampler splits the CPU time by process (the ingest, the processes
it forked to extract, those it spawned to analyse or for Dask), and each run counts the
articles spaCy analysed (rows of ``article_facts``).

The floor is the work no pipeline can skip, on the same pages in the same run: trafilatura's
``bare_extraction`` (fast mode, as storyline uses it) on every page over 2 processes, then
MiniLM (the clustering encoder as it runs: title and lead, 64 word pieces, one text per call, 2
calls at once) on every text it returned. The pipeline's cost is given as a ratio to it.

``--gva N`` times the two modes users choose between on the first N non-empty GVA incident
articles as one JSONL file (issue #21's measure: the default within 1.5x of the bulk load). The
two modes run in turn, default then bulk, ``--runs`` times, so that both see the same load; the
ratio is of the medians. Writes bench/results/default_vs_bulk.json.

Other programs share the 2 cores: the 1-minute load average is printed beside each figure, and
``--runs`` takes the median. Prints tables, writes bench/results/pipeline_scale.json and
bench/results/pipeline_scale.png (time per article against corpus size).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gzip
import json
import multiprocessing
import os
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_corpus import DEFAULT_EVAL, write_warcs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
JSON_PATH = RESULTS / "pipeline_scale.json"
STAGES_PATH = RESULTS / "pipeline_stages.json"
RATIO_PATH = RESULTS / "default_vs_bulk.json"
PLOT_PATH = RESULTS / "pipeline_scale.png"
STORYLINE = [sys.executable, "-m", "storyline"]
BULK = ["--no-facts", "--lexical-summaries"]
MODES = {
    "single": BULK,
    "workers2": [*BULK, "--workers", "2"],
    "default": [],
    "default-workers2": ["--workers", "2"],
}


# -- input -----------------------------------------------------------------------------------------


def corpus(size: int, work: Path, eval_dir: Path) -> tuple[Path, dict]:
    """The WARC folder of ``size`` pages (made once) and what it holds."""
    folder = work / f"pages-{size}"
    meta_path = work / f"pages-{size}.json"
    if not meta_path.is_file():
        meta_path.write_text(json.dumps(write_warcs(size, folder, eval_dir)))
    return folder, json.loads(meta_path.read_text())


def gva_jsonl(articles: int, work: Path, eval_dir: Path) -> Path:
    """The first ``articles`` GVA records with text (the file is in date order), as JSONL."""
    path = work / f"gva-{articles}.jsonl"
    if not path.is_file():
        kept = []
        with gzip.open(eval_dir / "gva-incidents-dev" / "gva_incidents_2013_2015.jsonl.gz", "rt") as lines:
            for line in lines:
                if json.loads(line).get("text", "").strip():
                    kept.append(line.rstrip("\n"))
                if len(kept) == articles:
                    break
        path.write_text("\n".join(kept) + "\n")
    return path


def warc_pages(folder: Path) -> list[tuple[str, bytes]]:
    pages = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    pages.append((record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read()))
    return pages


# -- the floor: trafilatura alone, then MiniLM alone ------------------------------------------------


def _trafilatura(page: tuple[str, bytes]) -> tuple[str, str]:
    import trafilatura

    found = trafilatura.bare_extraction(page[1], url=page[0], fast=True, include_comments=False)
    return (found.title or "", found.text or "") if found else ("", "")


def floor(folder: Path) -> dict:
    """Seconds of trafilatura (2 processes) and MiniLM (2 calls at once) on the pages of ``folder``."""
    from storyline.cluster import clustering_embedder, dense_text
    from storyline.config import ClusterSettings
    from storyline.model import Article

    pages = warc_pages(folder)
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        extracted = pool.map(_trafilatura, pages, chunksize=8)
    extract_seconds = time.perf_counter() - started
    texts = [dense_text(Article(id="", title=title, text=text)) for title, text in extracted if text]
    embedder = clustering_embedder(ClusterSettings())
    started = time.perf_counter()
    embedder.encode(texts)
    embed_seconds = time.perf_counter() - started
    return {
        "pages": len(pages),
        "texts": len(texts),
        "extract_seconds": extract_seconds,
        "embed_seconds": embed_seconds,
        "seconds": extract_seconds + embed_seconds,
    }


def _children_cpu() -> float:
    """CPU seconds of every finished child process (and the children they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_floor(folder: Path) -> dict:
    """The floor in a fresh process (nothing loaded or cached from the pipeline runs)."""
    cpu = _children_cpu()
    out = subprocess.run(
        [sys.executable, __file__, "--floor-of", str(folder)], capture_output=True, text=True, check=True
    )
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "cpu_seconds": _children_cpu() - cpu}


# -- end to end ------------------------------------------------------------------------------------


def _sample_tree(process: psutil.Process, cpu: dict[int, tuple[str, float]]) -> int:
    """One sample of a process tree: the resident memory of ``process`` and its descendants; each one's CPU time so far goes
    into ``cpu`` (pid -> its role, seconds): the ingest itself, the processes it forked
    (extraction, which run its own command line) and those it spawned (spaCy's analysis, Dask)."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a process that just ended
            total += p.memory_info().rss
            times = p.cpu_times()
            # the role as first seen: an exiting process's command line reads empty
            role = cpu[p.pid][0] if p.pid in cpu else _role(process, p)
            cpu[p.pid] = (role, times.user + times.system)
    return total


def _cpu_shares(run: dict) -> str:
    """A run's CPU seconds by process role, as printed: "ingest 522 s, spawned 347 s"."""
    return ", ".join(f"{role} {seconds:.0f} s" for role, seconds in sorted(run["cpu_seconds_by_process"].items()))


def _role(root: psutil.Process, process: psutil.Process) -> str:
    if process.pid == root.pid:
        return "ingest"
    command = process.cmdline()
    if any("spawn_main" in part for part in command):
        return "spawned"
    return "forked" if command == root.cmdline() else "other"


def run_measured(
    command: list[str], errors_path: Path, env: dict[str, str] | None = None
) -> tuple[str, int, float, float, int, dict[int, tuple[str, float]]]:
    """Run ``command`` (stderr to ``errors_path``): its stdout, exit status, wall and CPU seconds
    (of the children it started), peak resident bytes of its process tree (sampled every 0.2 s)
    and each process's role and CPU seconds."""
    started, cpu = time.perf_counter(), _children_cpu()
    with errors_path.open("w") as errors:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
        watched, peak, done = psutil.Process(child.pid), 0, threading.Event()
        by_process: dict[int, tuple[str, float]] = {}

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.2):
                with contextlib.suppress(psutil.Error):  # the command just ended
                    peak = max(peak, _sample_tree(watched, by_process))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, _ = child.communicate()
        done.set()
        sampler.join()
    return stdout, child.returncode, time.perf_counter() - started, _children_cpu() - cpu, peak, by_process


def run_ingest(folder: Path, options: list[str], scratch: Path, keep: bool = False) -> dict:
    """``storyline ingest`` on ``folder`` in a fresh store: wall seconds, peak memory, the tally
    (and the store's path, kept, when ``keep``)."""
    db = scratch / f"bench-{time.monotonic_ns()}.db"
    command = [*STORYLINE, "ingest", str(folder), "--db", str(db), *options]
    load = os.getloadavg()[0]
    stdout, returncode, seconds, cpu, peak, by_process = run_measured(command, scratch / "ingest.err")
    if returncode not in (0, 1):
        raise SystemExit(f"pipeline_scale: {' '.join(command)} failed; see {scratch / 'ingest.err'}")
    cpu_by_role: Counter[str] = Counter()
    for role, seconds_used in by_process.values():
        cpu_by_role[role] += seconds_used
    with contextlib.closing(sqlite3.connect(db)) as store:
        analysed = store.execute("SELECT count(*) FROM article_facts").fetchone()[0]
    for suffix in ("", "-wal", "-shm"):
        if not keep:
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    tally = stdout.strip().splitlines()[0]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak / 2**20,
        # sampled every 0.2 s: each process's last fraction of a second is missing
        "cpu_seconds_by_process": dict(cpu_by_role),
        "analysed": analysed,  # articles spaCy analysed (rows of article_facts)
        "new": int(tally.split()[0]),
        "events": int(tally.split("; ")[1].split()[0]),
        "load_average": load,
        "tally": tally,
        **({"db": str(db)} if keep else {}),
    }


def default_against_bulk(path: Path, runs: int, scratch: Path) -> dict:
    """Default and bulk ingests of ``path``, in turn, ``runs`` times each: medians and ratio."""
    modes = {"default": MODES["default"], "bulk": MODES["single"]}
    rows: dict[str, list[dict]] = {mode: [] for mode in modes}
    for run in range(runs):
        for mode, flags in modes.items():
            rows[mode].append(run_ingest(path, flags, scratch))
            row = rows[mode][-1]
            print(
                f"  run {run + 1} {mode:<7} {row['seconds']:6.1f} s  cpu {row['cpu_seconds']:6.1f} s"
                f"  peak {row['peak_rss_mb']:5.0f} MB  load {row['load_average']:.1f}  ({row['tally']})"
            )
    median = {mode: statistics.median(r["seconds"] for r in rows[mode]) for mode in modes}
    median_cpu = {mode: statistics.median(r["cpu_seconds"] for r in rows[mode]) for mode in modes}
    return {
        "input": path.name,
        "articles": rows["bulk"][0]["new"],
        "runs": rows,
        "median_seconds": median,
        "median_cpu_seconds": median_cpu,
        "articles_per_second": {mode: rows[mode][0]["new"] / median[mode] for mode in modes},
        "peak_rss_mb": {mode: max(r["peak_rss_mb"] for r in rows[mode]) for mode in modes},
        "ratio": median["default"] / median["bulk"],
        "cpu_ratio": median_cpu["default"] / median_cpu["bulk"],
        "load_averages": [r["load_average"] for mode in modes for r in rows[mode]],
    }


# -- stage shares ----------------------------------------------------------------------------------

# Where each stage's time goes: (file, function) whose cumulative profile time is the stage's.
STAGES = {
    "extract": [("ingest.py", "warc_documents"), ("extract.py", "extract")],
    "clean": [("clean.py", "partial_fit"), ("clean.py", "transform")],
    "store": [
        ("store.py", "add_document"),
        ("store.py", "replace_events"),
        ("store.py", "add_article_vectors"),
        ("store.py", "articles"),
        ("store.py", "events"),
    ],
    "dedup": [("dedup.py", "signature_of"), ("dedup.py", "find_copies")],
    "embed": [("scale.py", "article_features")],  # less the signatures made there (dedup)
    "cluster": [("cluster.py", "partial_fit")],
    "summarize": [("pipeline.py", "summarize_articles")],
    "facts": [("facts/analysis.py", "analyse_articles"), ("facts/__init__.py", "event_facts")],
}


def _cumulative(stats: pstats.Stats, file_part: str, name: str) -> float:
    return sum(v[3] for k, v in stats.stats.items() if k[0].endswith(file_part) and k[2] == name)


def stage_shares(folder: Path, scratch: Path, facts: bool) -> dict:
    """One in-process ingest under cProfile (extraction and spaCy in this process, so that they
    are seen): each stage's seconds. Profiling slows Python code more than native code (MiniLM,
    lxml), so the shares are indicative."""
    from dataclasses import replace

    import storyline.describe
    import storyline.pipeline
    from storyline.config import Settings
    from storyline.store import Store

    settings = Settings.from_env(str(scratch / f"stages-{time.monotonic_ns()}.db"))
    settings = replace(
        settings, extract=replace(settings.extract, workers=1), facts=replace(settings.facts, enabled=facts)
    )
    # The analysis runs in a thread of its own (beside the summaries): profiled apart, then added.
    analysing = cProfile.Profile()
    article_facts = storyline.describe.article_facts

    def profiled(*args, **kwargs):
        return analysing.runcall(article_facts, *args, **kwargs)

    storyline.describe.article_facts = profiled
    profile = cProfile.Profile()
    started = time.perf_counter()
    with Store(settings.db) as store:
        profile.enable()
        report = storyline.pipeline.ingest_paths([folder], store, settings)
        profile.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(profile)
    stats.add(analysing)
    seconds = {stage: sum(_cumulative(stats, f, n) for f, n in parts) for stage, parts in STAGES.items()}
    seconds["embed"] -= _cumulative(stats, "dedup.py", "signature")
    seconds["other"] = max(0.0, total - sum(seconds.values()))
    return {"articles": report.new, "events": report.events, "seconds": total, "stages": seconds}


# -- output ----------------------------------------------------------------------------------------


def load_results() -> dict:
    return json.loads(JSON_PATH.read_text()) if JSON_PATH.is_file() else {"runs": []}


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    for mode in sorted({r["mode"] for r in results["runs"]}):
        rows = sorted((r for r in results["runs"] if r["mode"] == mode), key=lambda r: r["size"])
        axes.plot(
            [r["size"] for r in rows],
            [r["ms_per_article"] for r in rows],
            marker="o",
            label=f"storyline ingest ({mode})",
        )
    floors = {r["size"]: r["floor_ms_per_article"] for r in results["runs"]}
    if floors:
        sizes = sorted(floors)
        axes.plot(
            sizes, [floors[s] for s in sizes], marker="s", linestyle="--", label="floor: trafilatura + MiniLM alone"
        )
        axes.axhline(1000 / 30, linestyle=":", color="grey", label="30 articles/s (33 ms)")
    axes.set_xscale("log")
    axes.set_xlabel("articles in the corpus")
    axes.set_ylabel("ms per article (wall clock, 2 shared cores)")
    axes.set_title("storyline end to end: bulk load and default (facts on)")
    axes.set_ylim(bottom=0)
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(PLOT_PATH, dpi=120)


def print_runs(results: dict) -> None:
    print(
        f"{'articles':>9} {'mode':>9} {'real':>6} {'stored':>7} {'events':>7} {'art/s':>7} {'ms/art':>7} {'peak MB':>8}"
        f" {'floor ms':>9} {'ratio':>6} {'cpu ms':>7} {'idle/s':>7} {'cpu ratio':>9} {'load':>5}"
    )
    for r in sorted(results["runs"], key=lambda r: (r["size"], r["mode"])):
        print(
            f"{r['size']:>9} {r['mode']:>9} {r['real']:>6} {r['new']:>7} {r['events']:>7} {r['articles_per_second']:>7.1f}"
            f" {r['ms_per_article']:>7.1f} {r['peak_rss_mb']:>8.0f} {r['floor_ms_per_article']:>9.1f}"
            f" {r['floor_ratio']:>6.2f} {r['cpu_ms_per_article']:>7.1f} {r['idle_articles_per_second']:>7.1f}"
            f" {r['floor_cpu_ratio']:>9.2f} {r['load_average']:>5.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--modes", default="single,workers2")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "storyline-bench")
    parser.add_argument("--bulk", action="store_true", help="with --stages: the bulk load's shares (no facts)")
    parser.add_argument("--stages", type=int, default=0, metavar="SIZE", help="profile each stage's share at SIZE")
    parser.add_argument("--plot", action="store_true", help="only redraw the plot from the JSON")
    parser.add_argument("--gva", type=int, default=0, metavar="N", help="default against bulk on N GVA articles")
    parser.add_argument("--floor-of", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.floor_of:
        print(json.dumps(floor(options.floor_of)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = load_results()
    if options.plot:
        plot(results)
        print(f"wrote {PLOT_PATH}")
        return
    options.work.mkdir(parents=True, exist_ok=True)

    if options.gva:
        path = gva_jsonl(options.gva, options.work, options.eval)
        print(f"default against bulk: {path}, {options.runs} runs each, in turn")
        found = default_against_bulk(path, options.runs, options.work)
        print(
            f"medians: default {found['median_seconds']['default']:.1f} s"
            f" ({found['articles_per_second']['default']:.1f} articles/s, peak {found['peak_rss_mb']['default']:.0f} MB),"
            f" bulk {found['median_seconds']['bulk']:.1f} s; ratio {found['ratio']:.2f}"
            f" (CPU time {found['cpu_ratio']:.2f}); load averages {min(found['load_averages']):.1f}"
            f" to {max(found['load_averages']):.1f}"
        )
        RATIO_PATH.write_text(json.dumps(found, indent=2))
        print(f"wrote {RATIO_PATH}")
        return

    if options.stages:
        folder, meta = corpus(options.stages, options.work, options.eval)
        shares = stage_shares(folder, options.work, facts=not options.bulk)
        shares.update(
            size=options.stages,
            load_average=os.getloadavg()[0],
            facts=not options.bulk,
        )
        total = sum(shares["stages"].values())
        print(f"stage shares, {options.stages} pages, one process, under cProfile (load {shares['load_average']:.1f}):")
        for stage, seconds in shares["stages"].items():
            print(f"  {stage:<10} {seconds:8.1f} s {100 * seconds / total:5.1f}%")
        STAGES_PATH.write_text(json.dumps(shares, indent=2))
        print(f"wrote {STAGES_PATH}")
        return

    for size in [int(s) for s in options.sizes.split(",")]:
        folder, meta = corpus(size, options.work, options.eval)
        if meta["repeated"]:
            print(
                f"{size} pages: {meta['real']} real, {meta['repeated']} repeats (new URLs, dates +37 days each, every 7th word dropped)"
            )
        floor_row = run_floor(folder)
        print(
            f"floor at {size}: trafilatura {floor_row['extract_seconds']:.1f} s + MiniLM {floor_row['embed_seconds']:.1f} s"
        )
        for mode in options.modes.split(","):
            runs = [run_ingest(folder, MODES[mode], options.work) for _ in range(options.runs)]
            middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            floor_ms = 1000 * floor_row["seconds"] / size
            row = {
                "size": size,
                "mode": mode,
                "flags": MODES[mode],
                "real": meta["real"],
                "repeated": meta["repeated"],
                **middle,
                "runs_seconds": [r["seconds"] for r in runs],
                "articles_per_second": size / middle["seconds"],
                "ms_per_article": 1000 * middle["seconds"] / size,
                "floor": floor_row,
                "floor_ms_per_article": floor_ms,
                "floor_ratio": middle["seconds"] / floor_row["seconds"],
                # CPU time hardly changes when other programs share the cores: 2 cores' worth of
                # it is what the machine does when it runs nothing else.
                "cpu_ms_per_article": 1000 * middle["cpu_seconds"] / size,
                "idle_articles_per_second": 2 * size / middle["cpu_seconds"],
                "floor_cpu_ratio": middle["cpu_seconds"] / floor_row["cpu_seconds"],
                "median_seconds": statistics.median(r["seconds"] for r in runs),
            }
            results["runs"] = [r for r in results["runs"] if (r["size"], r["mode"]) != (size, mode)] + [row]
            JSON_PATH.write_text(json.dumps(results, indent=2))
            print(
                f"  {mode}: {row['articles_per_second']:.1f} articles/s, peak {row['peak_rss_mb']:.0f} MB,"
                f" load {row['load_average']:.1f}; {row['analysed']} analysed; CPU {_cpu_shares(row)}"
            )
    print_runs(results)
    plot(results)
    print(f"wrote {JSON_PATH} and {PLOT_PATH}")


if __name__ == "__main__":
    main()
