"""The incremental ingest: what adding articles to a big store costs against adding the same
articles to an empty one, and whether continuing the grouping gives what one ingest gives.

    .venv/bin/python bench/incremental.py [--sizes 1000,10000] [--adds 20,1000] [--runs 3] [--large-runs 1]
    .venv/bin/python bench/incremental.py --check [--check-runs 2]
    .venv/bin/python bench/incremental.py --table        # print the tables from the JSON

Scale (``--sizes``): the pages of bench/pipeline_corpus.py's corpus at size N + 1,020, split in
order into a base of N pages and two additions, the next 20 pages and the 1,000 after them (so
the store never holds them). The base store is built with the default ``storyline ingest``
(facts and MiniLM on), as a user runs it (from ``--no-facts-from`` pages on, 100k by default,
with ``--no-facts``, as the issue allows); then each addition is ingested, with the default
settings, into a copy of the base store (each run adds to the same base: the copy is made
before each run) and into an empty store, in turn, so that both see the same load. The 20-page
addition runs ``--runs`` times (median), the 1,000-page one ``--large-runs`` times. Reported per
added article: wall seconds (and CPU seconds), the ratio (into the big store) / (into the empty
store), and the peak memory: the largest sum of resident memory over the ingest and every
process it started, sampled every 0.2 s (as bench/pipeline_scale.py does). The issue's target:
within 2x at every size, under 2 GB.

The check (``--check``): the DUC 2006 and 2007 newswire (headline, date, wire service as source,
as ``storyline evaluate clustering --dataset duc`` reads them) and the GVA dev articles that have
text, as JSONL in date order. All but the 20 latest make a base store (one default ingest);
the 20 latest are then added (``--check-runs`` tries into a copy of the base, and as many into an
empty store, in turn). Reported: (a) the cost of the addition against the empty store; (b)
BCubed F1 between the incremental store's partition of the articles and the partition of ONE
ingest of all of them, by event and by story (``score_clustering``, the one-shot ingest as the
reference); (c) the share of the base's articles that keep their event id and their story id
when the 20 arrive (and, beside it, the share whose ids are those of the one-shot ingest).
Targets: cost <= 2x, BCubed >= 0.99 at each level, >= 99 % keep their ids.

Inputs are written under --work (a temporary folder, never the project). Other programs may
share the 2 cores: the 1-minute load average is kept beside each run. Prints tables and writes
bench/results/incremental.json (each size and the check replace their own entry).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_corpus import DEFAULT_EVAL, RECORDS_PER_WARC, pages
from pipeline_scale import run_measured
from storyline.evaluate.clustering import load_dataset, score_clustering
from storyline.evaluate.datasets import GVA_FILE

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
JSON_PATH = RESULTS / "incremental.json"
STORYLINE = [sys.executable, "-m", "storyline"]
CHECK_ADDED = 20
TARGET_RATIO = 2.0
TARGET_MB = 2048
TARGET_BCUBED = 0.99
TARGET_KEPT = 0.99


# -- running the CLI -------------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    """This worktree's code for the CLI (whatever the caller's PYTHONPATH holds comes after)."""
    paths = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def ingest(inputs: Path, db: Path, scratch: Path, flags: tuple[str, ...] = ()) -> dict:
    """``storyline ingest INPUTS --db DB [FLAGS]`` (default settings unless ``flags``): wall and
    CPU seconds, peak memory of its process tree, and its tally."""
    command = [*STORYLINE, "ingest", str(inputs), "--db", str(db), *flags]
    load = os.getloadavg()[0]
    errors_path = scratch / "ingest.err"
    stdout, returncode, seconds, cpu, peak, _ = run_measured(command, errors_path, _environment())
    if returncode not in (0, 1) or not stdout.strip():
        raise SystemExit(f"incremental: {' '.join(command)} failed ({returncode}); see {errors_path}")
    tally = stdout.strip().splitlines()[0]
    counts, _, stored = tally.partition("; ")
    words = counts.replace(",", "").split()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak / 2**20,
        "new": int(words[0]),
        "duplicate": int(words[2]),
        "events": int(stored.split()[0]),
        "load_average": load,
        "notices": errors_path.read_text().strip().splitlines()[:5],
        "tally": tally,
        "flags": list(flags),
    }


def copy_store(source: Path, target: Path) -> None:
    """A copy of a SQLite store as it lies (with its write-ahead log, if any)."""
    remove_store(target)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").is_file():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


def remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def groups(db: Path) -> dict[str, tuple[str, str]]:
    """Each stored article's (event id, story id)."""
    with contextlib.closing(sqlite3.connect(db)) as store:
        rows = store.execute(
            "SELECT a.article_id, a.event_id, COALESCE(s.story_id, '')"
            " FROM event_articles a LEFT JOIN story_events s ON s.event_id = a.event_id"
        ).fetchall()
    return {article: (event, story) for article, event, story in rows}


