# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Contact data at entry: phone and e-mail quality, marketing consent, duplicates.

Built on what crm keeps: ``phone`` and ``mobile`` as typed, ``phone_sanitized`` (E.164, through core
``phone_validation``), ``phone_state``, ``email_from`` as typed, ``email_normalized`` and
``email_state``. Numbers are parsed with the lead's country, else its company's (crm falls back on the
company of the user who saves the lead, and ``phone_state`` on no country at all). Invalid numbers and
addresses are kept and flagged, never dropped."""
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, email_split

from odoo.addons.phone_validation.tools import phone_validation

from ..tools import email_is_valid

NUMBER_STATES = [("correct", "Correct"), ("incorrect", "Incorrect")]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Contact quality (crm's phone_state covers ``phone``; the mobile number gets the same check)
    mobile_state = fields.Selection(NUMBER_STATES, "Mobile Quality", compute="_compute_mobile_state", store=True)
    # Consent to marketing communication, as the person last stated it
    marketing_consent = fields.Selection(
        [("given", "Given"), ("refused", "Refused")], tracking=True, copy=False,
        help="Whether the person agreed to receive marketing communication; empty when nobody asked.")
    marketing_consent_date = fields.Datetime(
        "Consent Stated On", compute="_compute_marketing_consent_date", store=True, copy=False)
    # Duplicates found when the lead arrived (Settings > CRM > Lead Management > Duplicates). A many2one shows the
    # name of its record to whoever reads it: the stored flags are for those who see every lead; the others read
    # them through the duplicate_* computes below, which name only what they may read.
    duplicate_of_id = fields.Many2one(
        "crm.lead", "Possible Duplicate Of (All)", readonly=True, copy=False, index="btree_not_null",
        ondelete="set null", groups="lead_management.group_lead_manager,sales_team.group_sale_manager",
        help="An open lead with the same e-mail address or phone number existed when this one arrived.")
    duplicate_partner_id = fields.Many2one(
        "res.partner", "Known Contact (All)", readonly=True, copy=False, index="btree_not_null", ondelete="set null",
        groups="lead_management.group_lead_manager,sales_team.group_sale_manager",
        help="A contact with the same e-mail address (or phone number) existed when this lead arrived.")
    duplicate_lead_id = fields.Many2one(
        "crm.lead", "Possible Duplicate Of", compute="_compute_duplicate_visible",
        help="An open lead with the same e-mail address or phone number existed when this one arrived.")
    duplicate_contact_id = fields.Many2one(
        "res.partner", "Known Contact", compute="_compute_duplicate_visible",
        help="A contact with the same e-mail address (or phone number) existed when this lead arrived.")
    is_possible_duplicate = fields.Boolean(
        "Possible Duplicate", compute="_compute_duplicate_visible", search="_search_is_possible_duplicate",
        help="Flagged as a possible duplicate when it arrived, whether or not you may see the lead it duplicates.")

    @api.depends("duplicate_of_id", "duplicate_partner_id")
    @api.depends_context("uid")
    def _compute_duplicate_visible(self):
        stored = {lead.id: (lead.duplicate_of_id, lead.duplicate_partner_id) for lead in self.sudo()}
        originals = self.browse().union(*(original for original, _contact in stored.values()))
        contacts = self.env["res.partner"].union(*(contact for _original, contact in stored.values()))
        readable = originals.with_env(self.env)._filtered_access("read")
        readable_contacts = contacts.with_env(self.env)._filtered_access("read")
        for lead in self:
            original, contact = stored.get(lead.id, (originals.browse(), contacts.browse()))
            lead.is_possible_duplicate = bool(original)
            lead.duplicate_lead_id = original if original in readable else False
            lead.duplicate_contact_id = contact if contact in readable_contacts else False

    def _search_is_possible_duplicate(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search on 'Possible Duplicate' supports = True and = False only."))
        flagged = self.sudo().with_context(active_test=False)._search([("duplicate_of_id", "!=", False)])
        return [("id", "in" if (operator == "=") == value else "not in", flagged)]

    @api.depends("mobile", "country_id.code", "company_id")
    def _compute_mobile_state(self):
        for lead in self:
            lead.mobile_state = lead._contact_number_state(lead.mobile)

    @api.depends("marketing_consent")
    def _compute_marketing_consent_date(self):
        for lead in self:
            lead.marketing_consent_date = lead.marketing_consent and fields.Datetime.now()

    # crm's computes, with the lead's country else its company's, and a real check of e-mail syntax

    @api.depends("phone", "country_id.code", "company_id")
    def _compute_phone_state(self):
        for lead in self:
            lead.phone_state = lead._contact_number_state(lead.phone)

    @api.depends("email_from")
    def _compute_email_state(self):
        result = super()._compute_email_state()
        for lead in self.filtered(lambda lead: lead.email_state == "correct"):
            if not any(email_is_valid(address) for address in email_split(lead.email_from)):
                lead.email_state = "incorrect"
        return result

    def _phone_get_sanitize_triggers(self):
        # The lead's company, not the company's country: a company that changes country would recompute every lead
        # of it in the request (a million leads do not fit in memory); _cron_contact_numbers does it in chunks.
        return [*super()._phone_get_sanitize_triggers(), "company_id"]

    def _phone_format(self, fname=False, number=False, country=False, force_format="E164", raise_exception=False):
        if not country and len(self) == 1:
            country = self._contact_country()
        return super()._phone_format(fname=fname, number=number, country=country, force_format=force_format,
                                     raise_exception=raise_exception)

    def _merge_get_fields_specific(self):
        # The person's last word on consent wins, whichever lead recorded it.
        return {
            **super()._merge_get_fields_specific(),
            "marketing_consent": lambda fname, leads: next(iter(
                leads.filtered("marketing_consent_date").sorted("marketing_consent_date", reverse=True)
                .mapped("marketing_consent")), False),
        }

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_merge_duplicate(self):
        """Open crm's merge wizard on this lead and the lead it duplicates."""
        self.ensure_one()
        original = self.sudo().duplicate_of_id.with_env(self.env)
        if not original:
            raise UserError(self.env._("“%s” is not flagged as a duplicate.", self.display_name))
        leads = self | original
        leads.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Merge"),
            "res_model": "crm.merge.opportunity",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "crm.lead", "active_ids": leads.ids},
        }

    def action_clear_duplicate(self):
        """Not a duplicate after all: the flag goes, the lead stays as it is."""
        self.check_access("write")
        self.sudo()._write_pipeline({"duplicate_of_id": False, "duplicate_partner_id": False}, by_hand=False)
        return True

    # ------------------------------------------------------------
    # PIPELINE STEP 2: CONTACT
    # ------------------------------------------------------------

    def _contact_step(self, changes):
        """A new lead that duplicates an open lead or a known contact is flagged, and given to the qualifying rep
        who owns the lead it duplicates (the ownership step then leaves it alone)."""
        if changes.created:
            self._duplicate_flag()

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _cron_contact_numbers(self):
        """Read the numbers again of the leads without a country of their own in the companies that changed country
        (res.company.write flags them), in chunks (_lead_management_process_batches)."""
        companies = self.env["res.company"].sudo().search([("lead_contact_recheck", "=", True)])
        if not companies:
            return
        self.sudo().with_context(active_test=False)._lead_management_process_batches(
            [("company_id", "in", companies.ids), ("country_id", "=", False)], "_contact_recheck_numbers")
        companies.write({"lead_contact_recheck": False})

    def _contact_recheck_numbers(self):
        for fname in ("phone_sanitized", "phone_state", "mobile_state"):
            self.env.add_to_compute(self._fields[fname], self)
        self.flush_recordset()

    def _contact_country(self):
        """The country a number of this lead is read in: the lead's, else its company's, else the current one's."""
        self.ensure_one()
        return self.country_id or self.company_id.country_id or self.env.company.country_id

    def _contact_number_state(self, number):
        """crm's phone_state for ``number``: correct, incorrect, or False when empty (or phonenumbers missing)."""
        if not number:
            return False
        try:
            return "correct" if phone_validation.phone_parse(number, self._contact_country().code) else False
        except UserError:
            return "incorrect"

    def _contact_is_reachable(self):
        """Whether sales can follow the lead up: a valid e-mail address or a valid phone or mobile number."""
        self.ensure_one()
        return self.email_state == "correct" or bool(self.phone_sanitized)

    def init(self):
        result = super().init()
        # Duplicates are found by normalised e-mail on every lead created (_duplicate_find). crm indexes the column
        # for ilike only, and only where PostgreSQL has pg_trgm (without it, no index at all: at 1,000,000 leads each
        # new lead read the whole table, 1.1 s); equality wants a btree.
        tools.create_index(self.env.cr, "crm_lead_email_normalized_equal_index", self._table, ["email_normalized"],
                           where="email_normalized IS NOT NULL")
        return result

    def _duplicate_find(self):
        """{lead: (open lead it duplicates, known contact)} for these new leads, by normalised e-mail or E.164
        number: crm's criteria (``_get_lead_duplicates`` on e-mail, its "Similar Leads" on ``phone_sanitized``).
        One query per batch for the leads and contacts already saved, without flushing these new leads (their
        values are matched in Python, so that the leads created earlier in the same batch count too). Searched
        as superuser within the lead's company, as crm's own duplicate detection does."""
        keyed = self.filtered(lambda lead: lead.email_normalized or lead.phone_sanitized)
        if not keyed:
            return {}
        emails = list({lead.email_normalized for lead in keyed if lead.email_normalized})
        phones = list({lead.phone_sanitized for lead in keyed if lead.phone_sanitized})
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        Partner = self.env["res.partner"].sudo()
        partner_phone = "phone_sanitized" in Partner._fields and Partner._fields["phone_sanitized"].store
        self._duplicate_flush(Partner, partner_phone)
        rows = self.env.execute_query(SQL(
            """
            SELECT 'lead', lead.id, lead.email_normalized, lead.phone_sanitized, lead.company_id
              FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             WHERE lead.active AND stage.is_won IS NOT TRUE AND lead.id < %(max_id)s AND lead.id != ALL(%(ids)s)
               AND (lead.email_normalized = ANY(%(emails)s) OR lead.phone_sanitized = ANY(%(phones)s))
             UNION ALL
            SELECT 'partner', partner.id, partner.email_normalized, %(partner_phone)s, partner.company_id
              FROM res_partner partner
             WHERE partner.active AND partner.partner_share
               AND (partner.email_normalized = ANY(%(emails)s) OR %(partner_phone)s = ANY(%(phones)s))
             ORDER BY 2
            """,
            max_id=max(self.ids), ids=list(self.ids), emails=emails, phones=phones,
            partner_phone=SQL("partner.phone_sanitized") if partner_phone else SQL("NULL::varchar"),
        ))
        saved = [(kind, record_id, email, phone, company_id or False) for kind, record_id, email, phone, company_id
                 in rows]
        # The leads of this batch, for the ones after them (open ones only: checked when they match)
        saved += [("new", lead.id, lead.email_normalized, lead.phone_sanitized, lead.company_id.id) for lead in keyed]

        # By address and by number: each lead looks at those with its own (an import of 10,000 leads compares each
        # with a handful, not with the other 9,999).
        by_email, by_phone = defaultdict(list), defaultdict(list)
        for entry in saved:
            if entry[2]:
                by_email[entry[2]].append(entry)
            if entry[3]:
                by_phone[entry[3]].append(entry)
        found = {}
        for lead in keyed:
            company_id = (lead.company_id or self.env.company).id
            email, phone = lead.email_normalized, lead.phone_sanitized
            candidates = {entry[:2]: entry for entry in (by_email.get(email, []) if email else []) + (
                by_phone.get(phone, []) if phone else [])}
            same = [("lead" if kind == "new" else kind, record_id)
                    for kind, record_id, _email, _phone, company in sorted(candidates.values(), key=lambda e: e[1])
                    if company in (company_id, False)
                    and (kind == "partner" or record_id < lead.id)
                    and (kind != "new" or self.browse(record_id).active and not self.browse(record_id).stage_id.is_won)]
            leads = Lead.browse(record_id for kind, record_id in same if kind == "lead")
            contact = Partner.browse(record_id for kind, record_id in same
                                     if kind == "partner" and record_id != lead.partner_id.id)[:1]
            if leads or contact:
                # The lead crm's merge would keep.
                found[lead] = (leads._sort_by_confidence_level(reverse=True)[:1], contact)
        return found

    def _duplicate_flush(self, Partner, partner_phone):
        """Write what the duplicate query reads, if records other than these new leads wait for it."""
        Lead = self.env["crm.lead"]
        lead_fnames = ["email_normalized", "phone_sanitized", "active", "stage_id", "company_id"]
        partner_fnames = ["email_normalized", "active", "partner_share", "company_id"] + (
            ["phone_sanitized"] if partner_phone else [])
        for model, fnames, mine in ((Lead, lead_fnames, self.ids), (Partner, partner_fnames, ())):
            for fname in fnames:
                field = model._fields[fname]
                waiting = set(self.env.records_to_compute(field)._ids) | set(
                    self.env.cache.get_dirty_records(model, field)._ids)
                if waiting - set(mine):
                    model.flush_model(fnames)
                    break
        self.env["crm.stage"].flush_model(["is_won"])

    def _duplicate_flag(self):
        """Flag the new leads of companies that do not allow duplicates. Returns the flagged leads."""
        leads = self.filtered(lambda lead: lead.active
                              and (lead.company_id or self.env.company).sudo().lead_duplicate_policy != "allow")
        found = leads._duplicate_visible(leads._duplicate_find()) if leads else {}
        flagged = self.browse()
        for lead, (original, contact) in found.items():
            vals = {"duplicate_of_id": original.id, "duplicate_partner_id": contact.id}
            if original.qualifier_id and not lead.qualifier_id and not lead.user_id:
                vals["qualifier_id"] = original.qualifier_id.id
            # Part of the creation, as the ownership step's assignment: not tracked, told once below.
            lead.sudo().with_context(tracking_disable=True)._write_pipeline(vals, by_hand=False)
            if "qualifier_id" in vals:
                lead.sudo().message_subscribe(partner_ids=original.qualifier_id.partner_id.ids)
            flagged |= lead
        if flagged:
            bodies = {}
            for lead in flagged:
                original, contact = found[lead]
                parts = []
                # A message is read by whoever reads the lead, now and later: it names neither the lead nor the
                # contact (the banner of the form does, to those who may read them).
                if original:
                    parts.append(self.env._("Possible duplicate of an open lead with the same e-mail address or "
                                            "phone number: merge it or clear the flag."))
                if contact:
                    parts.append(self.env._("A contact with the same e-mail address or phone number exists."))
                bodies[lead.id] = Markup("<p>%s</p>") % " ".join(parts)
            flagged.sudo()._message_log_batch(bodies=bodies)
        return flagged

    def _duplicate_visible(self, found):
        """``found`` reduced to what the user who creates the leads may read: a lead or a contact hidden from them by
        the record rules is neither named on their lead nor hinted at (its name would show in the flag, its rep
        would receive the lead). Leads created as superuser (intake API, website forms, e-mail) see everything."""
        if self.env.su:
            return found
        visible = {}
        for lead, (original, contact) in found.items():
            original = original.with_env(self.env)._filtered_access("read").sudo()
            contact = contact.with_env(self.env)._filtered_access("read").sudo()
            if original or contact:
                visible[lead] = (original, contact)
        return visible

    def _duplicate_merge(self):
        """Merge each of these new leads flagged as a duplicate into the lead it duplicates: the lead that was there
        stays as it is (crm's merge would keep whichever it trusts most, and write the newcomer's text into its
        description); what the new lead brought is logged on it as crm's merge summary, a note; its events,
        history, messages and followers follow, and the person's consent, if stated, is theirs again. Returns
        {lead id: the lead that stays}."""
        result = {}
        for lead in self.sudo().filtered("duplicate_of_id"):
            original = lead.duplicate_of_id
            if not original.active:
                continue
            followers = original._merge_followers(lead)
            original._merge_log_summary(followers, lead)
            original._merge_dependences(lead)
            if lead.marketing_consent:
                original._write_pipeline({"marketing_consent": lead.marketing_consent}, by_hand=False)
            lead.unlink()
            result[lead.id] = original.with_env(self.env)
        return result
