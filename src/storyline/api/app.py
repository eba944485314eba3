"""The HTTP API and web pages over the store (``storyline serve``).

Every read has one URL for people and programs: a browser (``Accept: text/html``) gets a page,
anything else gets JSON, and ``?format=json`` or ``?format=html`` decides explicitly (datasette's
"every page has a JSON twin"). Writes are queued as jobs that one server process at a time
runs through the same pipeline as ``storyline ingest`` (jobs.py); the request returns at once
with a job to poll. Reads come from list rows and indexes (listing.py) and are kept per process
until the store changes (``ReadCache``); docs/serve.md says how and what was measured. Events
and stories are served alike: one list route, one list page, differing in what they list.
"""

import json
import logging
import os
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from importlib.metadata import version
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import ServeSettings, Settings
from ..fetch import is_url
from ..jobs import JobRunner
from ..keys import key_name
from ..listing import ListPage, ListQuery, ListRow, parse_moment
from ..model import Article, Event, Update
from ..render import (
    cited_change,
    event_as_dict,
    figure_phrase,
    outlet_count,
    story_as_dict,
    timeline_parts,
    update_as_dict,
)
from ..store import Job, ListKind, Store
from ..web import (
    LIST_VIEWS,
    STATIC,
    TEMPLATES,
    article_paragraphs,
    citation_numbers,
    date_span,
    entry_date,
    outlets_of,
    story_axis,
    story_outlets,
    timeline_chart,
    web_link,
)
from ..web.feeds import PAGES, Feed, atom_feed, validators
from .bodies import (
    ArticleIn,
    ArticleOut,
    EventDetail,
    EventPage,
    Health,
    JobOut,
    StoryDetail,
    StoryPage,
    Submission,
    UpdateList,
)
from .middleware import BodyLimit, ReadCache, RefuseNul, SecurityHeaders

log = logging.getLogger("storyline.api")
VERSION = version("storyline")

# SQL integers are 64-bit: a larger OFFSET is an overflow error in the database, not an empty page.
_SQL_BIGINT_MAX = 2**63 - 1


# -- the application ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRequest:
    """A list's filters as the request gave them (its page's form shows them again) and the
    query they make."""

    filters: dict[str, str]
    query: ListQuery


@dataclass(frozen=True)
class UpdatesRequest:
    """The filters of ``/updates`` as the request gave them, and what they ask for: updates of
    what ``query`` finds, of one ``kind`` (or both), made at or after ``since``."""

    filters: dict[str, str]
    query: ListQuery
    kind: Literal["event", "story"] | None
    since: datetime | None
    limit: int


