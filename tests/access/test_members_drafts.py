"""The members' text is the LIVE version's, also when it
is built by a change elsewhere (a conference made members-only, a speaker
renamed, a move) after a draft with other notes was saved."""

from django.contrib.auth.models import Group, User
from django.test import TestCase, override_settings
from wagtail.models import Page

from tests.builders import build_conference, build_library, build_session, committed
from wagtail_pmolib.models import SessionMembersText, Speaker

MEMBERS = {"MEMBER_GROUPS": ["Members"], "JOIN_URL": "https://example.com/join/"}


@override_settings(WAGTAIL_PMOLIB=MEMBERS)
class DraftsNeverReachTheMembersText(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.library = build_library()
        cls.conf = build_conference(cls.library, "Open 2021")
        cls.other = build_conference(cls.library, "Members 2022", access_level="members")
        cls.speaker = Speaker.objects.create(name="Lindsay Scott")
        with committed():
            cls.session = build_session(
                cls.conf, "Clinic", speakers=[cls.speaker], notes="<p>dingo live notes</p>"
            )
        cls.member = User.objects.create_user("member", password="pw")
        cls.member.groups.add(Group.objects.create(name="Members"))

    def draft(self):
        page = Page.objects.get(pk=self.session.pk).specific
        page.notes = "<p>wallaby draft notes</p>"
        with committed():
            page.save_revision()

    def row_text(self):
        row = SessionMembersText.objects.filter(pk=self.session.pk).first()
        return row and row.text

    def test_conference_made_members_only_after_a_draft(self):
        self.draft()
        conference = Page.objects.get(pk=self.conf.pk).specific
        conference.access_level = "members"
        with committed():
            conference.save_revision().publish()
        self.assertIn("dingo", self.row_text())
        self.assertNotIn("wallaby", self.row_text())

    def test_moved_into_a_members_conference_after_a_draft(self):
        self.draft()
        with committed():
            Page.objects.get(pk=self.session.pk).move(self.other, pos="last-child")
        self.assertIn("dingo", self.row_text())
        self.assertNotIn("wallaby", self.row_text())
        with committed():
            speaker = Speaker.objects.get(pk=self.speaker.pk)
            speaker.name = "Lindsay Quoll"
            speaker.save()
        self.assertIn("Quoll", self.row_text())
        self.assertNotIn("wallaby", self.row_text())
