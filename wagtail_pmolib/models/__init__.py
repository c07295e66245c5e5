from .mixins import TableOfContentsMixin
from .pages import (
    AbstractConferencePage,
    AbstractLibraryIndexPage,
    AbstractSessionPage,
    ConferencePage,
    ConferenceTheme,
    LibraryIndexPage,
    SessionPage,
    SessionSpeaker,
)
from .speakers import AbstractSpeaker, Speaker

__all__ = [
    "AbstractConferencePage",
    "AbstractLibraryIndexPage",
    "AbstractSessionPage",
    "AbstractSpeaker",
    "ConferencePage",
    "ConferenceTheme",
    "LibraryIndexPage",
    "SessionPage",
    "SessionSpeaker",
    "Speaker",
    "TableOfContentsMixin",
]
