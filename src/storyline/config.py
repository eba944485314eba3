"""Every tunable of storyline in one typed place, with its default and why.

The CLI builds one ``Settings`` and passes the parts each stage needs; no stage reads the
environment or hard-codes a threshold of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

DEFAULT_DB = "storyline.db"
DB_ENV = "STORYLINE_DB"
EMBEDDINGS_ENV = "STORYLINE_EMBEDDINGS"
ALIASES_ENV = "STORYLINE_ALIASES"


@dataclass(frozen=True)
class ExtractSettings:
    """Reading raw inputs."""

    max_bytes: int = 50 * 1024 * 1024
    """Inputs larger than this (bytes) are refused rather than parsed."""
    min_text_chars: int = 40
    """A page (HTML or text file) whose extracted body is shorter than this is reported as empty;
    JSONL and feed items need only non-empty text, since a headline alone is a valid item."""
    fast: bool = True
    """trafilatura's ``fast`` mode (no readability/justext fallback): on the Scrapinghub
    benchmark it scored F1 0.962 against 0.960 for the full mode, at about twice the speed."""
    max_page_bytes: int = 8 * 1024 * 1024
    """An HTML page larger than this is refused: trafilatura's time grows with the page (a 17 MB
    page of 200,000 paragraphs takes over 25 s), and news pages are far smaller (Scrapinghub's
    181 pages: 170 KB on average, 2 MB at most). ``max_bytes`` bounds whole files (JSONL, WARC)."""
    max_tag_attributes: int = 5_000
    """A page with a tag holding more attributes is refused: libxml2 compares each new attribute
    with the tag's others, so parsing time grows with their square (20,000 take 1 s, 200,000
    minutes); real pages have tens."""
    byline_search: bool = False
    """Look for a byline in the page body when neither meta tags nor JSON-LD name an author
    (trafilatura's author XPaths). Off by default: it costs about a quarter of the extraction
    time, and news pages mostly declare their authors in metadata."""
    workers: int = 2
    """Processes extracting HTML in parallel during an ingest (one per core here); 1 = in process."""
    warc_max_records: int = 1_000_000
    """Response records read from one WARC file at most (a Common Crawl News file holds ~30,000)."""


@dataclass(frozen=True)
class CleanSettings:
    """Learned boilerplate removal (clean.py): lines repeated over different stories."""

    enabled: bool = True
    site_min_stories: int = 3
    """A line found in this many different stories of one site is boilerplate: twice can be a
    follow-up story quoting its predecessor, three times is a template."""
    corpus_min_sites: int = 3
    """A line found on this many different sites (each a different story) is boilerplate. On the
    Scrapinghub pages (181 sites) 3 removes "Comments" and "Related: ..." lines (F1 0.9646 ->
    0.9650); 2 also removes real lines (links, short headings) and costs recall (0.9633)."""
    lead_factor: int = 1
    """A template lead ("Photo:", "More news:") needs this many times the repetition of a line."""
    lead_max_words: int = 4
    """Longer text before a colon is a sentence, not a template lead."""
    lead_line_max_words: int = 12
    """Only lines this short can be templates: "He said: ..." opening a paragraph is reporting."""
    batch_documents: int = 2000
    """Documents extracted before learning and storing: a batch is held in memory (about 2,000
    pages of 10 KB text), and the first pages of a run are cleaned with what the batch taught."""
    title_tail_min_titles: int = 3
    """A title's ending after a separator, shared by this many distinct titles of one site, is
    the site's tail ("... - WMC Action News 5 - Memphis, Tennessee"): two can be one story's updates."""
    title_separators: tuple[str, ...] = (" - ", " | ", " :: ", " — ", " – ", " « ")
    """What sets a site's name off from a headline; a colon is left out, since "Police: ..." is
    part of a headline."""


@dataclass(frozen=True)
class FetchSettings:
    """Downloading pages and feeds over HTTP (fetch.py)."""

    user_agent: str = "storyline/0.1 (news event clustering; polite bot: robots.txt, 1 request/s per host)"
    """Names the tool and where to read about it, so that site owners can reach us or block us."""
    timeout: float = 20.0
    """Seconds for connect, and for each read, before a request is abandoned."""
    retries: int = 2
    """Further attempts after a timeout, a connection error or a 429/5xx answer."""
    backoff: float = 1.0
    """Seconds before the first retry, doubled each time (or the server's Retry-After, if sooner
    than ``max_backoff``)."""
    max_backoff: float = 30.0
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024
    """Bodies larger than this are refused while streaming: a news page is rarely over 2 MB."""
    per_host_concurrency: int = 2
    """Requests open at once to one host."""
    per_host_interval: float = 1.0
    """Seconds between the starts of two requests to one host: polite crawling."""
    concurrency: int = 8
    """Requests open at once in total."""
    respect_robots: bool = True
    allow_private: bool = False
    """Loopback, private, link-local and metadata addresses are refused unless this is True:
    a feed must not make storyline read the local network (SSRF)."""
    allowed_networks: tuple[str, ...] = ()
    """Non-public networks (CIDR) allowed all the same, e.g. one intranet feed server, without
    opening the whole local network as ``allow_private`` does."""
    watch_interval: float = 900.0
    """Seconds between two polls of the followed feeds: most news feeds update every 5-15 minutes."""


@dataclass(frozen=True)
class DedupSettings:
    """Near-duplicate detection (MinHash LSH over word shingles, see dedup.py)."""

    jaccard: float = 0.7
    """Estimated Jaccard similarity of shingle sets at or above which an article is a copy of an
    earlier one. 0.7 on 5-word shingles is text-dedup's choice for news (MinHash ARI 0.742 on
    NEWS-COPY); a syndicated copy with a new headline and dateline stays well above it."""
    shingle_words: int = 5
    """Words per shingle."""
    num_perm: int = 128
    """MinHash permutations: 128 estimates Jaccard within about 0.04 (1/sqrt(128) / 2)."""
    min_words: int = 30
    """Shorter texts (headlines, one-line items) are never called copies."""


def default_cache_dir() -> str:
    """Where storyline keeps what it derives from installed packages: ``$XDG_CACHE_HOME/storyline``,
    else ``~/.cache/storyline``."""
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "storyline")


@dataclass(frozen=True)
class EmbedSettings:
    """The offline MiniLM sentence encoder (see embed.py)."""

    enabled: bool = True
    """False forces the no-model TF-IDF paths everywhere (``STORYLINE_EMBEDDINGS=off``)."""
    max_tokens: int = 256
    """Longer texts are truncated: all-MiniLM-L6-v2 was trained on at most 256 word pieces."""
    threads: int = 0
    """Texts encoded at once, each by one onnxruntime thread (onnxruntime lets go of the GIL);
    0 means one per CPU core. A call holds one text (embed.py says why), too little work to split
    between threads: one call on 2 threads spent about twice the CPU of one thread for the same
    wall time (a scratch timing on 800 GVA leads). ``bench/pipeline_scale.py``'s floor encodes
    10,000 leads this way: 49.5 s on 2 cores, against 107.9 s in float batches of 32 on 2 threads."""
    cache_dir: str = field(default_factory=default_cache_dir)
    """Where the int8 model built from the installed weights is kept (about 23 MB, built once in
    about 3 s)."""


@dataclass(frozen=True)
class SentenceSettings:
    """Which sentences may stand in a summary."""

    min_words: int = 6
    """Shorter lines are headlines, section titles or boilerplate ("Latest News")."""
    max_words: int = 60
    """Longer "sentences" are run-ons from lost punctuation, unreadable in a brief."""


@dataclass(frozen=True)
class ClusterSettings:
    """Online event clustering (see cluster/events.py): each article is scored against the events
    of its candidate articles by the learned same-event model (cluster/same_event.py) and joins
    the best one whose score reaches ``threshold``.

    How the shipped model (``cluster/same_event.npz``) was fitted, by ``storyline train events
    --data ../shared/eval``: gradient-boosted trees (scikit-learn, 100 trees of depth 4) on the
    candidate pairs and candidate events that this clusterer meets when it follows the gold
    labels through the *earlier* part of each visible set: GVA incidents of 2013-2014 (also with
    titles removed), the first half (by time) of the UCI headlines, Multi-News clusters 0-124
    (pooled and shuffled, no dates) and the English SemEval 2022 task 8 training pairs (pair model
    only). The event model is fitted on out-of-fold pair scores. Nothing of GVA 2015-2017, of the
    UCI second half or of Multi-News clusters 125-249 was seen: ``storyline evaluate clustering``
    reports those. Dates enter as whole days: the UCI sample's timestamps are crawl bursts seconds
    apart, and a model that learned them called every undated headline pair a different story.
    """

    threshold: float = 0.5
    """Event-model probability at or above which an article joins an event (and with which an
    event older than ``core_window_days`` must match one of its first articles). On the earlier
    halves' last part (GVA 2014, UCI second quarter, Multi-News clusters 62-124, model fitted on
    the parts before) BCubed F1 moved by under 0.01 between 0.4 and 0.6."""
    merge_threshold: float = 0.9
    """Two events merge when one article scores this against both: at 0.5 joined headlines of
    different stories (UCI second quarter 0.879 against 0.911 at 0.9), at 0.9 nothing is lost."""
    core_members: int = 3
    """An event's first articles: the reports that opened it, which a late report must match."""
    core_window_days: float = 7.0
    """An event whose first article is older than this takes only articles that match its core:
    without it, one Chicago weekend roundup after another chained into a 13-article event over
    nine months (GVA 2015 pairwise precision 0.77; 0.82 with it; 3, 7 and 14 days gave the same)."""
    window_days: float = 30.0
    """Nearest-neighbour candidates are searched among articles published this close (days);
    older reports are found through the distinctive names they share."""
    pool_articles: int = 5_000
    """The most recent articles searched by vector (a ring buffer): the cost per article stays
    flat however long the stream. Articles that leave it keep their names and MiniLM vector,
    not their term vectors."""
    dense_candidates: int = 20
    """Nearest articles by MiniLM vector compared with each new article."""
    lexical_candidates: int = 10
    """Nearest articles by words (random projection of TF-IDF) compared with each new article."""
    rare_name_share: float = 0.01
    """A name at least one other and at most this share of the articles mention is distinctive:
    the latest ``name_postings`` articles that mention it are candidates, at any age."""
    name_prior_articles: int = 1_000
    """Name statistics count this many articles that mention none of the stream's names before
    it: in a stream of five reports of the Norcia earthquake, Norcia is still a distinctive name."""
    name_postings: int = 50
    """Articles kept per distinctive name for the candidate search."""
    outlet_name_share: float = 0.5
    """A name an outlet uses in this share of its articles (its town, its own name) is not
    evidence that two of its stories report one event."""
    outlet_min_articles: int = 3
    """Outlets with fewer articles have no vocabulary of their own yet."""
    projection_dims: int = 256
    """Size of the random projection of TF-IDF used to search neighbours by words."""
    hash_features: int = 2**18
    """Hashed TF-IDF dimensions: 262,144 keeps collisions rare in a news vocabulary."""
    title_weight: int = 2
    """The title counts this many times in an article's TF-IDF vector: it names the event."""
    name_lead_chars: int = 600
    """The lead: the title and this many leading characters of the text, where a report names
    its happening (its lead names and lead TF-IDF)."""
    figure_chars: int = 1500
    """Figures (tolls, sums, addresses) are read from this many leading characters."""
    embed_tokens: int = 64
    """Word pieces of title + lead that MiniLM encodes for clustering. Measured on 400 GVA
    articles (2 cores, lightly loaded): 32 tokens 132 articles/s, 64 tokens 62/s, 256 tokens
    ~10/s; 64 keeps the headline and the first sentence or two, which name the happening."""
    model_path: str = ""
    """A same-event model file to use instead of the shipped one (``storyline train events --out``)."""