class _Server:
    """What every route of one application reads: the store, its job runner, the serving
    settings and the page templates; and the checks and answers they share."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.store = store
        self.runner = JobRunner(store, settings)
        self.serve = settings.serve
        self.templates = _templates()
        # The filter form's counted choices (outlets by kind of list, languages), for the store's
        # change count: counted once per change, whichever page of a list asks.
        self._choices_at: dict[tuple[int, str], list[tuple[str, int]]] = {}

    def require_key(self, request: Request) -> str:
        key = _presented_key(request)
        name = key_name(self.store, key) if key else None
        if name is None:
            raise HTTPException(
                401,
                "missing or unknown API key: create one with `storyline keys create`"
                " and send it as 'Authorization: Bearer KEY'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return name

    def read_access(self, request: Request) -> None:
        if self.serve.private:
            self.require_key(request)

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, {"serve": self.serve, **context}, status_code=status)

    def outlet_choices(self, chosen: str, kind: ListKind) -> list[tuple[str, int]]:
        """The most prolific outlets for the filter, and the chosen one even when it is not among
        them."""
        choices = self._counted(
            f"outlets {kind}", lambda: self.store.outlets(limit=self.serve.outlet_choices, kind=kind)
        )
        if chosen and chosen not in {name for name, _ in choices}:
            choices.append((chosen, self.store.outlet_events(chosen, kind)))
        return choices

    def language_choices(self, chosen: str) -> list[tuple[str, int]]:
        """The languages the stored articles are written in, with how many articles each, and the
        chosen one even when no article is."""
        choices = self._counted("languages", self.store.languages)
        return [*choices, (chosen, 0)] if chosen and chosen not in {code for code, _ in choices} else choices

    def _counted(self, what: str, count: Callable[[], list[tuple[str, int]]]) -> list[tuple[str, int]]:
        """``count()`` as of the store's current change, counted once per change."""
        key = (self.store.change_count(), what)
        if (counted := self._choices_at.get(key)) is None:
            counted = count()
            for stale in [k for k in self._choices_at if k[0] != key[0]]:
                del self._choices_at[stale]
            self._choices_at[key] = counted
        return list(counted)

    def latest_updates(self, kind: Literal["event", "story"], target_id: str) -> list[Update]:
        """The updates an event or story page shows, newest first."""
        return self.store.updates(kind, [target_id], limit=self.serve.updates_shown)

    def feed_answer(self, request: Request, feed: Feed, updates: list[Update]) -> Response:
        """``feed`` showing ``updates`` as Atom, or 304 when the reader's copy (If-None-Match,
        If-Modified-Since) is this one; both carry the feed's ETag and Last-Modified."""
        base = str(request.base_url).rstrip("/")
        checks = validators(feed, base, updates, VERSION)
        if checks.fresh_for(request.headers.get("if-none-match", ""), request.headers.get("if-modified-since", "")):
            return Response(status_code=304, headers=checks.headers)
        body = atom_feed(feed, base, updates, self.store.arrived_articles(updates), VERSION)
        return Response(body, media_type="application/atom+xml", headers=checks.headers)

    def story_of(self, event: Event) -> dict[str, Any] | None:
        """The story ``event`` is part of, as a link: its id, name, event count and URL (None
        without one)."""
        head = self.store.story_heads([event.story_id]).get(event.story_id) if event.story_id else None
        return _story_link(head.id, head.name, head.events) if head else None