# -- adding to a big store and to an empty one -----------------------------------------------------


def add_runs(base_db: Path, inputs: Path, runs: int, scratch: Path, keep: Path | None = None) -> dict:
    """``runs`` ingests of ``inputs`` into a fresh copy of ``base_db`` and into an empty store, in
    turn: each run, the medians, the cost per added article and the ratio of the two. With
    ``keep``, the last copy of the base (with the addition) is kept there. Each run into the
    big store also says what share of the base's articles kept their event and story ids."""
    rows: dict[str, list[dict]] = {"big": [], "empty": []}
    target = scratch / "added.db"
    before = groups(base_db)
    for run in range(runs):
        for into in rows:
            if into == "big":
                copy_store(base_db, target)
            else:
                remove_store(target)
            row = ingest(inputs, target, scratch)
            if into == "big":
                row["ids_kept"] = _shares(before, groups(target))
            rows[into].append(row)
            print(
                f"    run {run + 1} into {into:<5} {row['seconds']:7.1f} s  cpu {row['cpu_seconds']:7.1f} s"
                f"  peak {row['peak_rss_mb']:5.0f} MB  load {row['load_average']:.1f}  ({row['tally']}){_kept(row)}",
                flush=True,
            )
            if into == "big" and keep is not None and run == runs - 1:
                copy_store(target, keep)
    remove_store(target)
    found: dict = {"inputs": inputs.name, "runs": rows}
    for into, made in rows.items():
        added = made[0]["new"]
        seconds = statistics.median(r["seconds"] for r in made)
        cpu = statistics.median(r["cpu_seconds"] for r in made)
        found[into] = {
            "added": added,
            "median_seconds": seconds,
            "median_cpu_seconds": cpu,
            "seconds_per_article": seconds / added if added else None,
            "cpu_seconds_per_article": cpu / added if added else None,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in made),
        }
    big, empty = found["big"], found["empty"]
    found["ratio"] = big["median_seconds"] / empty["median_seconds"]
    found["cpu_ratio"] = big["median_cpu_seconds"] / empty["median_cpu_seconds"]
    return found


# -- scale: the corpus split into a base and additions ---------------------------------------------


def split_corpus(size: int, adds: list[int], work: Path, eval_dir: Path) -> tuple[dict[str, Path], dict]:
    """The first ``size + sum(adds)`` pages of the corpus as WARC folders (made once): ``base``
    (``size`` pages), then ``add-K`` for each K of ``adds`` in turn; and what they hold."""
    root = work / f"incremental-{size}-{'-'.join(map(str, adds))}"
    names = ["base", *(f"add-{k}" for k in adds)]
    ends = [size]
    for k in adds:
        ends.append(ends[-1] + k)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        shutil.rmtree(root, ignore_errors=True)
        generated, real = pages(ends[-1], eval_dir)
        part, writer, stream, written = 0, None, None, 0
        counts = {name: 0 for name in names}
        for n, page in enumerate(generated):
            while n >= ends[part]:
                part += 1
                written = 0
            if written % RECORDS_PER_WARC == 0:
                if stream:
                    stream.close()
                folder = root / names[part]
                folder.mkdir(parents=True, exist_ok=True)
                stream = (folder / f"pages-{written // RECORDS_PER_WARC:05d}.warc.gz").open("wb")
                writer = WARCWriter(stream, gzip=True)
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(page.url, "response", payload=io.BytesIO(page.body), http_headers=headers)
            )
            written += 1
            counts[names[part]] += 1
        if stream:
            stream.close()
        meta = {"pages": counts, "real": min(ends[-1], real), "repeated": max(0, ends[-1] - real)}
        meta_path.write_text(json.dumps(meta))
    return {name: root / name for name in names}, json.loads(meta_path.read_text())