@dataclass(frozen=True)
class StorySettings:
    """Online story linking (see cluster/stories.py): the article that opens an event is scored
    against the stories so far (``stories.story_scores``) and its event joins the best one whose
    score reaches ``threshold``.

    How the defaults were chosen, on the earlier part of two sets only: DUC 2006 (50 topic
    folders, each a story followed over months or years; 1,240 articles), fed in date order with
    titles and dates and shuffled without them, and GVA 2013-2014 (822 reports of 536 shooting
    incidents in many cities: look-alikes, each its own story as well as its own event), events
    from ``EventClusterer`` with MiniLM; grid search for the mean of the three story-level
    BCubed F1 (DUC as given, DUC shuffled bare, GVA). DUC 2007 and GVA 2015-2017 were never
    used to choose (the held-out figures of three candidates were printed on the way; the choice
    is the fit objective's); ``storyline evaluate clustering --dataset duc2007`` and
    ``--dataset gva`` (its "storyline stories" rows) report them. DUC alone would choose a lower
    threshold (0.13: DUC 2006 0.835 / 0.840) that links most shootings of a month into one
    "story" (GVA 0.414); the three at a time (DUC / DUC shuffled / GVA): 0.13 0.835 / 0.840 /
    0.414, 0.15 0.835 / 0.827 / 0.609, 0.17 0.806 / 0.811 / 0.731, 0.2 0.754 / 0.767 / 0.826,
    0.22 0.714 / 0.741 / 0.860 without names; 0.17 with names at 0.1: 0.808 / 0.796 / 0.764.
    Those figures are before small stories were read again after each batch (``relink_*``).
    With it, the threshold and the three ``relink_*`` settings were chosen again the same way
    (grid: threshold 0.17-0.23, relink articles 7-25, relink threshold 0.08-0.15, ratio 1.6-2.4):
    threshold 0.2, 10 articles, 0.1, ratio 2.0 gives 0.880 / 0.867 / 0.808 (mean 0.852, against
    0.789 before); 0.17 with the same relinking 0.880 / 0.868 / 0.754; a ratio of 1.6 0.883 /
    0.882 / 0.759; relinking stories of up to 25 articles 0.780 / 0.821 / 0.808 (topics merge).
    The ratio test then compared the best story with the next best alone, among the 20 nearest
    by the random projection. Two changes: the ratio is taken to the mean of the next few
    (``relink_runners_up``), and the nearest stories are found by exact profile cosines (the
    projection missed a small story's true neighbours: ``stories._ProfileSearch``). At
    threshold 0.2 (grid 5-50 runners-up, ratio 2.0-3.25): 35 at 3.0 0.914 / 0.892 / 0.813 (mean
    0.873, against 0.851 before). Relinking now recovers fragments, so a higher threshold keeps
    look-alikes apart at little cost to DUC. ``bench/story_fit.py`` runs the grid of threshold
    0.2-0.28 x 25, 35, 50 runners-up x ratio 2.5-3.0 again: threshold 0.28, 50 runners-up,
    ratio 2.75 give 0.927 / 0.902 / 0.878 (mean 0.902); 35 at 2.5 0.927 / 0.903 / 0.874; 0.26
    at 2.75 0.914 / 0.902 / 0.872. Higher thresholds score higher still (0.32, 50, 3.0: 0.923 /
    0.898 / 0.908; at 0.45 and above, where the first linking almost never joins and
    relinking makes the stories, 0.913-0.918 mean for 65-120 runners-up at 3.0-3.75). There
    nearly every event opens a story and is relinked: replaying ``pipeline.link_stories`` on the
    100,000-article store ``bench/story_scale.py`` builds took 213 CPU seconds at 0.45 (100
    runners-up, 3.5) against 167 at these defaults. Not the default yet: ``bench/story_fit.py``
    has not been run over that region.
    """

    threshold: float = 0.28
    """Score at or above which an event joins a story (see above)."""
    merge_threshold: float = 0.5
    """Two stories merge when one opening article scores this against both."""
    story_merge_threshold: float = 0.4
    """Two stories merge when their TF-IDF profiles reach this cosine (a story's first reports
    can be too few to show what it continues): 0.808 / 0.796 / 0.764 at 0.4, 0.801 / 0.793 /
    0.764 at 0.5, 0.814 / 0.814 / 0.759 at 0.35, 0.813 / 0.815 / 0.736 at 0.3 (threshold 0.17,
    names at 0.1). 0.35 came out 0.007 better on the mean after the 100k benchmark and the
    held-out runs were made at 0.4; within what one fit set can tell apart, it was left at 0.4."""
    relink_articles: int = 10
    """After each batch, a story of at most this many articles that the batch touched is read
    again against the larger stories (``StoryLinker._relink_small``); 0 turns it off."""
    relink_threshold: float = 0.1
    """TF-IDF profile cosine a small story needs with the story it is merged into."""
    relink_ratio: float = 2.75
    """... and how many times better that story must match than the mean of the next
    ``relink_runners_up``."""
    relink_runners_up: int = 50
    """Stories after the best (by exact profile cosine) whose mean the ratio test compares with:
    the next best alone is often another fragment of the same topic, while a look-alike matches
    many about as well."""
    names_weight: float = 0.1
    """Weight of how much the story is about the article's distinctive names: for each name
    (IDF-weighted) the share of the story's articles that mention it, less ``names_baseline``.
    At 0 (threshold 0.17) 0.806 / 0.811 / 0.731; at 0.2 (baseline 0.2, threshold 0.15) 0.828 /
    0.771 / 0.724: a name shared with a story of the same town and trade (two shootings in one
    city) draws unrelated events in. A share, not a yes or no: with "does the story mention the
    name at all" a story of hundreds of articles mentions almost any name, and took every event."""
    names_baseline: float = 0.2
    """The share of distinctive names below which the names count against a story."""
    dense_weight: float = 0.0
    """Weight of the MiniLM cosine with the story's centroid (above ``dense_baseline``). 0 on
    DUC 2006 (MiniLM vectors of title and lead, TF-IDF events): 0.841 / 0.805 at 0.2 and
    threshold 0.16, 0.801 / 0.806 at 0.2 and 0.13, against 0.833 / 0.825 without; the vectors
    still find candidate stories by meaning."""
    dense_baseline: float = 0.3
    """MiniLM cosine of two unrelated news articles, about: below it the dense signal counts against."""
    gap_weight: float = 0.0
    """Penalty per unit of log(1 + weeks) since the story's latest article. 0: DUC topics run
    for months or years (median 800 days between a topic's first and last article), and no
    visible set has gold stories with which to fit a decay."""
    candidates: int = 10
    """Nearest stories by words (and by MiniLM vector) scored for each opening article."""
    rare_name_share: float = 0.05
    """A name at least one other and at most this share of the articles mention is distinctive
    for stories (broader than for events: a story's names recur through all its articles)."""
    name_postings: int = 50
    """Stories kept per distinctive name for the candidate search."""
    profile_terms: int = 300
    """A story's TF-IDF profile keeps its heaviest terms only, so memory stays flat, and a long
    story's profile does not drift towards the words of all news (at 3,000 terms every DUC 2006
    article joined one story; 0.833 / 0.825 at 300, 0.814 / 0.820 at 600, threshold 0.13)."""
    projection_dims: int = 256
    """Size of the random projection of TF-IDF that finds the nearest stories."""
    digest_events: int = 5
    """A story's digest cites the lead sentence of this many of its events, the most covered."""


