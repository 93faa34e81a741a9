# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Page views of Odoo's website score the lead of the visitor (website_crm's link of visitors and leads): the
engagement type whose page URL matches the page, else the generic page view; views from before the visitor became
a lead once they are one; each view once per lead; the daily cap of each type."""
import re
import uuid

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, RecordCapturer, tagged

from odoo.addons.lead_management.tests.common import LeadManagementCommon
from odoo.addons.lead_management_website.models.website_track import CHECKPOINT

NOW = "2026-03-02 12:00:00"


@tagged("post_install", "-at_install")
class TestWebsiteSignals(HttpCase, LeadManagementCommon):
    # GET requests of the website must write their page views (website's own visitor tests do the same).
    readonly_enabled = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website = cls.env["website"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.page_view = cls.env.ref("lead_management_website.engagement_type_page_view")
        cls.pricing = cls.env.ref("lead_management_website.engagement_type_pricing_page_view")
        # Only the page URLs and the page views of these tests.
        (cls.env["lead.engagement.type"].search([("url_pattern", "!=", False)]) - cls.pricing).active = False
        cls.env["website.track"].search([]).unlink()
        # The job's last run (the demo's, today) is not these tests' day: their first run reads 30 days back.
        cls.env["ir.config_parameter"].set_param(CHECKPOINT, False)

    def _visitor(self, leads=None):
        return self.env["website.visitor"].create({
            "access_token": uuid.uuid4().hex, "website_id": self.website.id,
            "lead_ids": [(6, 0, leads.ids if leads else [])]})

    def _views(self, visitor, *paths, when=None):
        return self.env["website.track"].create([
            {"visitor_id": visitor.id, "url": f"https://www.example.com{path}",
             **({"visit_datetime": when} if when else {})}
            for path in paths])

    def _cron(self):
        self.env["website.track"]._cron_lead_signals()

    def _events(self, lead):
        return self.env["lead.engagement.event"].search(
            [("lead_id", "=", lead.id), ("external_id", "=like", "website.track:%")], order="id")

    def test_views_score_the_type_of_their_page_and_once(self):
        with self.frozen_at(NOW):
            lead = self._create_leads(1)
            visitor = self._visitor(lead)
            pricing, blog = self._views(visitor, "/pricing", "/blog/our-first-post")
            before = lead.engagement_score
            self._cron()
            events = self._events(lead)
            self.assertEqual(events.mapped("type_id"), self.pricing | self.page_view)
            self.assertEqual(events.mapped("note"), ["Visited /pricing", "Visited /blog/our-first-post"])
            self.assertEqual(events.mapped("external_id"),
                             [f"website.track:{pricing.id}:{lead.id}", f"website.track:{blog.id}:{lead.id}"])
            self.assertEqual(set(events.mapped("date")), {pricing.visit_datetime})
            # Dated now: no decay, the points as configured.
            self.assertAlmostEqual(lead.engagement_score - before, self.pricing.points + self.page_view.points)
            self._cron()  # a run that finds them again records nothing more
        with self.frozen_at("2026-03-02 12:20:00"):
            self._cron()
        self.assertEqual(self._events(lead), events)

    def test_views_before_the_visitor_became_a_lead_count_once_it_is_one(self):
        with self.frozen_at("2026-02-27 12:00:00"):
            visitor = self._visitor()
            self._views(visitor, "/pricing", "/blog/our-first-post")
        with self.frozen_at("2026-03-01 12:00:00"):
            with RecordCapturer(self.env["lead.engagement.event"], []) as capture:
                self._cron()  # reads them (the first run looks 30 days back): no lead, nothing
            self.assertFalse(capture.records)
        with self.frozen_at(NOW):
            lead = self._create_leads(1)
            before = lead.engagement_score
            visitor.write({"lead_ids": [(4, lead.id)]})  # as website_crm's form does
            self._cron()
            events = self._events(lead)
            self.assertEqual(events.mapped("type_id"), self.pricing | self.page_view)
            self.assertEqual(set(events.mapped("date")), {visitor.website_track_ids[0].visit_datetime})
            # Three days old: decayed by their half-lives.
            self.assertAlmostEqual(lead.engagement_score - before,
                                   self.pricing.points * 0.5 ** (3 / self.pricing.half_life)
                                   + self.page_view.points * 0.5 ** (3 / self.page_view.half_life))
            self._cron()
            self.assertEqual(self._events(lead), events)

    def test_a_lead_created_with_its_visitor(self):
        """website_crm_livechat's chatbot creates the lead with its visitor: the visitor is not written."""
        with self.frozen_at("2026-02-27 12:00:00"):
            visitor = self._visitor()
            self._views(visitor, "/pricing")
        with self.frozen_at("2026-03-01 12:00:00"):
            self._cron()
        with self.frozen_at(NOW):
            lead = self._create_leads(1, visitor_ids=[(4, visitor.id)])
            self._cron()
            self.assertEqual(self._events(lead).type_id, self.pricing)

    def test_each_open_lead_of_the_visitor_and_none_other(self):
        with self.frozen_at(NOW):
            lead, other, lost = self._create_leads(3)
            lost.action_set_lost()
            visitor = self._visitor(lead | other | lost)
            # Someone who is no lead: nothing.
            self._views(self._visitor(), "/pricing", "/blog/our-first-post")
            with RecordCapturer(self.env["lead.engagement.event"], []) as capture:
                [view] = self._views(visitor, "/pricing")
                self._cron()
            self.assertEqual(capture.records.lead_id, lead | other)
            self.assertEqual(set(capture.records.mapped("external_id")),
                             {f"website.track:{view.id}:{lead.id}", f"website.track:{view.id}:{other.id}"})

    def test_the_daily_cap_of_each_type(self):
        with self.frozen_at(NOW):
            lead = self._create_leads(1)
            before = lead.engagement_score
            visitor = self._visitor(lead)
            self._views(visitor, *["/pricing"] * 4, *[f"/blog/post-{index}" for index in range(12)])
            self._cron()
            self.assertEqual((self.pricing.daily_cap, self.page_view.daily_cap), (15, 10))
            self.assertEqual(len(self._events(lead)), 3 + 10, "views past the day's cap are not recorded")
            self.assertAlmostEqual(lead.engagement_score - before, 15 + 10)
            # A visitor reloading the page all day: nothing more, in this run or the next.
            self._views(visitor, *["/pricing"] * 50)
            self._cron()
            self.assertEqual(len(self._events(lead)), 3 + 10)
            self.assertAlmostEqual(lead.engagement_score - before, 15 + 10)
        with self.frozen_at("2026-03-03 12:00:00"):  # another day, another cap: a day's decay of each
            self._views(visitor, "/pricing")
            self._cron()
            self.assertAlmostEqual(lead.engagement_score - before,
                                   15 * 0.5 ** (1 / self.pricing.half_life) + 5
                                   + 10 * 0.5 ** (1 / self.page_view.half_life))

    def test_an_archived_type_is_not_recorded(self):
        with self.frozen_at(NOW):
            lead = self._create_leads(1)
            visitor = self._visitor(lead)
            self.page_view.active = False
            self._views(visitor, "/pricing", "/blog/our-first-post")
            self._cron()
            self.assertEqual(self._events(lead).type_id, self.pricing)
            self.pricing.active = False
            self._views(visitor, "/pricing/enterprise")
            self._cron()
            self.assertEqual(len(self._events(lead)), 1)

    def test_page_urls_match_with_wildcards_or_as_part_of_the_path(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        Type = self.env["lead.engagement.type"]
        case_study, docs = Type.create([
            {"name": "Case study read", "code": "website_case_study", "sequence": 1, "points": 7,
             "url_pattern": "/blog/*/case-study*"},
            {"name": "Documentation read", "code": "website_docs", "sequence": 2, "points": 3,
             "url_pattern": "docs"},
        ])
        with self.frozen_at(NOW):
            lead = self._create_leads(1)
            visitor = self._visitor(lead)
            expected = {
                "/blog/2026/case-study-acme": case_study,
                "/fr/Blog/2026/Case-Study-Acme": case_study,  # the language prefix and case do not count
                "/blog/2026/case-study/docs": case_study,  # both match: the first by sequence
                "/help/docs/install": docs,
                "/pricing?plan=team": self.pricing,  # the path only
                "/fr/pricing": self.pricing,
                "/blog/case-study": self.page_view,  # no match: the generic page view
                "/": self.page_view,
            }
            views = self._views(visitor, *expected)
            self._cron()
            recorded = {event.external_id: event.type_id for event in self._events(lead)}
            for view, (path, event_type) in zip(views, expected.items(), strict=True):
                with self.subTest(path=path):
                    self.assertEqual(recorded[f"website.track:{view.id}:{lead.id}"], event_type)
            self.assertIn("Visited /Blog/2026/Case-Study-Acme", self._events(lead).mapped("note"))
            # A page type archived: its pages are generic page views again.
            case_study.active = False
            [view] = self._views(visitor, "/blog/2026/case-study-globex")
            self._cron()
            self.assertEqual(self._events(lead).filtered(
                lambda event: event.external_id.startswith(f"website.track:{view.id}:")).type_id, self.page_view)

    def test_a_page_url_added_later_or_a_merge_records_no_view_twice(self):
        with self.frozen_at(NOW):
            lead, other = self._create_leads(2)
            visitor = self._visitor(lead)
            self._views(visitor, "/docs/install")
            self._cron()
            self.assertEqual(self._events(lead).type_id, self.page_view)
            # Within the next run's look-back: found again, now matching a page URL, still recorded once.
            self.env["lead.engagement.type"].create({"name": "Docs", "code": "website_docs", "url_pattern": "docs"})
            self._cron()
            self.assertEqual(len(self._events(lead)), 1)
            head = (lead | other)._merge_opportunity(auto_unlink=True)
            self.assertIn(visitor, head.visitor_ids)
            self.assertEqual(len(self._events(head)), 1, "the events of a merged lead go to the lead that stays")
            visitor.write({"lead_ids": [(4, self._create_leads(1).id)]})  # all of its views are read again
            self._cron()
            self.assertEqual(len(self._events(head)), 1)

    def test_two_leads_of_one_visitor_merged_count_each_view_once(self):
        with self.frozen_at(NOW):
            lead, other = self._create_leads(2)
            visitor = self._visitor(lead)
            visitor.write({"lead_ids": [(4, other.id)]})
            self._views(visitor, "/pricing", "/blog")
            self._cron()
            self.assertEqual((len(self._events(lead)), len(self._events(other))), (2, 2))
            head = (lead | other)._merge_opportunity(auto_unlink=True)
            self.assertEqual(sorted(self._events(head).mapped("note")), ["Visited /blog", "Visited /pricing"])
            self.assertAlmostEqual(head.engagement_score, 6.0, places=2, msg="5 + 1, not twice")

    def test_a_page_url_is_a_path(self):
        Type = self.env["lead.engagement.type"]
        for pattern in ("  ", "*", "**", "https://www.example.com/pricing", "/pricing?plan=team", "/our pricing",
                        "/" + "x" * 200):
            with self.subTest(pattern=pattern), self.assertRaises(ValidationError):
                Type.create({"name": "Pricing", "code": "website_test", "url_pattern": pattern})
        # A path with wildcards is one.
        self.pricing.url_pattern = " /pricing/*/compare "
        self.assertEqual(self.pricing.url_pattern, " /pricing/*/compare ")
        self.pricing.url_pattern = False
        self.assertFalse(self.pricing.url_pattern)
        # A page view is the website's to record: a type with a page URL is not logged by hand.
        self.assertFalse(self.pricing.manual)
        with self.assertRaises(ValidationError):
            self.pricing.write({"url_pattern": "/pricing*", "manual": True})

    def test_a_visit_served_by_the_website_then_the_contact_form(self):
        """A visitor reads the pricing page (a tracked website page), then sends the contact form: the lead the
        form creates gets the views."""
        self.enterContext(self.frozen_at(NOW))
        self.env["website"].search([]).write({"crm_default_team_id": self.team.id, "crm_default_user_id": False})
        view = self.env["ir.ui.view"].create({
            "name": "Pricing", "type": "qweb", "key": "lead_management_website.test_pricing",
            "arch": '<t t-name="lead_management_website.test_pricing"><t t-call="website.layout">'
                    "<p>20 EUR a seat</p></t></t>"})
        self.env["website.page"].create({"view_id": view.id, "url": "/pricing", "website_published": True,
                                         "track": True, "website_id": self.website.id})
        self.assertEqual(self.url_open("/pricing").status_code, 200)
        self.url_open("/pricing")
        html = self.url_open("/contactus").text
        csrf = re.search(r'csrf_token"?\s*:\s*"([^"]+)"', html).group(1)
        with RecordCapturer(self.env["crm.lead"], []) as capture:
            response = self.url_open("/website/form/crm.lead", data={
                "contact_name": "Wendy Web", "email_from": "wendy.pricing@web.example.com",
                "name": "Pricing question", "description": "How much for 20 seats?", "csrf_token": csrf})
            self.assertEqual(response.status_code, 200, response.text[:500])
        lead = capture.records
        self.assertEqual(len(lead), 1)
        self.assertEqual(len(lead.visitor_ids.website_track_ids), 3, "two views of /pricing, one of /contactus")
        before = lead.engagement_score
        self._cron()
        events = self._events(lead)
        self.assertEqual(sorted(events.mapped("note")), ["Visited /contactus", "Visited /pricing", "Visited /pricing"])
        self.assertEqual(events.filtered(lambda event: event.note == "Visited /pricing").type_id, self.pricing)
        # Dated when they were served (the fixed clock: no decay).
        self.assertEqual(lead.engagement_score - before, 2 * self.pricing.points + self.page_view.points)
        self.assertEqual(set(events.mapped("date")), set(lead.visitor_ids.website_track_ids.mapped("visit_datetime")))