def scale(
    size: int, adds: list[int], runs: dict[int, int], work: Path, eval_dir: Path, base_flags: tuple[str, ...] = ()
) -> dict:
    """The base store of ``size`` pages (built with ``base_flags``), then each addition, with the
    default settings, into it and into an empty store."""
    folders, meta = split_corpus(size, adds, work, eval_dir)
    scratch = work / f"scratch-{size}"
    scratch.mkdir(parents=True, exist_ok=True)
    print(
        f"{size} pages ({meta['pages']}; {meta['real']} real, {meta['repeated']} repeats): building the base store"
        f" {' '.join(base_flags)}".rstrip(),
        flush=True,
    )
    base_db = scratch / "base.db"
    remove_store(base_db)
    base = ingest(folders["base"], base_db, scratch, base_flags)
    print(
        f"  base: {base['seconds']:.1f} s, peak {base['peak_rss_mb']:.0f} MB, load {base['load_average']:.1f}"
        f" ({base['tally']})",
        flush=True,
    )
    added = {}
    for k in adds:
        print(f"  adding {k} pages, {runs[k]} run(s) each way", flush=True)
        added[str(k)] = add_runs(base_db, folders[f"add-{k}"], runs[k], scratch)
    remove_store(base_db)
    return {"size": size, "corpus": meta, "base": base, "added": added, "at": _now()}


# -- the check: DUC and GVA, the 20 latest added ---------------------------------------------------


def check_articles(eval_dir: Path) -> list[dict]:
    """The DUC 2006 + 2007 articles and the GVA dev articles with text, as JSONL records, in
    date order (then by id)."""
    records = []
    for item in load_dataset("duc", eval_dir / "duc2006-2007"):
        a = item.article
        records.append(
            {
                "id": a.id,
                "title": a.title,
                "text": a.text,
                "source": a.source,
                "published": a.published.isoformat() if a.published else None,
            }
        )
    with gzip.open(eval_dir / "gva-incidents-dev" / GVA_FILE, "rt") as lines:
        for line in lines:
            record = json.loads(line)
            if (record.get("text") or "").strip():
                published = datetime.fromisoformat(record["published"]) if record.get("published") else None
                if published and published.tzinfo is None:
                    published = published.replace(tzinfo=UTC)
                records.append(
                    {
                        "id": record["id"],
                        "title": record.get("title", ""),
                        "text": record["text"],
                        "source": record.get("source", ""),
                        "published": published.isoformat() if published else None,
                    }
                )
    return sorted(records, key=lambda r: (r["published"] or "", r["id"]))


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _shares(before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]) -> dict:
    """The share of the articles of ``before`` whose event id, and story id, ``after`` gives too."""
    ids = sorted(before)
    return {
        "articles": len(ids),
        "missing": sum(1 for i in ids if i not in after),
        "same_event_id": sum(1 for i in ids if after.get(i, ("", ""))[0] == before[i][0]) / len(ids),
        "same_story_id": sum(1 for i in ids if after.get(i, ("", ""))[1] == before[i][1]) / len(ids),
    }


def _agreement(found: dict[str, tuple[str, str]], reference: dict[str, tuple[str, str]]) -> dict:
    """BCubed (and pairwise) scores of ``found``'s events and stories against ``reference``'s,
    on the articles both hold."""
    ids = sorted(set(found) & set(reference))
    levels = {}
    for level, at in (("event", 0), ("story", 1)):
        scores = score_clustering([found[i][at] for i in ids], [reference[i][at] for i in ids])
        levels[level] = scores.__dict__ | {"articles": len(ids)}
    levels["only_in_found"] = len(set(found) - set(reference))
    levels["only_in_reference"] = len(set(reference) - set(found))
    for level, at in (("event", 0), ("story", 1)):
        levels[level]["differing"] = _differing(ids, found, reference, at)
    return levels


def _differing(ids: list[str], found: dict, reference: dict, at: int, shown: int = 20) -> dict:
    """The articles whose group (``at``: 0 event, 1 story) holds other articles in ``found``
    than in ``reference``: how many, and the first ``shown`` with both groups' ids and sizes."""
    kept = set(ids)

    def members(labels: dict) -> dict[str, frozenset[str]]:
        grouped: dict[str, set[str]] = {}
        for i in ids:
            grouped.setdefault(labels[i][at], set()).add(i)
        return {label: frozenset(group & kept) for label, group in grouped.items()}

    found_groups, reference_groups = members(found), members(reference)
    odd = [i for i in ids if found_groups[found[i][at]] != reference_groups[reference[i][at]]]
    return {
        "articles": len(odd),
        "first": [
            {
                "article": i,
                "found": found[i][at],
                "found_size": len(found_groups[found[i][at]]),
                "reference": reference[i][at],
                "reference_size": len(reference_groups[reference[i][at]]),
            }
            for i in odd[:shown]
        ],
    }