@dataclass(frozen=True)
class SummarySettings:
    """Extractive multi-document summaries."""

    words: int = 100
    """Default word budget of a summary."""
    update_words: int = 100
    """Word budget of an update (what new articles add): DUC 2007's update task's length."""
    story_coverage_weight: float = 5.0
    """In an update, covering the new sentence closest to what the whole story is about (earlier
    and new articles together) counts this much more than 1: the earlier reports say what the
    story is (DUC 2007 update ROUGE-2 recall 9.02 at 0, 9.99 at 5: docs/tuning.md)."""
    min_topic_similarity: float = 0.08
    """Sentences less similar than this (cosine) to the event's other articles are off topic.
    The bundled aggregator page's stray sentences score 0.042 (Syrian constitution) and 0.07
    (Charlie Hebdo)."""
    lead_min_topic_similarity: float = 0.0
    """The same bar for an article's first ``lead_sentences`` sentences, which report the story
    the page is about (an aggregator's stray paragraphs come further down). On the first 80
    Multi-News clusters (MiniLM on) ROUGE-2 recall was 17.64 with leads held to 0.08, 18.06 at
    0.03 and 18.62 at 0; 19 summaries came out short of the budget at 0.08 and 13 at 0. Not
    with a question (``--query``): then the question, not the lead, says what matters."""
    redundancy: float = 0.55
    """A candidate this similar (cosine) to a chosen sentence says nothing new."""
    lead_weight: float = 0.0
    """Relevance bonus for the first sentences of an article, where news puts the facts. Without
    a question the coverage of leads (``lead_coverage_weight``) already favours them: Multi-News
    ROUGE-2 recall 19.73 at 0 against 19.58 at 0.1 (TF-IDF only)."""
    lead_weight_with_query: float = 0.1
    """The same bonus when a question is asked: DUC 2006 9.62 at 0.1 against 9.51 at 0."""
    lead_sentences: int = 4
    """How many opening sentences receive a decreasing lead bonus."""
    support_similarity: float = 0.35
    """Two sentences of different outlets this similar (cosine) report the same thing."""
    support_weight: float = 0.1
    """Bonus for a sentence that every other outlet also reports (scaled by their share)."""
    query_weight: float = 0.5
    """Relevance bonus per unit of cosine between a sentence and the question (``--query``)."""
    lead_coverage_weight: float = 10.0
    """Covering an article's first sentence counts this much more (than 1), fading over
    ``lead_sentences``: editors summarise what the leads say. On the first 80 Multi-News
    clusters (TF-IDF only, every sentence held to a topic bar of 0.03 while tuning) ROUGE-2 recall
    was 17.67 at 1, 17.71 at 3, 18.05 at 6, 18.17 at 10."""
    lead_coverage_weight_with_query: float = 1.0
    """The same when a question is asked (``--query``): then the question says what matters, and
    10 cost DUC 2007 update 0.7 points of ROUGE-2 recall (10.39 at 1, 9.66 at 10)."""
    query_coverage_weight: float = 5.0
    """With a question, covering the sentence that answers it best counts this much more (than 1):
    5 gave ROUGE-2 recall 10.38 on DUC 2007 update against 9.29 at 2 (TF-IDF only)."""
    coverage_saturation: float = 0.25
    """A candidate counts as covered once the summary gives it this share of the similarity the
    whole pool gives it (Lin & Bilmes' alpha)."""
    diversity_weight: float = 2.0
    """Weight of the per-cluster diversity reward against coverage (0 cost DUC 2007 update 0.7
    points of ROUGE-2 recall; 2 gained 0.2 over 0.5)."""
    cluster_share: float = 0.1
    """Clusters for the diversity reward: this share of the candidates."""
    cost_exponent: float = 0.0
    """Gain is divided by length**this: 1 favours short sentences, 0 ignores length (0 beat 0.5
    by 1 point of ROUGE-2 recall on DUC 2007 update: long news sentences carry the facts)."""
    lone_article_similarity: float = 0.1
    """An article whose TF-IDF centroid is less similar (cosine) than this to every other
    article's has no one to confirm it; its own centroid then judges its sentences' topicality."""
    lone_article_discount: float = 0.5
    """How much a lone article's own centroid counts, against the others' (1)."""
    model_without_query: bool = False
    """Use MiniLM (``embed_*`` below) in summaries without a question too. Off: without a
    question its only part is to catch the same fact told in other words among a shortlist, and
    on all 250 Multi-News clusters ROUGE-2 recall was 19.86 with it and 19.89 without (R1 55.23
    and 55.34), while it was the second cost of a default ingest (17 of 59 s on 200 GVA
    articles, #21). With a question MiniLM matches it by meaning (DUC 2007 update, DUC 2006)."""
    embed_redundancy: float = 0.8
    """Two sentences this similar in MiniLM space (cosine) say the same thing in other words."""
    embed_shortlist_per_word: float = 0.4
    """Only the best candidates by TF-IDF relevance, this many per word of the budget, are embedded
    with MiniLM and may be chosen; every pooled sentence still counts in the coverage. MiniLM is
    the largest cost of summarising (about 150 sentences/s on 2 idle cores), and a 100-word
    summary of four sentences needs no 80 candidates: 0.4 gives 40 at 100 words (DUC 2007
    update ROUGE-2 recall 10.34 at 40, 10.39 at 80) and reaches ``embed_shortlist`` at 200."""
    embed_shortlist: int = 80
    """At most this many candidates are embedded. 80 against 40 at 300 words on the first 80
    Multi-News clusters (topic bar 0.03 while tuning): ROUGE-2 recall 18.55 against 17.83."""
    concept_weight: float = 1.0
    """Weight of the word-pair concepts (pairs of content words that several outlets use, after
    Gillick & Favre 2009) against sentence coverage: a full set of concepts weighs this many
    times full coverage. Multi-News, all 250 clusters, TF-IDF only, ROUGE-2 recall: 18.76 at 0,
    19.13 at 0.5, 19.08 at 1; with ``fill_off_topic`` and no lead bonus, 19.56 at 0.5, 19.73 at 1."""
    concept_weight_with_query: float = 0.0
    """The same when a question is asked (``--query``): what the outlets repeat is not what the
    question asks. DUC 2007 update, TF-IDF only: 10.27 at 0, 10.00 at 0.3."""
    concept_min_df: int = 2
    """A word pair is a concept once this many independent sources use it."""
    fill_off_topic: bool = True
    """Without a question, when the on-topic sentences run out before the budget, go on with the
    others, best first, instead of stopping short. In an event of two or three reports, one of
    them often a thin or noisy scrape, the topic bar rejects sound sentences of the main report:
    47 of 250 Multi-News summaries came out short of 300 words, and ROUGE-2 recall rose from
    19.13 to 19.60 with it (TF-IDF only). A large event fills its budget on topic (the bundled
    pair keeps its stray sentences out up to 800 words). With a question the pool is narrow on
    purpose, and filling it cost DUC 2006 (MiniLM on) 9.54 -> 9.29."""
    max_articles: int = 40
    """An event with more distinct articles is summarised from this many, spread evenly over the
    order given (time order in the pipeline). A summary compares every candidate sentence with
    every other: memory and time grow with the square of the event's size, and an 8,000-article
    event took over 20 GB. 40 leaves the evaluation sets whole (DUC's 25 documents, Multi-News'
    10) and still gives each sentence 39 other articles to find support in."""


