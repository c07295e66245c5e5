from .documents import DocumentText
from .feedback import Feedback, FeedbackStatus, RatingSummary
from .members_text import SessionMembersText
from .mixins import FeedbackMixin, TableOfContentsMixin
from .pages import (
    AbstractConferencePage,
    AbstractLibraryIndexPage,
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
)
from .search import HiddenSearchTerm, SearchTerm, SearchVisitor
from .sessions import AbstractSessionPage, SessionPage, SessionSpeaker
from .settings import FeedbackSettings
from .speakers import AbstractSpeaker, Speaker
from .versions import ContentVersion

__all__ = [
    "AbstractConferencePage",
    "AbstractLibraryIndexPage",
    "AbstractSessionPage",
    "AbstractSpeaker",
    "ConferencePage",
    "ConferenceTheme",
    "ContentVersion",
    "DocumentText",
    "Feedback",
    "FeedbackMixin",
    "FeedbackSettings",
    "FeedbackStatus",
    "HiddenSearchTerm",
    "LibraryIndexPage",
    "RatingSummary",
    "SearchTerm",
    "SearchVisitor",
    "SessionMembersText",
    "SessionPage",
    "SessionSpeaker",
    "Speaker",
    "TableOfContentsMixin",
]