def check(runs: int, work: Path, eval_dir: Path, keep_stores: bool = False) -> dict:
    folder = work / "check"
    folder.mkdir(parents=True, exist_ok=True)
    records = check_articles(eval_dir)
    base_path = _write_jsonl(folder / "base.jsonl", records[:-CHECK_ADDED])
    added_path = _write_jsonl(folder / f"latest-{CHECK_ADDED}.jsonl", records[-CHECK_ADDED:])
    all_path = _write_jsonl(folder / "all.jsonl", records)
    print(
        f"the check: {len(records)} DUC + GVA articles; base {len(records) - CHECK_ADDED}, then the"
        f" {CHECK_ADDED} latest ({records[-CHECK_ADDED]['published']} to {records[-1]['published']})",
        flush=True,
    )
    base_db, incremental_db, whole_db = folder / "base.db", folder / "incremental.db", folder / "whole.db"
    for db in (base_db, incremental_db, whole_db):
        remove_store(db)
    base = ingest(base_path, base_db, folder)
    print(f"  base: {base['seconds']:.1f} s, peak {base['peak_rss_mb']:.0f} MB ({base['tally']})", flush=True)
    whole = ingest(all_path, whole_db, folder)
    print(f"  one ingest of all: {whole['seconds']:.1f} s, peak {whole['peak_rss_mb']:.0f} MB ({whole['tally']})")
    print(f"  adding the {CHECK_ADDED} latest, {runs} tries each way", flush=True)
    added = add_runs(base_db, added_path, runs, folder, keep=incremental_db)
    before, incremental, reference = groups(base_db), groups(incremental_db), groups(whole_db)
    found = {
        "articles": len(records),
        "added_articles": CHECK_ADDED,
        "base": base,
        "whole": whole,
        "added": added,
        "agreement_with_one_ingest": _agreement(incremental, reference),
        "ids_kept": _shares(before, incremental),
        "ids_as_one_ingest": _shares(incremental, reference),
        "at": _now(),
    }
    for db in (base_db, incremental_db, whole_db):
        if keep_stores:
            print(f"  kept {db}")
        else:
            remove_store(db)
    return found


# -- output ----------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_results(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {"scale": {}, "check": None}


def _kept(row: dict) -> str:
    """How many of the base's articles a run into the big store left in their event and story."""
    kept = row.get("ids_kept")
    if not kept:
        return ""
    return f"; kept ids: events {100 * kept['same_event_id']:.2f} %, stories {100 * kept['same_story_id']:.2f} %"


def _least_kept(row: dict, which: str) -> str:
    """The least share of the base's articles that kept their id over an addition's runs."""
    shares = [r["ids_kept"][which] for r in row["runs"]["big"] if "ids_kept" in r]
    return f"{100 * min(shares):.2f}" if shares else "-"