@dataclass(frozen=True)
class FactsSettings:
    """Entities, figures, disagreements and timelines of events (facts/)."""

    enabled: bool = True
    """False skips spaCy entirely: events keep the publication-date timeline only."""
    min_articles: int = 2
    """Events with fewer articles get no entities or figures: the facts exist to compare sources,
    and skipping single-article events halves the spaCy work on the GVA corpus (661 of 1,234
    incidents have one article)."""
    max_articles: int = 40
    """An event with more articles has its entities, figures and disagreements read from this
    many, spread evenly over it (as its summary is, ``SummarySettings.max_articles``): figures are
    compared pair by pair, so an 8,000-article event of 40,000 figures would take hours."""
    aliases_path: str = ""
    """A TSV file of extra aliases (``$STORYLINE_ALIASES``), same format as data/aliases.tsv."""
    spelling_similarity: float = 0.8
    """difflib ratio at or above which the one differing word of two names is a spelling variant:
    Mustefa/Mustafa scores 0.857, Joan/John 0.75 (kept apart)."""
    about_tolerance: float = 0.1
    """"about 90" allows 81-99; "nearly 100" allows 90-100. Figures outside each other's ranges
    disagree."""
    min_context_overlap: float = 0.5
    """Share of the shorter sentence's content words that the other must share for two figures
    with the same key to describe the same thing (tuned on tests/data/facts_pairs.tsv)."""
    max_report_gap_hours: float = 48.0
    """Figures from articles published further apart describe different times (a toll rises)."""
    max_entities: int = 30
    max_figures: int = 100
    max_disagreements: int = 20
    max_timeline: int = 60
    """Caps on what is stored per event, so a 500-article event stays readable."""
    timeline_text_chars: int = 240
    """A timeline entry quotes its sentence up to this many characters."""
    recent_months: int = 3
    """A month or a day named without its year ("in May", "the May 19 opening") enters the
    timeline only if its latest occurrence up to the report is at most this many months old:
    further back, the sentence as often means the coming one. On the first held-out sample
    (b89f152, no such bound) 11 of the 20 wrong timeline entries were such dates placed a year
    back (0.900 precision); the bound was chosen at 3 months before a second sample was drawn."""
    own_days: int = 1
    """A date more than this many days before an event's first report is background (a birth, an
    earlier attack): the timeline lists the event's own days first, then the background apart
    (docs/tuning.md: chosen on GVA 2013-14)."""
    name_lead_sentences: int = 2
    """Names are read from the title, the first this many sentences of the body, and the
    sentences spaCy reads for figures and dates (those with a number or a date word); the other
    sentences are not read at all (see facts/nlp.py)."""