HTML_TOO = {200: {"content": {"text/html": {}}, "description": "JSON, or a web page for browsers"}}
ATOM = {
    200: {"content": {"application/atom+xml": {}}, "description": "An Atom feed, one entry per update"},
    304: {"description": "The reader's copy (If-None-Match, If-Modified-Since) is current"},
}
# What a list page's query says about which rows it shows: its feed keeps these, not the page.
_LIST_FILTERS = ("q", "since", "until", "outlet", "language", "sort")
_LANGUAGE = "Only those reported in this language (an ISO 639-1 code: en, fr, de, ...)."
_UPDATE_FILTERS = ("q", "outlet", "language", "kind", "since")
Format = Annotated[Literal["json", "html"] | None, Query(description="Override the Accept header.")]


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The FastAPI application over ``settings.db`` (or an open ``store``), with its job runner."""
    server = _Server(settings, store or Store(settings.db, settings.search))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        server.runner.start()
        yield
        server.runner.stop()
        server.store.close()

    app = FastAPI(
        title="storyline",
        version=VERSION,
        summary="News articles from many outlets in, events with cited multi-source summaries out.",
        lifespan=lifespan,
    )
    app.state.store, app.state.runner = server.store, server.runner
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_middleware(app, server)
    _add_error_handlers(app, server)
    _add_list_routes(app, server)
    _add_update_routes(app, server)
    _add_item_routes(app, server)
    _add_write_routes(app, server)
    return app


def _add_middleware(app: FastAPI, server: _Server) -> None:
    serve = server.serve
    app.add_middleware(SecurityHeaders)
    if serve.cache_entries and not serve.private:
        app.add_middleware(ReadCache, store=server.store, entries=serve.cache_entries)
    app.add_middleware(BodyLimit, limit=serve.max_body_bytes)
    app.add_middleware(RefuseNul)
    if serve.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(serve.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )


def _add_error_handlers(app: FastAPI, server: _Server) -> None:
    """Errors answer as the request asked: an error page for browsers, else ``{"error": ...}``."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_html(request, request.query_params.get("format")):
            context = {"status": exc.status_code, "message": exc.detail}
            return server.page(request, "error.html", context, exc.status_code)
        return JSONResponse(
            {"error": {"status": exc.status_code, "message": exc.detail}},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        message = "invalid request: " + "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        if _wants_html(request, request.query_params.get("format")):
            return server.page(request, "error.html", {"status": 422, "message": message}, 422)
        return JSONResponse({"error": {"status": 422, "message": message, "details": problems}}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse({"error": {"status": 500, "message": "internal error; see the server log"}}, 500)


def _add_list_routes(app: FastAPI, server: _Server) -> None:
    """``/health``, and the lists: ``/`` and ``/events``, ``/stories``."""
    store, serve, reads = server.store, server.serve, [Depends(server.read_access)]

    @app.get("/health", response_model=Health, tags=["meta"])
    def health() -> dict[str, Any]:
        """Whether the server can read its store, with the store's size."""
        counts = store.counts()
        return {
            "status": "ok",
            "version": VERSION,
            "schema_version": store.schema_version(),
            "articles": counts["articles"],
            "events": counts["events"],
            "stories": counts["stories"],
        }

    def list_request(
        q: Annotated[str, Query(max_length=200, description="Words that must all appear.")] = "",
        since: Annotated[str, Query(description="First day (YYYY-MM-DD), inclusive.")] = "",
        until: Annotated[str, Query(description="Last day (YYYY-MM-DD), inclusive.")] = "",
        outlet: Annotated[str, Query(max_length=200, description="Only those this outlet covered.")] = "",
        language: Annotated[str, Query(max_length=20, description=_LANGUAGE)] = "",
        sort: Annotated[
            Literal["relevance", "recent", "coverage"] | None,
            Query(description="Default: relevance with q, else recent."),
        ] = None,
        limit: Annotated[int | None, Query(ge=1, le=serve.max_page_size)] = None,
        offset: Annotated[int, Query(ge=0, le=_SQL_BIGINT_MAX)] = 0,
    ) -> ListRequest:
        """The filters and page every list (events, stories) takes."""
        query = ListQuery.of_days(
            text=q,
            since=_day(since, "since"),
            until=_day(until, "until"),
            source=outlet,
            language=language,
            order=sort or "",
            limit=limit or serve.page_size,
            offset=offset,
        )
        filters = {"q": q, "since": since, "until": until, "outlet": outlet, "language": language}
        return ListRequest(filters, query)

    Listed = Annotated[ListRequest, Depends(list_request)]

    @app.get("/", include_in_schema=False, dependencies=reads)
    @app.get("/events", response_model=EventPage, responses=HTML_TOO, dependencies=reads, tags=["read"])
    def list_events(request: Request, asked: Listed, format: Format = None) -> Any:
        """Events, best match (``sort=relevance``, with ``q``), newest (``sort=recent``) or most covered
        (``sort=coverage``) first, one page at a time."""
        return _list_answer(server, request, format, asked, store.find_events(asked.query), "events")

    @app.get("/stories", response_model=StoryPage, responses=HTML_TOO, dependencies=reads, tags=["read"])
    def list_stories(request: Request, asked: Listed, format: Format = None) -> Any:
        """Stories (events that continue one another), filtered, ordered and paged as ``/events`` is:
        a search reads their names and digests, their events and their articles."""
        return _list_answer(server, request, format, asked, store.find_stories(asked.query), "stories")

    @app.get("/events.atom", response_class=Response, responses=ATOM, dependencies=reads, tags=["feeds"])
    def events_feed(request: Request, asked: Listed) -> Response:
        """The updates of the events that the same query of ``/events`` finds (its filters, not its
        page), newest first: each a new event or what an ingest added to one."""
        found = store.matching_updates(asked.query, "event", limit=serve.feed_entries)
        return server.feed_answer(request, _list_feed(request, asked, "events"), found)

    @app.get("/stories.atom", response_class=Response, responses=ATOM, dependencies=reads, tags=["feeds"])
    def stories_feed(request: Request, asked: Listed) -> Response:
        """The updates of the stories that the same query of ``/stories`` finds, newest first."""
        found = store.matching_updates(asked.query, "story", limit=serve.feed_entries)
        return server.feed_answer(request, _list_feed(request, asked, "stories"), found)


def _list_feed(request: Request, asked: ListRequest, kind: ListKind) -> Feed:
    """The feed of a list page: what it lists, as its filters narrow it."""
    view, filters = LIST_VIEWS[kind], asked.filters
    title = view.many.capitalize() + (f" matching “{filters['q']}”" if filters["q"] else "")
    title += f" covered by {filters['outlet']}" if filters["outlet"] else ""
    query = _kept_query(request, _LIST_FILTERS)
    return Feed(f"storyline: {title}", f"/{kind}.atom{query}", view.home + query)


def _kept_query(request: Request, names: tuple[str, ...]) -> str:
    """``?`` and the request's non-empty parameters among ``names``, in that order ('' if none):
    a feed's query, the same however the page that names it was asked for."""
    kept = [(name, request.query_params[name]) for name in names if request.query_params.get(name)]
    return "?" + urlencode(kept) if kept else ""


def _list_answer(
    server: _Server, request: Request, fmt: str | None, asked: ListRequest, found: ListPage, kind: ListKind
) -> Any:
    """A page of a list as JSON, or as the list page of ``kind`` with its filter form."""
    query, total = asked.query, found.total
    nearby = {
        "next": _page_url(request, query.offset + query.limit) if query.offset + query.limit < total else None,
        "prev": _page_url(request, max(query.offset - query.limit, 0)) if query.offset else None,
    }
    if _wants_html(request, fmt):
        context = {
            "view": LIST_VIEWS[kind],
            "rows": found.rows,
            "total": total,
            "complete": found.complete,
            "query": query,
            "filters": {**asked.filters, "sort": query.sort},
            "outlets": server.outlet_choices(asked.filters["outlet"], kind),
            "languages": server.language_choices(asked.filters["language"]),
            "date_span": date_span,
            "feed": _feed_link(_list_feed(request, asked, kind)),
            **nearby,
        }
        return server.page(request, "list.html", context)
    brief = _event_brief if kind == "events" else _story_brief
    return {
        "items": [brief(row) for row in found.rows],
        "total": total,
        "complete": found.complete,
        "limit": query.limit,
        "offset": query.offset,
        **nearby,
    }


def _add_item_routes(app: FastAPI, server: _Server) -> None:
    """One event, one story, one article."""
    store, reads = server.store, [Depends(server.read_access)]

    # Before the pages: ``/events/{event_id}`` would take "ev-1.atom" for an event id.
    for kind in PAGES:
        _add_item_feed(app, server, kind)

    @app.get("/events/{event_id}", response_model=EventDetail, responses=HTML_TOO, dependencies=reads, tags=["read"])
    def get_event(request: Request, event_id: str, format: Format = None) -> Any:
        """One event: headline, its story, cited summary, sources by outlet (copies marked), facts,
        disagreements, timeline."""
        event = store.event(event_id, texts=False)
        if event is None:
            return _merged_away(request, store, "event", event_id)
        outlets = outlets_of(event)
        story = server.story_of(event)
        updates = server.latest_updates("event", event_id)
        if _wants_html(request, format):
            context = {
                "event": event,
                "story": story,
                "updates": updates,
                "arrivals": store.arrived_articles(updates),
                "feed": _feed_link(_item_feed("event", event.id, event.headline)),
                "outlets": outlets,
                "citations": citation_numbers(event),
                "articles": {a.id: a for a in event.articles},
                "chart": timeline_chart(event),
                "date_span": date_span,
                "entry_date": entry_date,
            }
            return server.page(request, "event.html", context)
        return {**_event_detail(event, outlets), "story": story, "updates": [_update_out(u) for u in updates]}

    @app.get("/stories/{story_id}", response_model=StoryDetail, responses=HTML_TOO, dependencies=reads, tags=["read"])
    def get_story(request: Request, story_id: str, format: Format = None) -> Any:
        """One story: its name, its events in time order and its digest (the lead of each of its
        most covered events, citing its article)."""
        story = store.story(story_id)
        if story is None:
            return _merged_away(request, store, "story", story_id)
        updates = server.latest_updates("story", story_id)
        if _wants_html(request, format):
            context = {
                "story": story,
                "updates": updates,
                "arrivals": store.arrived_articles(updates),
                "feed": _feed_link(_item_feed("story", story.id, story.name)),
                "events": {e.id: e for e in story.events},
                "axis": story_axis(story),
                "outlets": story_outlets(story),
                "date_span": date_span,
            }
            return server.page(request, "story.html", context)
        detail = story_as_dict(story)
        for event in detail["events"]:
            event["url"] = f"/events/{event['id']}"
        return {**detail, "updates": [_update_out(u) for u in updates]}


def _merged_away(
    request: Request, store: Store, kind: Literal["event", "story"], target_id: str, suffix: str = ""
) -> RedirectResponse:
    """A permanent redirect to what ``target_id`` was merged into, so that a bookmark or a
    feed subscription follows the merge (feed readers update a subscription on a 301); a 404
    when the id was never stored."""
    survivor = store.survivor_of(kind, target_id)
    if survivor is None:
        raise HTTPException(404, f"no {kind} {target_id!r}")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/{PAGES[kind]}/{survivor}{suffix}{query}", status_code=301)


def _add_item_feed(app: FastAPI, server: _Server, kind: Literal["event", "story"]) -> None:
    """``/events/{id}.atom`` or ``/stories/{id}.atom``: the updates of one event or story."""

    @app.get(
        f"/{PAGES[kind]}/{{target_id}}.atom",
        name=f"{kind}_feed",
        response_class=Response,
        responses=ATOM,
        dependencies=[Depends(server.read_access)],
        tags=["feeds"],
    )
    def item_feed(request: Request, target_id: str) -> Response:
        headline = server.store.headline_of(kind, target_id)
        if headline is None:
            return _merged_away(request, server.store, kind, target_id, ".atom")
        found = server.store.updates(kind, [target_id], limit=server.serve.feed_entries)
        return server.feed_answer(request, _item_feed(kind, target_id, headline), found)

    item_feed.__doc__ = f"The updates of one {kind}, newest first: when it opened and what each ingest added."


def _item_feed(kind: Literal["event", "story"], target_id: str, headline: str) -> Feed:
    page = f"/{PAGES[kind]}/{target_id}"
    return Feed(f"storyline: {headline or f'(untitled {kind})'}", f"{page}.atom", page)


def _feed_link(feed: Feed) -> dict[str, str]:
    """What a page's head says of its feed (``<link rel="alternate">``)."""
    return {"title": feed.title, "url": feed.path}


def _add_update_routes(app: FastAPI, server: _Server) -> None:
    """``/updates`` and its feed: what ingests added, across events and stories."""
    store, serve, reads = server.store, server.serve, [Depends(server.read_access)]

    def updates_request(
        q: Annotated[str, Query(max_length=200, description="Only updates of what these words find.")] = "",
        outlet: Annotated[str, Query(max_length=200, description="Only updates of what this outlet covered.")] = "",
        language: Annotated[str, Query(max_length=20, description=_LANGUAGE)] = "",
        kind: Annotated[Literal["event", "story"] | None, Query(description="Default: both.")] = None,
        since: Annotated[str, Query(description="Made then or later: YYYY-MM-DD or an ISO 8601 time.")] = "",
        limit: Annotated[int | None, Query(ge=1, le=serve.max_page_size)] = None,
    ) -> UpdatesRequest:
        try:
            moment = parse_moment(since) if since else None
        except ValueError as exc:
            raise HTTPException(422, f"since={exc}") from None
        filters = {"q": q, "outlet": outlet, "language": language, "kind": kind or "", "since": since}
        query = ListQuery(text=q, source=outlet, language=language)
        return UpdatesRequest(filters, query, kind, moment, limit or serve.page_size)

    Asked = Annotated[UpdatesRequest, Depends(updates_request)]

    def found(asked: UpdatesRequest, limit: int) -> list[Update]:
        return store.matching_updates(asked.query, asked.kind, since=asked.since, limit=limit)

    def feed_of(request: Request) -> Feed:
        query = _kept_query(request, _UPDATE_FILTERS)
        return Feed("storyline: updates", f"/updates.atom{query}", f"/updates{query}")

    @app.get("/updates", response_model=UpdateList, responses=HTML_TOO, dependencies=reads, tags=["read"])
    def list_updates(request: Request, asked: Asked, format: Format = None) -> Any:
        """Updates of events and stories, newest first: what each ingest added (the articles that
        arrived, cited sentences, figures that moved), filtered by the words and outlet that
        ``/events`` takes, by kind and by when they were made."""
        updates = found(asked, asked.limit)
        if _wants_html(request, format):
            context = {
                "updates": updates,
                "arrivals": store.arrived_articles(updates),
                "filters": asked.filters,
                "page_of": lambda u: f"/{PAGES[u.kind]}/{u.target_id}",
                "feed": _feed_link(feed_of(request)),
            }
            return server.page(request, "updates.html", context)
        return {"items": [_update_out(u) for u in updates], "limit": asked.limit}

    @app.get("/updates.atom", response_class=Response, responses=ATOM, dependencies=reads, tags=["feeds"])
    def updates_feed(request: Request, asked: Asked) -> Response:
        """``/updates`` as an Atom feed, with the same filters."""
        return server.feed_answer(request, feed_of(request), found(asked, serve.feed_entries))

    # ``:path``: ids come from users' feeds and JSONL files, and may hold "/" ("reuters/2019/abc").
    @app.get(
        "/articles/{article_id:path}", response_model=ArticleOut, responses=HTML_TOO, dependencies=reads, tags=["read"]
    )
    def get_article(request: Request, article_id: str, format: Format = None) -> Any:
        """One stored article with its text and the events it belongs to."""
        article = store.article(article_id)
        if article is None:
            raise HTTPException(404, f"no article {article_id!r}")
        events = [{"id": i, "headline": h, "url": f"/events/{i}"} for i, h in store.events_of_article(article_id)]
        if _wants_html(request, format):
            context = {"article": article, "paragraphs": article_paragraphs(article), "events": events}
            return server.page(request, "article.html", context)
        return {**_article_dict(article), "events": events}


def _add_write_routes(app: FastAPI, server: _Server) -> None:
    """Ingest jobs: submitted with a key, then polled."""
    store, serve, reads = server.store, server.serve, [Depends(server.read_access)]

    @app.post("/articles", status_code=202, response_model=JobOut, tags=["write"])
    def post_articles(
        request: Request,
        body: Submission | list[ArticleIn] | ArticleIn,
        key: Annotated[str, Depends(server.require_key)],
    ) -> Any:
        """Queue articles (one object, a list, or ``{"articles": [...], "urls": [...]}``) for ingest.

        Returns at once with a job; poll ``GET /jobs/{id}``. Needs an API key.
        """
        submission = _as_submission(body)
        count = len(submission.articles) + len(submission.urls)
        if count == 0:
            raise HTTPException(422, "nothing to ingest: give at least one article or URL")
        if count > serve.max_items:
            raise HTTPException(413, f"{count} items in one request; the limit is {serve.max_items}")
        for url in submission.urls:
            if not is_url(url):
                raise HTTPException(422, f"{url!r}: only http and https URLs can be fetched")
        job = server.runner.submit(submission.model_dump(exclude_defaults=True))
        log.info("job %s queued by key %r: %d items", job.id, key, count)
        answer = _job_dict(job)
        return JSONResponse(jsonable_encoder(answer), status_code=202, headers={"Location": answer["url"]})

    @app.get("/jobs/{job_id}", response_model=JobOut, dependencies=reads, tags=["write"])
    def get_job(job_id: str) -> Any:
        """Where a submitted ingest stands: queued, running, done (with its tally) or failed (with why)."""
        job = store.job(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return _job_dict(job)


SERVE_ENV = "STORYLINE_SERVE"
"""The options of ``storyline serve``, as JSON, for the server processes uvicorn starts."""


def serving_settings(
    db: str,
    host: str,
    port: int,
    cors_origins: list[str] | tuple[str, ...] = (),
    private: bool = False,
    allow_private: bool = False,
    workers: int = 1,
    cache: int = ServeSettings.cache_entries,
    no_facts: bool = False,
) -> Settings:
    """The settings of ``storyline serve`` with these options."""
    settings = Settings.from_env(db).described_with(facts=not no_facts)
    return replace(
        settings,
        serve=replace(
            settings.serve,
            host=host,
            port=port,
            cors_origins=tuple(cors_origins),
            private=private,
            workers=workers,
            cache_entries=cache,
        ),
        fetch=replace(settings.fetch, allow_private=allow_private or settings.fetch.allow_private),
    )


def app_from_env() -> FastAPI:
    """The application of one server process, from ``$STORYLINE_SERVE``: uvicorn calls this in
    each of its worker processes."""
    return create_app(serving_settings(**json.loads(os.environ[SERVE_ENV])))


def _templates() -> Jinja2Templates:
    # Autoescaping is on for every template: article text comes from anywhere and is always escaped.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["day"] = lambda d: d.strftime("%-d %b %Y") if d else "undated"
    env.filters["moment"] = lambda d: d.strftime("%-d %b %Y, %H:%M UTC") if d else "undated"
    env.filters["plural"] = lambda n, word, many="": f"{n} {word if n == 1 else many or word + 's'}"
    env.filters["outlets"] = outlet_count
    env.filters["web_link"] = web_link
    env.globals["cited_change"] = cited_change
    env.globals["figure_phrase"] = figure_phrase
    env.globals["timeline_parts"] = timeline_parts
    env.globals["escape"] = escape
    env.globals["version"] = VERSION
    return Jinja2Templates(env=env)


def _presented_key(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return request.headers.get("x-api-key", "").strip()


def _wants_html(request: Request, fmt: str | None) -> bool:
    if fmt in ("json", "html"):
        return fmt == "html"
    return "text/html" in request.headers.get("accept", "")


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}={value!r}: not a date (use YYYY-MM-DD)") from None


def _page_url(request: Request, offset: int) -> str:
    url = request.url.include_query_params(offset=offset)
    return f"{url.path}?{url.query}"


def _as_submission(body: Submission | list[ArticleIn] | ArticleIn) -> Submission:
    if isinstance(body, Submission):
        return body
    return Submission(articles=body if isinstance(body, list) else [body])


def _listed(row: ListRow, kind: ListKind) -> dict[str, Any]:
    """What a list's JSON gives of any row, events' or stories'."""
    return {
        "id": row.id,
        "sources": row.sources,
        "article_count": row.article_count,
        "first_published": row.first_published,
        "last_published": row.last_published,
        "url": f"/{kind}/{row.id}",
    }


def _story_link(story_id: str, name: str, events: int) -> dict[str, Any]:
    return {"id": story_id, "name": name, "events": events, "url": f"/stories/{story_id}"}


def _event_brief(row: ListRow) -> dict[str, Any]:
    story = _story_link(row.story_id, row.story_name, row.story_events) if row.story_id else None
    return {**_listed(row, "events"), "headline": row.headline, "lead": row.lead, "story": story}


def _story_brief(row: ListRow) -> dict[str, Any]:
    return {**_listed(row, "stories"), "name": row.headline, "digest": row.summary, "event_count": row.event_count}


def _event_detail(event: Event, outlets) -> dict[str, Any]:
    detail = event_as_dict(event)
    # Facts the renderer does not (yet) write out are still part of the API's answer.
    for name in ("entities", "figures", "disagreements"):
        if name not in detail and getattr(event, name, None):
            detail[name] = jsonable_encoder(getattr(event, name))
    detail["outlets"] = [
        {
            "name": outlet.name,
            "articles": [
                {
                    "id": s.article.id,
                    "title": s.article.title,
                    "url": s.article.url,
                    "published": s.article.published,
                    "copy_of": s.copy_of.id if s.copy_of else None,
                }
                for s in outlet.articles
            ],
        }
        for outlet in outlets
    ]
    return jsonable_encoder(detail)


def _article_dict(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "text": article.text,
        "url": article.url,
        "source": article.source,
        "published": article.published,
        "author": article.author,
        "language": article.language,
    }


def _update_out(update: Update) -> dict[str, Any]:
    return {**update_as_dict(update), "url": f"/{PAGES[update.kind]}/{update.target_id}"}


def _job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "result": json.loads(job.result) if job.result else None,
        "error": job.error,
        "url": f"/jobs/{job.id}",
    }
