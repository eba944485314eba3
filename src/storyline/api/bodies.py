"""The bodies the HTTP API reads and writes: requests validated and responses documented by
these pydantic models (the OpenAPI schema at /docs comes from them)."""

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class ArticleIn(BaseModel):
    """An article as JSON: the same fields as a line of a ``.jsonl`` input."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, description="The article's body.")
    id: str = Field("", description="Your id for it; by default one is made from the URL or text.")
    title: str = ""
    url: str = ""
    source: str = Field("", description="Outlet name; by default the URL's site.")
    published: str | None = Field(None, description="ISO 8601 or any common date form.")


class Submission(BaseModel):
    """Articles as JSON, URLs to fetch, or both."""

    model_config = ConfigDict(extra="forbid")
    articles: list[ArticleIn] = []
    urls: list[str] = Field([], description="http(s) pages to fetch and extract.")


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] | None = Field(None, description="When done: new, duplicate, failed, events.")
    error: str | None = None
    url: str


class StoryLink(BaseModel):
    id: str
    name: str
    events: int = Field(description="How many events the story holds (1: this event alone, so far).")
    url: str


class EventBrief(BaseModel):
    id: str
    headline: str
    lead: str = Field(description="The summary's first sentence.")
    sources: list[str]
    article_count: int
    first_published: datetime | None
    last_published: datetime | None
    url: str
    story: StoryLink | None = Field(default=None, description="The story the event belongs to.")


class StoryBrief(BaseModel):
    id: str
    name: str
    digest: list[str] = Field(description="The lead sentence of each of its most covered events.")
    sources: list[str]
    article_count: int
    event_count: int
    first_published: datetime | None
    last_published: datetime | None
    url: str


Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    total: int
    complete: bool = Field(
        description="False when a search stopped at the matches it reads (the newest 1,000 per index):"
        " more may match; more words or dates narrow it."
    )
    limit: int
    offset: int
    next: str | None
    prev: str | None


class EventPage(Page[EventBrief]):
    """A page of events."""


class StoryPage(Page[StoryBrief]):
    """A page of stories."""


class CitedSentence(BaseModel):
    text: str
    article_id: str
    source: str
    url: str


class FigureChangeOut(BaseModel):
    quantity: str = Field(description="What is counted, e.g. 'people died'.")
    before: dict[str, Any] = Field(description="The figure the earlier articles gave, with its article.")
    after: dict[str, Any] = Field(description="The figure the new articles give, with its article.")


class UpdateOut(BaseModel):
    """What one ingest added to an event or a story."""

    seq: int = Field(description="The store's order of updates: newer ones have larger numbers.")
    kind: Literal["event", "story"]
    target_id: str
    headline: str = Field(description="The event's headline (the story's name) as the update left it.")
    at: datetime
    articles: list[str] = Field(description="Ids of the articles that arrived.")
    opened: bool = Field(description="True when this ingest opened the event or story.")
    summary: list[CitedSentence] = Field(description="What the new articles report that the earlier ones did not.")
    changes: list[FigureChangeOut] = Field(description="Figures whose stated value moved.")
    url: str = Field(description="The page of the event or story.")


class UpdateList(BaseModel):
    """Updates, newest first."""

    items: list[UpdateOut]
    limit: int


class EventDetail(BaseModel):
    """An event with its cited summary, sources by outlet, facts, disagreements and timeline."""

    model_config = ConfigDict(extra="allow")
    id: str
    headline: str
    story: StoryLink | None = Field(description="The story the event is part of.")
    summary: list[dict[str, Any]]
    sources: list[str]
    outlets: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    updates: list[UpdateOut] = Field([], description="The latest updates, newest first.")


class StoryEventOut(BaseModel):
    id: str
    headline: str
    first_published: datetime | None
    last_published: datetime | None
    article_count: int
    sources: list[str]
    url: str


class StoryDetail(BaseModel):
    """A story: its events in time order and its digest, each lead citing its article and event."""

    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    first_published: datetime | None
    last_published: datetime | None
    article_count: int
    sources: list[str]
    events: list[StoryEventOut]
    digest: list[dict[str, Any]]
    updates: list[UpdateOut] = Field([], description="The latest updates, newest first.")


class ArticleOut(BaseModel):
    id: str
    title: str
    text: str
    url: str
    source: str
    published: datetime | None
    author: str
    language: str
    events: list[dict[str, str]]


class Health(BaseModel):
    status: str
    version: str
    schema_version: int
    articles: int
    events: int
    stories: int