@dataclass(frozen=True)
class ServeSettings:
    """The HTTP API and web pages (``storyline serve``)."""

    host: str = "127.0.0.1"
    """Loopback only by default: exposing the store to a network is the user's explicit choice."""
    port: int = 8000
    max_body_bytes: int = 10 * 1024 * 1024
    """Larger request bodies are refused (413) before they are read: 10 MiB holds a few thousand
    articles of typical length (about 4 KB of JSON each)."""
    max_items: int = 1000
    """Articles or URLs per POST; larger batches should be split."""
    page_size: int = 20
    """Events per page when the request names no limit."""
    max_page_size: int = 100
    """The largest ``limit`` a request may ask for: each event loads its articles."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser; none by default (same-origin only)."""
    private: bool = False
    """True makes reads need an API key too; by default only writes do."""
    workers: int = 1
    """Server processes (uvicorn's own); they share the store, and one of them at a time runs
    the ingest jobs (``lease_seconds``). One per core: each answers reads on its own."""
    cache_entries: int = 512
    """Answers to reads kept per server process, keyed by URL and the store's change counter:
    any write to the store makes them stale at once. 0 turns the cache off."""
    updates_shown: int = 5
    """Updates an event or story page (and its JSON) shows under "New since": the latest few;
    ``/updates`` and the feeds hold the rest."""
    feed_entries: int = 50
    """Updates a feed holds, newest first: a reader polling every few hours misses none of a
    busy search's."""
    outlet_choices: int = 100
    """Outlets offered in the event list's filter (the most prolific); the 100k benchmark store
    holds thousands, and every page would carry them all."""
    lease_seconds: float = 30.0
    """How long the ingest lease of a server process lasts unless renewed (every third of it):
    if the process holding it dies, another takes the jobs over after at most this long."""
    job_poll_seconds: float = 1.0
    """How often the lease holder looks for jobs queued through another server process."""
    job_batch: int = 50
    """Queued jobs an ingest run takes together: their articles are stored job by job, and the
    events rebuilt once for all of them (a rebuild reads the whole store)."""
    job_gather_seconds: float = 2.0
    """How long the job runner waits, once it finds a job, for more to arrive (a client posting
    a thousand articles in batches of 100 sends them within a second) to run them together; well
    under ``lease_seconds``, which the wait uses up."""
    job_priority: int = 10
    """Nice value of the process that runs ingest jobs: on a busy machine the reads come first."""


