"""Raw inputs for the pipeline benchmarks: real articles as news pages in WARC files.

    .venv/bin/python bench/pipeline_corpus.py --size 10000 --out /tmp/storyline-bench/10000

What the pipeline reads is what a Common Crawl News user has: WARC files of HTML responses. The
articles are real (the GVA incidents and DUC 2006/2007 newswire from ../shared/eval, about 4,400
with text, plus the 181 real pages of the Scrapinghub benchmark as they were crawled). Each real
article is set in a news page (head metadata as publishers write it: Open Graph title, site
name, publication time, canonical link; a menu, share buttons, related links and a footer
around the story), so extraction does the work it does on the web: find the story in the
furniture. Beyond the real articles, sizes repeat them with new URLs, published 37 days later
per repeat, with every 7th word dropped (a different 7th each repeat, and one more word per
round of seven), so that a repeat is neither an exact nor a near duplicate of its original or
of another repeat (both would skip work and flatter the pipeline) while its vocabulary, length
and names stay real. The output says so.

Inputs are written under a temporary folder, never into the project.
"""

from __future__ import annotations

import argparse
import html
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storyline.evaluate.clustering import load_dataset
from storyline.evaluate.extraction import load_benchmark

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
RECORDS_PER_WARC = 500
# Far enough that a repeat never joins its original's event (events go dormant after 4 days);
# near enough that 30 repeats keep the dates extraction accepts (1995 to today: a page dated in
# the future is read as undated, and with a 6-year shift most of a 100k corpus lost its dates).
SHIFT = timedelta(days=37)
DROP_EVERY = 7

_MENU = "".join(
    f'<li><a href="/section/{s.lower()}">{s}</a></li>' for s in "World US Politics Business Tech Sport Opinion".split()
)
_RELATED = "".join(f'<li><a href="/story/{n}">Related story number {n} from our newsroom</a></li>' for n in range(8))


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: tuple[str, ...]
    published: datetime | None
    site: str
    slug: str


def real_stories(eval_dir: Path) -> list[Story]:
    """The GVA and DUC articles with text, in date order."""
    stories = []
    for name, folder in (("gva", "gva-incidents-dev"), ("duc", "duc2006-2007")):
        for item in load_dataset(name, eval_dir / folder):
            a = item.article
            paragraphs = tuple(p.strip() for p in a.text.split("\n") if p.strip())
            if sum(len(p) for p in paragraphs) >= 200:
                site = (a.source or name).removeprefix("www.")
                stories.append(Story(a.title, paragraphs, a.published, site, a.id))
    return stories


def _drop_words(text: str, rep: int) -> str:
    """Repeat ``rep`` of a text: every 7th word dropped from phase ``rep % 7``, and for every
    further round of seven one more word, so that no two repeats are the same text (exact copies
    would be counted as duplicates, and the corpus would hold far fewer articles than its size)."""
    kept = [w for i, w in enumerate(text.split()) if (i + rep) % DROP_EVERY]
    extra = rep // DROP_EVERY - 1
    return " ".join(w for i, w in enumerate(kept) if i != extra)


def page_html(story: Story, url: str) -> bytes:
    """A news page around ``story`` with the metadata and furniture publishers put there."""
    esc = html.escape
    when = story.published.isoformat() if story.published else ""
    meta_date = f'<meta property="article:published_time" content="{when}">' if when else ""
    body = "".join(f"<p>{esc(p)}</p>" for p in story.paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(story.title)} | {esc(story.site)}</title>'
        f'<meta property="og:title" content="{esc(story.title)}"><meta property="og:site_name" content="{esc(story.site)}">'
        f'{meta_date}<link rel="canonical" href="{esc(url)}"><style>body{{font-family:serif}} .nav li{{display:inline}}</style>'
        f'<script>window.dataLayer=[{{"page":"article"}}];</script></head><body>'
        f'<header><a href="/">{esc(story.site)}</a><nav><ul class="nav">{_MENU}</ul></nav>'
        f'<form action="/search"><input name="q"><button>Search</button></form></header>'
        f'<main><article><h1>{esc(story.title)}</h1><div class="byline">By Staff Reporter</div>'
        f'<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>'
        f'<div class="story-body">{body}</div></article>'
        f"<aside><h2>Most read</h2><ul>{_RELATED}</ul></aside></main>"
        f"<footer><p>Copyright {esc(story.site)}. All rights reserved.</p>"
        f'<ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms of use</a></li></ul></footer>'
        "</body></html>"
    ).encode()


def repeat(stories: list[Story], n: int) -> tuple[str, Story]:
    """The ``n``-th story of the endless sequence ``stories`` makes (repeats beyond the real
    ones: new URLs, dates +37 days, words dropped), with its URL."""
    rep, index = divmod(n, len(stories))
    story = stories[index]
    if rep:
        story = Story(
            _drop_words(story.title, rep),
            tuple(_drop_words(p, rep) for p in story.paragraphs),
            story.published + rep * SHIFT if story.published else None,
            story.site,
            story.slug,
        )
    return f"https://{story.site}/news/{rep}/{story.slug}", story


def pages(size: int, eval_dir: Path) -> tuple[Iterator[Page], int]:
    """``size`` pages: the real crawled pages and real articles, then repeats; and how many are real."""
    stories = real_stories(eval_dir)
    crawled, _ = load_benchmark(eval_dir / "scrapinghub-aeb")
    real = len(stories) + len(crawled)

    def generate() -> Iterator[Page]:
        for n in range(size):
            if n < len(crawled):
                yield Page(crawled[n].url, crawled[n].data)
                continue
            url, story = repeat(stories, n - len(crawled))
            yield Page(url, page_html(story, url))

    return generate(), real


def crawled_count(eval_dir: Path) -> int:
    """How many of the first pages are the benchmark's crawled pages (the stories come after)."""
    return len(load_benchmark(eval_dir / "scrapinghub-aeb")[0])


def write_warcs(size: int, out: Path, eval_dir: Path = DEFAULT_EVAL) -> dict:
    """Write ``size`` pages as gzipped WARC files of ``RECORDS_PER_WARC`` responses under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    generated, real = pages(size, eval_dir)
    files, stream, writer, html_bytes = 0, None, None, 0
    for n, page in enumerate(generated):
        if n % RECORDS_PER_WARC == 0:
            if stream:
                stream.close()
            # One gzip member per record, as Common Crawl writes them (readers can seek).
            stream = (out / f"pages-{files:05d}.warc.gz").open("wb")
            writer = WARCWriter(stream, gzip=True)
            files += 1
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(page.url, "response", payload=io.BytesIO(page.body), http_headers=headers)
        )
        html_bytes += len(page.body)
    if stream:
        stream.close()
    return {
        "pages": size,
        "real": min(size, real),
        "repeated": max(0, size - real),
        "files": files,
        "html_bytes": html_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    options = parser.parse_args()
    print(write_warcs(options.size, options.out, options.eval))


if __name__ == "__main__":
    main()
