# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import inspect
import re
from pathlib import Path

from odoo.api import call_kw
from odoo.exceptions import AccessError
from odoo.service.model import check_method_name
from odoo.tests import Form, users

from odoo.addons.lead_management.models.crm_lead import WRITABLE_FIELDS

from .common import LeadManagementCommon

ADDON = Path(__file__).resolve().parent.parent

# Context keys the addon honoured before its pipeline took arguments instead: a client could send them.
FORMER_CONTEXT_KEYS = {
    "lead_management_crm_move": True,
    "lead_management_scoring_off": True,
    "lead_management_grades_checked": True,
    "lead_management_move_reason": "Forged reason",
    "lead_management_no_promotion": True,
    "lead_management_no_assignment": True,
    "lead_management_no_auto_handoff": True,
    "lead_management_lost_reason_id": 1,
}


class TestOnePipeline(LeadManagementCommon):

    def test_one_create_and_one_write(self):
        """crm.lead has one create and one write of ours, in models/crm_lead.py; every step is private."""
        ours = [cls for cls in type(self.env["crm.lead"]).__mro__
                if cls.__module__.startswith("odoo.addons.lead_management.")]
        for method in ("create", "write"):
            with self.subTest(method=method):
                owners = [cls.__module__ for cls in ours if method in vars(cls)]
                self.assertEqual(owners, ["odoo.addons.lead_management.models.crm_lead"])
        pipeline = inspect.getsource(type(self.env["crm.lead"])._run_pipeline)
        steps = re.findall(r"self\._(\w+)_step\(changes\)", pipeline)
        self.assertEqual(steps, ["contact", "ownership", "scoring", "promotion", "handoff", "sla", "nurture",
                                 "followup"], "the order is written once")

    def test_no_context_switch_is_read(self):
        """No code of the addon reads a context key of its own: switches are method arguments."""
        offenders = []
        for path in ADDON.rglob("*.py"):
            if "tests" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"context(\.get\(|\[)\s*['\"]lead_management", line):
                    offenders.append(f"{path.relative_to(ADDON)}:{number}: {line.strip()}")
        self.assertEqual(offenders, [])

    def test_steps_run_in_order_on_create(self):
        """A created lead gets, in this order, a stage, an owner, a score, a promotion its score allows and a
        hand-off: the promotion reads the score computed the step before."""
        self._set_company(lead_auto_handoff=True)
        self._stage("qualified").entry_domain = "[('lead_score', '>=', 70)]"
        self.env["lead.scoring.rule"].create({"name": "Demo asked", "domain": "[('description', 'ilike', 'demo')]",
                                              "points": 75})
        self._rescore()
        lead = self._create_leads(1, description="Wants a demo")
        self.assertEqual(lead.lead_score, 75)
        self.assertEqual(lead.grade_id.name, "A")
        self.assertEqual(lead.qualifier_id.login in ("lm_qualifier", "lm_qualifier_2"), True)
        self.assertEqual(lead.handoff_state, "pending", "promoted to qualified at once, then handed off")
        self.assertEqual(lead.lifecycle_history_ids.sorted("id").mapped("to_stage_id.code"),
                         ["target", "qualified"])
        self.assertIn("Entry criteria", lead.lifecycle_history_ids.sorted("id")[-1].reason)

    def test_score_based_entry_criteria_act_at_once_on_write(self):
        self._stage("lead").entry_domain = "[('lead_score', '>=', 30)]"
        self.env["lead.scoring.rule"].create({"name": "Has phone", "domain": "[('phone', '!=', False)]",
                                              "points": 35})
        self._rescore()
        lead = self._create_leads(1)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))
        lead.phone = "+32 470 00 00 00"
        self.assertEqual(lead.lead_score, 35)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("lead"), "promoted by the score in the same write")

    def test_sql_write_of_the_score_tells_the_orm(self):
        """The score and grade are written in SQL: computed fields that depend on them follow at once."""
        self.env["lead.scoring.rule"].create({"name": "Has phone", "domain": "[('phone', '!=', False)]",
                                              "points": 80})
        self._rescore()
        lead = self._create_leads(1, lifecycle_stage_id=self._stage("qualified").id)
        self.assertFalse(lead.is_sales_ready, "grade D")
        lead.phone = "+32 470 00 00 00"
        self.assertEqual(lead.grade_id.name, "A")
        self.assertTrue(lead.is_sales_ready)