@dataclass(frozen=True)
class SearchSettings:
    """Full-text search of events (``storyline.search``, ``storyline.listing``)."""

    max_matches: int = 500
    """Matching documents a search reads per index (articles; events' headlines and summaries),
    newest first, and scores. In the 100k benchmark store "shooting" is in 37,933 articles:
    ranking them all took 106 ms in SQLite (bm25 costs about 4 us a row). ``Store.find_events``
    for "police" or "shooting" (20 events, median of 7, idle machine, one after the other) took
    18 ms reading 1,000 matches per index and 8 ms reading 500, inside the 20 ms a search may
    cost at 100k articles (bench/search_speed.py and docs/serve.md give the figures per query).
    When more match, the results say so (``complete`` false) and more words or dates narrow them."""
    min_prefix_chars: int = 3
    """Letters a word needs before a trailing ``*`` makes it a prefix: "a*" would read the
    postings of every word that starts with "a"."""
    max_prefix_words: int = 64
    """Words a prefix longer than SQLite's prefix indexes may begin and still be searched as
    those words (``search.spelled_prefix``); past that it is searched as a prefix. The cap
    bounds both the vocabulary read and the OR that FTS5 then walks: "investig*" begins 11
    words in the 100k benchmark store, and a ranked OR costs about 0.2 ms a word."""