def _verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_tables(results: dict) -> None:
    if results["scale"]:
        print("\nbase stores (default ingest unless flags say otherwise):")
        print(f"{'pages':>7} {'stored':>7} {'events':>7} {'seconds':>8} {'art/s':>6} {'peak MB':>8} {'load':>5} flags")
        for key in sorted(results["scale"], key=int):
            base = results["scale"][key]["base"]
            print(
                f"{key:>7} {base['new']:>7} {base['events']:>7} {base['seconds']:>8.1f}"
                f" {base['new'] / base['seconds']:>6.1f} {base['peak_rss_mb']:>8.0f} {base['load_average']:>5.1f}"
                f" {' '.join(base.get('flags', [])) or '-'}"
            )
        print(
            f"\nadditions (median of runs; ratio = into the big store / into an empty store; target <= {TARGET_RATIO}x):"
        )
        print(
            f"{'store':>7} {'added':>6} {'runs':>4} {'big s':>7} {'empty s':>7} {'big s/art':>9} {'empty s/art':>11}"
            f" {'ratio':>6} {'cpu ratio':>9} {'big MB':>7} {'empty MB':>8} {'ok':>4} {'kept ev %':>9} {'kept st %':>9}"
        )
        for key in sorted(results["scale"], key=int):
            for _, row in sorted(results["scale"][key]["added"].items(), key=lambda item: int(item[0])):
                big, empty = row["big"], row["empty"]
                ok = row["ratio"] <= TARGET_RATIO and big["peak_rss_mb"] < TARGET_MB
                print(
                    f"{key:>7} {big['added']:>6} {len(row['runs']['big']):>4} {big['median_seconds']:>7.1f}"
                    f" {empty['median_seconds']:>7.1f} {big['seconds_per_article']:>9.3f}"
                    f" {empty['seconds_per_article']:>11.3f} {row['ratio']:>6.2f} {row['cpu_ratio']:>9.2f}"
                    f" {big['peak_rss_mb']:>7.0f} {empty['peak_rss_mb']:>8.0f} {_verdict(ok):>4}"
                    f" {_least_kept(row, 'same_event_id'):>9} {_least_kept(row, 'same_story_id'):>9}"
                )
    found = results.get("check")
    if found:
        added = found["added"]
        big, empty = added["big"], added["empty"]
        print(f"\nthe check: {found['articles']} DUC + GVA articles, the {found['added_articles']} latest added")
        print(
            f"  base ingest {found['base']['seconds']:.1f} s ({found['base']['tally']});"
            f" one ingest of all {found['whole']['seconds']:.1f} s ({found['whole']['tally']})"
        )
        print(
            f"  (a) cost: into the base {big['median_seconds']:.1f} s ({big['seconds_per_article']:.3f} s/article),"
            f" into an empty store {empty['median_seconds']:.1f} s ({empty['seconds_per_article']:.3f} s/article);"
            f" ratio {added['ratio']:.2f} (CPU {added['cpu_ratio']:.2f}), median of {len(added['runs']['big'])};"
            f" peak {big['peak_rss_mb']:.0f} MB; target <= {TARGET_RATIO}: {_verdict(added['ratio'] <= TARGET_RATIO)}"
        )
        agreement = found["agreement_with_one_ingest"]
        for level in ("event", "story"):
            scores = agreement[level]
            print(
                f"  (b) {level:<5} BCubed P {scores['bcubed_precision']:.4f} R {scores['bcubed_recall']:.4f}"
                f" F1 {scores['bcubed_f1']:.4f} (pairwise F1 {scores['pairwise_f1']:.4f}; {scores['clusters']}"
                f" groups vs {scores['gold_clusters']} in one ingest, {scores['articles']} articles);"
                f" target >= {TARGET_BCUBED}: {_verdict(scores['bcubed_f1'] >= TARGET_BCUBED)}"
            )
        kept, same = found["ids_kept"], found["ids_as_one_ingest"]
        print(
            f"  (c) of the {kept['articles']} earlier articles, {100 * kept['same_event_id']:.2f} % keep their event id"
            f" and {100 * kept['same_story_id']:.2f} % their story id; target >= {100 * TARGET_KEPT:.0f} %:"
            f" {_verdict(min(kept['same_event_id'], kept['same_story_id']) >= TARGET_KEPT)}"
        )
        print(
            f"      ids as one ingest gives them: {100 * same['same_event_id']:.2f} % of event ids,"
            f" {100 * same['same_story_id']:.2f} % of story ids"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="", help="base store sizes, e.g. 1000,10000 (100000 takes hours)")
    parser.add_argument("--adds", default="20,1000", help="the additions, in pages")
    parser.add_argument("--runs", type=int, default=3, help="runs of each addition of under 100 pages")
    parser.add_argument("--large-runs", type=int, default=1, help="runs of each addition of 100 pages or more")
    parser.add_argument(
        "--no-facts-from",
        type=int,
        default=100_000,
        help="base stores of this many pages or more are built with --no-facts (the issue allows it at 100k;"
        " the additions always run with the default settings)",
    )
    parser.add_argument("--check", action="store_true", help="DUC + GVA: the 20 latest added against one ingest")
    parser.add_argument("--check-runs", type=int, default=2)
    parser.add_argument("--keep-stores", action="store_true", help="keep the check's stores under --work/check")
    parser.add_argument("--table", action="store_true", help="only print the tables from the JSON")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "storyline-bench")
    parser.add_argument("--out", type=Path, default=JSON_PATH, help="the results file (kept, each entry replaced)")
    options = parser.parse_args()
    results = load_results(options.out)
    if not options.table:
        if not options.sizes and not options.check:
            parser.error("give --sizes, --check or --table")
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.work.mkdir(parents=True, exist_ok=True)
        if options.check:
            results["check"] = check(options.check_runs, options.work, options.eval, options.keep_stores)
            options.out.write_text(json.dumps(results, indent=2))
        adds = [int(k) for k in options.adds.split(",") if k]
        runs = {k: options.runs if k < 100 else options.large_runs for k in adds}
        for size in [int(s) for s in options.sizes.split(",") if s]:
            base_flags = ("--no-facts",) if size >= options.no_facts_from else ()
            results["scale"][str(size)] = scale(size, adds, runs, options.work, options.eval, base_flags)
            options.out.write_text(json.dumps(results, indent=2))
    print_tables(results)
    if not options.table:
        print(f"\nwrote {options.out}")


if __name__ == "__main__":
    main()