class TestRulesHoldOverRpc(LeadManagementCommon):
    """What a client sends over RPC (call_kw, as the web client and XML-RPC do) changes nothing it may not."""

    def _call(self, user, model, method, *args, context=None, **kwargs):
        check_method_name(method)
        records = self.env[model].with_user(user).with_context(**(context or {}))
        return call_kw(records, method, list(args), kwargs)

    def test_former_context_keys_change_nothing(self):
        rep = self.user_qualifier
        lead = self.lead
        # Into a sales stage by hand: refused whatever the context says.
        with self.assertRaisesRegex(Exception, "through sales"):
            self._call(rep, "crm.lead", "write", [lead.id], {"lifecycle_stage_id": self._stage("prospect").id},
                       context=FORMER_CONTEXT_KEYS)
        self.assertEqual(lead.lifecycle_stage_id, self._stage("target"))
        # A move's reason is the system's, never the client's.
        self._call(rep, "crm.lead", "write", [lead.id], {"lifecycle_stage_id": self._stage("lead").id},
                   context=FORMER_CONTEXT_KEYS)
        self.assertEqual(self._last_move(lead).reason, "Changed by Quinn Qualifier")
        # Scoring is not frozen: a rule's field changed, the score follows.
        self.env["lead.scoring.rule"].create({"name": "Phone", "domain": "[('phone', '!=', False)]", "points": 20})
        self._rescore()
        lead.invalidate_recordset()
        before = lead.lead_score
        self._call(rep, "crm.lead", "write", [lead.id], {"phone": False}, context=FORMER_CONTEXT_KEYS)
        self.assertEqual(lead.lead_score, before - 20)
        # A created lead still gets an owner and a stage.
        [new_id] = self._call(rep, "crm.lead", "create", [{"name": "Via RPC", "type": "lead", "user_id": False,
                                                            "team_id": self.team.id}],
                              context=FORMER_CONTEXT_KEYS)
        new = self.env["crm.lead"].browse(new_id)
        self.assertEqual(new.lifecycle_stage_id, self._stage("target"))
        self.assertTrue(new.qualifier_id)
        # Grade thresholds are still validated.
        grades = {grade.name: grade for grade in self.env["lead.grade"].search([])}
        with self.assertRaisesRegex(Exception, "overlap"):
            self._call(self.user_lead_manager, "lead.grade", "write", [grades["B"].id], {"min_score": 70},
                       context=FORMER_CONTEXT_KEYS)
        self.assertEqual(grades["B"].min_score, 40)

    def test_system_fields_are_refused(self):
        """Every field the addon adds to crm.lead is in the explicit writable list or refused over call_kw, for
        every role, on write and on create. The list is taken from the fields themselves (the modules that define
        them), not from the addon's own list: a field added later is covered without being named here."""
        handed = self._create_leads(1, qualifier_id=self.user_qualifier.id)
        handed.with_user(self.user_qualifier).action_handoff_to_sales()
        Lead = self.env["crm.lead"]
        ours = {fname for fname, field in Lead._fields.items()
                if field._modules and all(module.startswith("lead_management") for module in field._modules)}
        self.assertLessEqual(WRITABLE_FIELDS, ours)
        self.assertLessEqual({"lifecycle_side", "grade_id", "handoff_state", "sla_state", "mobile_state",
                              "marketing_consent_date", "duplicate_of_id", "is_sales_ready"}, ours - WRITABLE_FIELDS)
        # A forged value for every other field, of the field's type; crm's contact quality fields too.
        forged = {"selection": lambda field: field.get_values(self.env)[-1], "many2one": lambda field: 1,
                  "one2many": lambda field: [(0, 0, {})], "datetime": lambda field: "2020-01-01 00:00:00",
                  "integer": lambda field: 7, "float": lambda field: 99.0, "char": lambda field: "forged",
                  "text": lambda field: "forged", "boolean": lambda field: True, "html": lambda field: "<p>forged</p>"}
        system = (ours - WRITABLE_FIELDS) | {"email_normalized", "email_state", "phone_sanitized", "phone_state"}
        values = {fname: forged[Lead._fields[fname].type](Lead._fields[fname]) for fname in system}
        values["lifecycle_history_ids"] = [(0, 0, {"to_stage_id": self._stage("customer").id, "reason": "forged"})]
        values["lifecycle_side"] = "sales"
        stored = [fname for fname in values if Lead._fields[fname].store]
        handed.invalidate_recordset()
        before = handed.read(stored)[0]
        for user in (self.user_qualifier, self.user_lead_manager, handed.user_id, self.user_sales_manager):
            for fname, value in values.items():
                with self.subTest(user=user.login, field=fname), self.assertRaises(AccessError):
                    self._call(user, "crm.lead", "write", [handed.id], {fname: value})
                with self.subTest(user=user.login, field=fname, on="create"), self.assertRaises(AccessError):
                    self._call(user, "crm.lead", "create", [{"name": "Forged", fname: value}])
        handed.invalidate_recordset()
        self.assertEqual(handed.read(stored)[0], before)
        # Defaults sent in the context are dropped, not applied.
        [new_id] = self._call(self.user_qualifier, "crm.lead", "create", [{"name": "Defaults", "type": "lead"}],
                              context={"default_handoff_state": "accepted", "default_lead_score": 99,
                                       "default_recycle_count": 5})
        new = self.env["crm.lead"].browse(new_id)
        self.assertEqual((new.handoff_state, new.lead_score, new.recycle_count), (False, 0, 0))
        # History rows cannot be written or created by anyone but the system.
        move = self._last_move(handed)
        for user in (self.user_qualifier, self.user_lead_manager, self.user_sales_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._call(user, "lead.lifecycle.history", "write", [move.id], {"reason": "forged"})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._call(user, "lead.lifecycle.history", "create",
                           [{"lead_id": handed.id, "to_stage_id": self._stage("customer").id}])

    def test_lifecycle_side_is_the_stages(self):
        """A qualifying rep once wrote 'sales' on a lead at Target: every salesperson then saw it (the global rule
        reads that column) while its stage still said marketing."""
        lead = self.lead
        self.assertEqual((lead.lifecycle_code, lead.lifecycle_side), ("target", "marketing"))
        with self.assertRaises(AccessError):
            self._call(self.user_qualifier, "crm.lead", "write", [lead.id], {"lifecycle_side": "sales"})
        lead.invalidate_recordset()
        self.assertEqual(lead.lifecycle_side, "marketing")
        self.assertFalse(self.env["crm.lead"].with_user(self.user_salesman).search([("id", "=", lead.id)]))

    @users("lm_qualifier")
    def test_the_form_still_saves(self):
        """The web client sends no readonly field: editing a lead as usual is not refused."""
        with Form(self.env["crm.lead"].browse(self.lead.id)) as form:
            form.description = "Called back, wants a quote"
            form.lifecycle_stage_id = self._stage("lead")
        self.assertEqual(self.lead.lifecycle_stage_id, self._stage("lead"))


class TestReadsNeverWrite(LeadManagementCommon):

    def _writes(self):
        """Rows this transaction inserted, updated or deleted so far (PostgreSQL's own counters)."""
        self.env.cr.flush()  # the ORM's pending writes, and the precommit ones (history rows, tracking)
        self.env.cr.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return self.env.cr.fetchone()[0]

    def test_explanation_and_breakdown_do_not_write(self):
        self._set_company(lead_auto_handoff=True)
        rule = self.env["lead.scoring.rule"].create({"name": "Reachable", "domain": "[('email_from', '!=', False)]",
                                                     "points": 90})
        # The stored score is out of date (rule saved, job not run yet): a read used to rescore, log a grade
        # change and hand the lead off. It now says the score is pending.
        lead = self.lead.with_user(self.user_qualifier)
        lead.invalidate_recordset()
        before = self._writes()
        breakdown = lead.get_score_breakdown()
        html = lead.score_explanation
        lead.read(["score_explanation", "fit_score", "engagement_score", "is_sales_ready", "lead_score"])
        self.assertEqual(self._writes(), before)
        self.assertEqual(breakdown["pending"], -90)
        self.assertIn("Not rescored yet", html)
        self.assertFalse(self.lead.user_id)
        self.assertTrue(rule)