@dataclass(frozen=True)
class ScaleSettings:
    """Running the pipeline over partitions, in process or on a Dask cluster (scale.py)."""

    workers: int = 0
    """Dask worker processes to start on this machine (a LocalCluster, one thread each);
    0 runs every partition in this process."""
    scheduler: str = ""
    """Address of an existing Dask scheduler (``tcp://HOST:8786``); wins over ``workers``."""
    partition_files: int = 64
    """Input files per extraction task when a folder holds many small files (a WARC or JSONL
    file is always one task of its own): enough work to hide a task's overhead (~1 ms)."""
    partition_articles: int = 1000
    """Articles per embedding and MinHash task: about 10 s of MiniLM on one core, and 4 MB of
    text to ship to a worker."""
    partition_events: int = 500
    """Events per summary task."""
    tasks_in_flight: int = 2
    """Tasks queued per worker: enough that none waits, few enough that memory stays flat."""
    cluster_batch: int = 10_000
    """Articles the clusterer takes at once (``partial_fit``); its TF-IDF statistics grow batch
    by batch, so a store smaller than this is clustered exactly as in one ``fit_predict``, and
    a larger one in bounded memory."""
    connect_timeout: float = 10.0
    """Seconds to wait for ``scheduler`` before giving up with an error."""
    analysis_partition: int = 25
    """Articles per spaCy analysis task (facts/analysis.py): a second or two of work, so that
    the processes finish together and the clustering hands work over soon after it finds it
    (``scale.EarlyAnalysis``)."""
    analysis_processes: int = 2
    """Without a Dask cluster, articles are analysed by this many fresh processes of this machine
    (one per core here); 1 analyses them in the ingesting process."""
    analysis_pool_min_articles: int = 100
    """Fewer articles to analyse than this are analysed in the ingesting process: each pool
    process must import spaCy and load its model first (about 2 s). An ingest whose input holds
    this many articles (``bytes_per_article``), or that has read this many, starts the processes
    at once (``scale.EarlyAnalysis``)."""
    bytes_per_article: int = 2_500
    """About how many bytes of a JSONL, WARC (gzipped) or feed file make one article, to judge
    before reading whether an input holds ``analysis_pool_min_articles`` (``scale.holds_articles``):
    the first 400 GVA articles are 952 kB of JSONL, 10,000 pages of bench/pipeline_scale.py 28 MB
    of WARC. An input that does starts the processes at its first article, so that spaCy loads
    while the rest is read."""
    analysis_niceness: int = 10
    """How far the analysis processes lower their priority (``os.nice``). They start while the
    events are clustered (``scale.EarlyAnalysis``) and should take only the core the clustering
    leaves idle, never slow the clustering that the rest of the ingest waits for."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs; build with ``Settings.from_env()``."""

    db: str = DEFAULT_DB
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    clean: CleanSettings = field(default_factory=CleanSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    sentences: SentenceSettings = field(default_factory=SentenceSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    stories: StorySettings = field(default_factory=StorySettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    facts: FactsSettings = field(default_factory=FactsSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    scale: ScaleSettings = field(default_factory=ScaleSettings)

    def described_with(self, facts: bool = True) -> Settings:
        """These settings with spaCy's facts left out when not wanted (``--no-facts``): a server
        ingesting into a store bulk-loaded without them must describe events alike, or its first
        job describes every event again."""
        return replace(self, facts=replace(self.facts, enabled=self.facts.enabled and facts))

    @classmethod
    def from_env(cls, db: str | None = None) -> Settings:
        """Settings with the database from ``db``, else ``$STORYLINE_DB``, else the default;
        ``$STORYLINE_EMBEDDINGS=off`` turns the MiniLM model off; ``$STORYLINE_ALIASES`` names an extra alias table."""
        embed = EmbedSettings(enabled=os.environ.get(EMBEDDINGS_ENV, "on").lower() not in {"off", "0", "false", "no"})
        facts = FactsSettings(aliases_path=os.environ.get(ALIASES_ENV, ""))
        return cls(db=db or os.environ.get(DB_ENV) or DEFAULT_DB, embed=embed, facts=facts)
