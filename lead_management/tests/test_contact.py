# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Contact data at entry: numbers read with the lead's country else its company's, e-mail syntax, the
data-quality view, the hand-off refused without a valid e-mail or phone, and duplicates per policy."""
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, users
from odoo.tools.safe_eval import safe_eval

from .common import LeadManagementCommon

# (country of the lead, number as typed, E.164 or None when invalid): national and international forms,
# trunk prefixes, extensions, and numbers that are too short, too long or of no country.
PHONES = [
    ("BE", "02 290 34 90", "+3222903490"),
    ("BE", "+32 2 290 34 90", "+3222903490"),
    ("BE", "0032 2 290 34 90", "+3222903490"),
    ("BE", "0470 12 34 56", "+32470123456"),
    ("BE", "+32 2 290 34 90 ext. 12", "+3222903490"),
    ("FR", "01 42 68 53 00", "+33142685300"),
    ("FR", "+33 (0)1 42 68 53 00", "+33142685300"),
    ("DE", "030 901820", "+4930901820"),
    ("DE", "0151 23456789", "+4915123456789"),
    ("US", "(650) 253-0000 ext. 123", "+16502530000"),
    ("US", "650-253-0000 x45", "+16502530000"),
    ("US", "1-650-253-0000", "+16502530000"),
    ("GB", "020 7946 0018", "+442079460018"),
    ("GB", "07911 123456", "+447911123456"),
    ("NL", "06 12345678", "+31612345678"),
    ("IN", "098765 43210", "+919876543210"),
    ("BR", "(11) 91234-5678", "+5511912345678"),
    ("JP", "03-1234-5678", "+81312345678"),
    ("AU", "0412 345 678", "+61412345678"),
    ("CH", "044 668 18 00", "+41446681800"),
    ("ES", "912 345 678", "+34912345678"),
    ("IT", "06 1234 5678", "+390612345678"),
    ("MX", "55 1234 5678", "+525512345678"),
    ("ZA", "021 123 4567", "+27211234567"),
    # An international number is read as such whatever the lead's country.
    ("BE", "+1 650 253 0000", "+16502530000"),
    # Invalid: kept as typed, flagged.
    ("BE", "02 290", None),
    ("FR", "01 42 68 53 00 00 00", None),
    ("US", "555-0100", None),
    ("US", "02 290 34 90", None),
    ("DE", "+49 30", None),
    ("GB", "+44 20 1234", None),
    ("BE", "+999 123 456", None),
    ("BE", "not a number", None),
]

EMAILS = [
    ("ada@acme.example.com", "correct"),
    ('"Ada Acme" <Ada@Acme.Example.COM>', "correct"),
    ("a.b+c@sub.acme.co.uk", "correct"),
    ("ümlaut@exämple.de", "correct"),
    ("x@y", "incorrect"),
    ("@acme.com", "incorrect"),
    ("ada@acme..com", "incorrect"),
    ("ada@-acme.com", "incorrect"),
    ("ada@acme.c0m", "incorrect"),
    ("not an address", "incorrect"),
]


class TestPhoneAndEmailQuality(LeadManagementCommon):

    def test_phone_table(self):
        countries = {code: self.env["res.country"].search([("code", "=", code)]) for code, _n, _e in PHONES}
        self.assertGreaterEqual(len(countries), 10)
        leads = self._create_leads(len(PHONES))
        for lead, (code, number, _e164) in zip(leads, PHONES, strict=True):
            lead.write({"country_id": countries[code].id, "phone": number})
        for lead, (code, number, e164) in zip(leads, PHONES, strict=True):
            with self.subTest(country=code, number=number):
                self.assertEqual(lead.phone, number, "what the person typed is kept")
                self.assertEqual(lead.phone_sanitized, e164 or False)
                self.assertEqual(lead.phone_state, "correct" if e164 else "incorrect")

    def test_mobile_is_checked_too(self):
        lead = self._create_leads(1, country_id=self.env.ref("base.be").id, mobile="0470 12 34 56", phone="02 290")[0]
        self.assertEqual((lead.mobile_state, lead.phone_state), ("correct", "incorrect"))
        self.assertEqual(lead.phone_sanitized, "+32470123456", "crm's phone_sanitized takes the first valid number")
        lead.mobile = "0470 12"
        self.assertEqual(lead.mobile_state, "incorrect")
        self.assertFalse(lead.phone_sanitized)

    def test_company_country_when_the_lead_has_none(self):
        """A national number without a country on the lead is read in the lead's company's country, not in the
        country of whoever saved it."""
        belgian = self.env["res.company"].create({"name": "Belgian Co", "country_id": self.env.ref("base.be").id})
        american = self.env["res.company"].create({"name": "American Co", "country_id": self.env.ref("base.us").id})
        self.env.user.company_ids |= belgian | american
        be_lead, us_lead = self.env["crm.lead"].with_company(american).create([
            {"name": "BE lead", "type": "lead", "company_id": belgian.id, "phone": "02 290 34 90"},
            {"name": "US lead", "type": "lead", "company_id": american.id, "phone": "02 290 34 90"},
        ])
        self.assertEqual((be_lead.phone_sanitized, be_lead.phone_state), ("+3222903490", "correct"))
        self.assertEqual((us_lead.phone_sanitized, us_lead.phone_state), (False, "incorrect"))
        # The lead's own country comes first.
        us_lead.country_id = self.env.ref("base.be")
        self.assertEqual((us_lead.phone_sanitized, us_lead.phone_state), ("+3222903490", "correct"))

    def test_a_company_that_changes_country_has_its_leads_read_again_by_a_job(self):
        """A company's new country is not applied to its leads in the request that saves it (a million leads would not
        fit in memory): the leads without a country of their own are read again, in chunks, by a scheduled job that
        the change wakes; those with their own country keep their numbers."""
        company = self.env["res.company"].create({"name": "Moving Co", "country_id": self.env.ref("base.us").id})
        self.env.user.company_ids |= company
        plain, own = self.env["crm.lead"].with_company(company).create([
            {"name": "No country", "type": "lead", "company_id": company.id, "phone": "02 290 34 90"},
            {"name": "Own country", "type": "lead", "company_id": company.id, "phone": "02 290 34 90",
             "country_id": self.env.ref("base.be").id},
        ])
        self.assertEqual((plain.phone_sanitized, plain.phone_state), (False, "incorrect"))
        cron = self.env.ref("lead_management.ir_cron_contact_numbers")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        company.name = "Moving Co SA"
        self.assertFalse(company.lead_contact_recheck, "only a new country flags the company")
        company.country_id = self.env.ref("base.be")
        self.env.flush_all()
        self.assertEqual((plain.phone_sanitized, plain.phone_state), (False, "incorrect"), "not in the request")
        self.assertTrue(company.lead_contact_recheck)
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
        self.env["crm.lead"]._cron_contact_numbers()
        self.assertEqual((plain.phone_sanitized, plain.phone_state), ("+3222903490", "correct"))
        self.assertEqual((own.phone_sanitized, own.phone_state), ("+3222903490", "correct"))
        self.assertFalse(company.lead_contact_recheck)

    def test_email_table(self):
        leads = self._create_leads(len(EMAILS))
        for lead, (email, _state) in zip(leads, EMAILS, strict=True):
            lead.email_from = email
        for lead, (email, state) in zip(leads, EMAILS, strict=True):
            with self.subTest(email=email):
                self.assertEqual(lead.email_from, email, "kept as typed")
                self.assertEqual(lead.email_state, state)

    def test_filters_and_data_quality_view(self):
        be = self.env.ref("base.be").id
        good, bad_phone, bad_email, unreachable, nothing = self._create_leads(5, country_id=be)
        good.phone = "02 290 34 90"
        bad_phone.phone = "02 290"
        bad_email.write({"email_from": "x@y", "phone": "0470 12 34 56"})
        unreachable.write({"email_from": "ada@acme..com", "phone": "12"})
        nothing.email_from = False
        batch = good | bad_phone | bad_email | unreachable | nothing
        Lead = self.env["crm.lead"].with_user(self.user_lead_manager)

        def search(filter_name):
            domain = self._filter_domain(filter_name)
            return Lead.search([("id", "in", batch.ids), *domain])

        self.assertEqual(search("invalid_phone"), bad_phone | unreachable)
        self.assertEqual(search("invalid_email"), bad_email | unreachable)
        self.assertEqual(search("unreachable"), unreachable | nothing)
        # The data-quality view counts them, as the user may read them.
        Report = self.env["lead.data.quality.report"].with_user(self.user_lead_manager)
        [totals] = Report._read_group(
            [("lead_id", "in", batch.ids)], [],
            ["lead_count:sum", "invalid_phone_count:sum", "invalid_email_count:sum", "unreachable_count:sum"])
        self.assertEqual(totals, (5, 2, 2, 2))
        # A salesperson who cannot read these marketing leads counts none of them.
        self.assertFalse(self.env["lead.data.quality.report"].with_user(self.user_salesman).search_count(
            [("lead_id", "in", batch.ids)]))

    def _filter_domain(self, name):
        arch = self.env["crm.lead"].get_view(self.env.ref("crm.view_crm_case_leads_filter").id, "search")["arch"]
        [node] = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")
        return safe_eval(node.get("domain"), {"uid": self.env.uid})

    def test_handoff_needs_a_valid_email_or_phone(self):
        be = self.env.ref("base.be").id
        lead = self._create_leads(1, email_from="ada@acme..com", phone="02 290", country_id=be,
                                  qualifier_id=self.user_qualifier.id)
        with self.assertRaisesRegex(UserError, "valid e-mail address or phone number.*Correct the e-mail address"):
            lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertFalse(lead.handoff_date)
        lead.phone = "02 290 34 90"
        lead.with_user(self.user_qualifier).action_handoff_to_sales()
        self.assertEqual(lead.handoff_state, "pending")

    def test_no_automatic_handoff_without_valid_contact(self):
        self._set_company(lead_auto_handoff=True)
        self.env["lead.scoring.rule"].create({"name": "Everyone", "domain": "[('name', '!=', False)]", "points": 80})
        self._rescore()
        lead = self._create_leads(1, email_from="x@y", lifecycle_stage_id=self._stage("qualified").id)
        self.assertEqual(lead.grade_id.name, "A")
        self.assertTrue(lead.is_sales_ready)
        self.assertFalse(lead.handoff_state, "sales cannot reach it: it stays with marketing")
        lead.email_from = "ada@acme.example.com"
        lead._handoff_auto()
        self.assertEqual(lead.handoff_state, "pending")

    def test_consent_date_follows_the_consent(self):
        lead = self._create_leads(1, marketing_consent="given")
        self.assertTrue(lead.marketing_consent_date)
        lead.marketing_consent = False
        self.assertFalse(lead.marketing_consent_date)


class TestDuplicates(LeadManagementCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.be = cls.env.ref("base.be")
        cls.original = cls._create_leads(1, email_from="Grace <grace@navy.example.com>", phone="02 555 12 34",
                                         country_id=cls.be.id, qualifier_id=cls.user_qualifier_2.id)
        cls.env["lead.engagement.event"]._record_events([{"lead_id": cls.original.id, "type": "webinar"}])

    def _new(self, **values):
        return self.env["crm.lead"].create({"name": "Again", "type": "lead", "team_id": self.team.id,
                                            "user_id": False, **values})

    def test_flag_by_email_and_by_phone(self):
        self._set_company(lead_duplicate_policy="flag")
        by_email = self._new(email_from="GRACE@navy.example.com")
        by_phone = self._new(phone="+32 2 555 12 34", email_from="other@navy.example.com")
        other = self._new(email_from="bob@navy.example.com", phone="+32 2 555 12 35")
        self.assertEqual(by_email.duplicate_of_id, self.original)
        self.assertEqual(by_phone.duplicate_of_id, self.original)
        self.assertFalse(other.duplicate_of_id)
        # Given to the qualifying rep of the lead it duplicates, told once in the chatter.
        self.assertEqual(by_email.qualifier_id, self.user_qualifier_2)
        self.assertIn("Possible duplicate of", by_email.message_ids[:1].body)
        self.assertIn(by_email, self.env["crm.lead"].search([("is_possible_duplicate", "=", True)]))

    def test_a_lead_hidden_from_its_creator_is_not_named(self):
        """A salesperson who cannot read marketing's lead creates the same person: the hidden lead is neither named
        on theirs (a many2one shows its name to anyone) nor gives its rep the new lead."""
        self._set_company(lead_duplicate_policy="flag")
        self.assertFalse(self.original.with_user(self.user_salesman)._filtered_access("read"))
        mine = self.env["crm.lead"].with_user(self.user_salesman).create(
            {"name": "My call", "type": "lead", "email_from": "grace@navy.example.com"})
        self.assertFalse(mine.sudo().duplicate_of_id)
        self.assertNotEqual(mine.qualifier_id, self.user_qualifier_2)
        self.assertNotIn("Possible duplicate", "".join(mine.sudo().message_ids.mapped("body")))
        # The qualifying rep who can read it sees the flag.
        theirs = self.env["crm.lead"].with_user(self.user_qualifier_2).create(
            {"name": "Their call", "type": "lead", "email_from": "grace@navy.example.com"})
        self.assertEqual(theirs.duplicate_lead_id, self.original)

    def test_created_as_superuser_names_the_duplicate_only_to_its_readers(self):
        """A lead created as superuser (intake API, website form, e-mail) was flagged with the lead it duplicates,
        whose name then showed to every rep who read the new lead, through the many2one and the chatter."""
        self._set_company(lead_duplicate_policy="flag")
        self.original.write({"user_id": self.user_salesman_2.id, "type": "opportunity"})
        self.original.qualifier_id = False
        self.original.name = "Navy: secret expansion plan"
        lead = self._new(email_from="grace@navy.example.com", qualifier_id=self.user_qualifier.id)
        self.assertEqual(lead.sudo().duplicate_of_id, self.original)
        rep = lead.with_user(self.user_qualifier)
        self.assertFalse(self.original.with_user(self.user_qualifier)._filtered_access("read"))
        [values] = rep.read(["duplicate_lead_id", "is_possible_duplicate", "message_ids"])
        self.assertEqual((values["duplicate_lead_id"], values["is_possible_duplicate"]), (False, True))
        with self.assertRaises(AccessError):
            rep.read(["duplicate_of_id"])
        self.assertNotIn("secret", "".join(rep.message_ids.mapped("body")))
        self.assertIn(lead, self.env["crm.lead"].with_user(self.user_qualifier).search(
            [("is_possible_duplicate", "=", True)]))
        # Its salesperson, who reads it, gets its name.
        self.assertEqual(lead.with_user(self.user_sales_manager).duplicate_lead_id, self.original)

    def test_contact_quality_is_not_written_by_clients(self):
        lead = self._new(email_from="grace@navy")
        self.assertEqual(lead.email_state, "incorrect")
        for vals in ({"email_state": "correct"}, {"phone_sanitized": "+3225551234"}, {"mobile_state": "correct"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                lead.with_user(self.user_lead_manager).write(vals)
        self.assertEqual(lead.email_state, "incorrect")

    def test_lost_and_won_leads_are_not_duplicates(self):
        self._set_company(lead_duplicate_policy="flag")
        self.original.action_set_lost()
        self.assertFalse(self._new(email_from="grace@navy.example.com").duplicate_of_id)

    def test_other_company_is_not_a_duplicate(self):
        self._set_company(lead_duplicate_policy="flag")
        company_2 = self.env["res.company"].create({"name": "Other Co"})
        self.env.user.company_ids |= company_2
        self.assertFalse(self._new(email_from="grace@navy.example.com", company_id=company_2.id,
                                   team_id=False).duplicate_of_id)

    def test_known_contact(self):
        self._set_company(lead_duplicate_policy="flag")
        partner = self.env["res.partner"].create({"name": "Carl Customer", "email": "carl@customer.example.com"})
        lead = self._new(email_from="carl@customer.example.com")
        self.assertEqual(lead.duplicate_partner_id, partner)
        self.assertFalse(lead.duplicate_of_id)

    def test_allow(self):
        self._set_company(lead_duplicate_policy="allow")
        lead = self._new(email_from="grace@navy.example.com")
        self.assertFalse(lead.duplicate_of_id)
        self.assertTrue(lead.qualifier_id, "assigned round-robin as any lead")

    def test_merge_policy_flags_leads_created_in_odoo(self):
        """Merge is for the intake API, which merges; a lead created in the form is flagged (someone is on it)."""
        self._set_company(lead_duplicate_policy="merge")
        with Form(self.env["crm.lead"].with_user(self.user_qualifier_2)) as form:
            form.name = "Typed in the form"
            form.email_from = "grace@navy.example.com"
        lead = form.record
        self.assertTrue(lead.exists())
        self.assertEqual(lead.sudo().duplicate_of_id, self.original)

    def test_merge_keeps_every_event_history_row_and_score_input(self):
        self._set_company(lead_duplicate_policy="merge")
        self.env["lead.scoring.rule"].create({"name": "Has mobile", "domain": "[('mobile', '!=', False)]",
                                              "points": 10})
        self._rescore()
        lead = self._new(email_from="grace@navy.example.com", mobile="0470 12 34 56", country_id=self.be.id,
                         description="Downloaded the price list")
        self.env["lead.engagement.event"]._record_events([{"lead_id": lead.id, "type": "download",
                                                           "external_id": "dl-1"}])
        # Alike for crm (same stage, same probability): the older one stays.
        (self.original | lead).write({"probability": 10})
        events = (self.original | lead).engagement_event_ids
        history = (self.original | lead).lifecycle_history_ids
        self.assertEqual(len(events), 2)
        merged = lead._duplicate_merge()
        head = merged[lead.id]
        self.assertEqual(head, self.original, "the older lead stays when both are alike")
        self.assertFalse(lead.exists())
        self.assertEqual(head.engagement_event_ids, events)
        self.assertEqual(head.lifecycle_history_ids, history)
        # The lead that was there is kept as it was: the new details are crm's merge note on it.
        self.assertFalse(head.mobile)
        self.assertNotIn("price list", head.description or "")
        note = head.message_ids.filtered(lambda message: "price list" in (message.body or ""))
        self.assertIn("0470 12 34 56", note.body)
        self.assertEqual(head.lead_score, round(head.engagement_score), "no mobile on the lead that stays")
        self.assertGreater(head.engagement_score, 25, "webinar and download both count")

    @users("lm_qualifier_2")
    def test_clear_and_merge_buttons(self):
        self._set_company(lead_duplicate_policy="flag")
        lead = self._new(email_from="grace@navy.example.com")
        self.assertEqual(lead.duplicate_lead_id, self.original)
        action = lead.action_merge_duplicate()
        self.assertEqual(action["context"]["active_ids"], (lead | self.original).ids)
        lead.action_clear_duplicate()
        self.assertFalse(lead.is_possible_duplicate)
