# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Living beside the other addons of a CRM (issue 22): the crm methods the addon extends accept whatever crm's
accept, crm's fields stay as crm shows them, and users let into CRM by other groups than sales_team's get our
records as far as crm.lead lets them. The suites of OCA's crm addons are compared by scripts/oca_suites.py."""
import inspect

from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import Form

from .common import LeadManagementCommon

EXTENDED_MODELS = ("crm.lead", "crm.team", "crm.team.member", "crm.lost.reason", "mail.activity", "mail.template")


def accepts(ours, theirs):
    """Whether a call valid for ``theirs`` (crm's signature, or the next one in the chain) is valid for ``ours``."""
    mine = inspect.signature(ours).parameters.values()
    if any(parameter.kind == parameter.VAR_KEYWORD for parameter in mine):
        keywords = None  # any keyword
    else:
        keywords = {parameter.name for parameter in mine if parameter.kind in (
            parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)}
    positional = [parameter for parameter in mine if parameter.kind in (
        parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)]
    var_positional = any(parameter.kind == parameter.VAR_POSITIONAL for parameter in mine)
    their_positional = [parameter for parameter in inspect.signature(theirs).parameters.values() if parameter.kind in (
        parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)]
    if len(their_positional) > len(positional) and not var_positional:
        return False
    for parameter in inspect.signature(theirs).parameters.values():
        if parameter.kind == parameter.VAR_KEYWORD and keywords is not None:
            return False
        if parameter.kind == parameter.VAR_POSITIONAL and not var_positional:
            return False
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY) and keywords is not None \
                and parameter.name not in keywords:
            return False
    return True


class TestCrmSignatures(LeadManagementCommon):

    def test_extended_methods_accept_what_the_next_one_accepts(self):
        """Each method of ours on a crm model takes every argument the definition after it in the chain takes
        (crm's, or another addon's installed before us): an addon calling crm's signature reaches us unharmed."""
        checked = 0
        for model_name in EXTENDED_MODELS:
            mro = type(self.env[model_name]).__mro__
            for index, cls in enumerate(mro):
                if not cls.__module__.startswith("odoo.addons.lead_management"):
                    continue
                for name, ours in vars(cls).items():
                    if not inspect.isfunction(ours) or name.startswith("__"):
                        continue
                    theirs = next((vars(parent)[name] for parent in mro[index + 1:]
                                   if inspect.isfunction(vars(parent).get(name))), None)
                    if theirs is None:
                        continue
                    checked += 1
                    with self.subTest(model=model_name, method=name, module=cls.__module__):
                        self.assertTrue(accepts(ours, theirs),
                                        f"{cls.__module__}.{name}{inspect.signature(ours)} does not accept "
                                        f"{theirs.__module__}.{name}{inspect.signature(theirs)}")
        self.assertGreater(checked, 10)

    def test_crm_actions_with_crm_arguments(self):
        reason = self.env["crm.lost.reason"].create({"name": "Too expensive"})
        lost, won, converted, merged_a, merged_b = self._create_leads(5, qualifier_id=self.user_qualifier.id)
        lost.action_set_lost(lost_reason_id=reason.id)
        self.assertEqual((lost.active, lost.lost_reason_id), (False, reason))
        # crm's write takes a record for a many2one; another addon's lost-reason flow passes one.
        lost_too = self._create_leads(1, qualifier_id=self.user_qualifier.id)
        lost_too.action_set_lost(lost_reason_id=reason)
        self.assertEqual((lost_too.active, lost_too.lost_reason_id), (False, reason))
        self.assertEqual(lost_too.lifecycle_code, "recycled")
        won.action_set_won_rainbowman()
        self.assertEqual(won.lifecycle_code, "customer")
        converted.convert_opportunity(converted.partner_id, user_ids=[self.user_salesman.id], team_id=self.team.id)
        self.assertEqual((converted.type, converted.user_id), ("opportunity", self.user_salesman))
        head = (merged_a | merged_b).merge_opportunity(user_id=self.user_salesman.id, team_id=self.team.id,
                                                       auto_unlink=True)
        self.assertEqual(len(head.exists()), 1)
        self.assertEqual(head.user_id, self.user_salesman)
        self.team._action_assign_leads(force_quota=True, creation_delta_days=7)


class TestCrmFieldsStayAsCrmShowsThem(LeadManagementCommon):

    def _arch(self, view_type):
        return etree.fromstring(self.env["crm.lead"].get_views([(False, view_type)])["views"][view_type]["arch"])

    def _crm_nodes(self, arch):
        """{crm field: [(invisible, readonly, column_invisible) of each of its nodes]} of crm's own fields."""
        ours = {fname for fname, field in self.env["crm.lead"]._fields.items()
                if all(module.startswith("lead_management") for module in field._modules or ())}
        nodes = {}
        for node in arch.iter("field"):
            name = node.get("name")
            if name in ours or node.getparent().tag in ("list", "kanban") and node.getparent() is not arch:
                continue
            nodes.setdefault(name, []).append(
                (node.get("invisible") or "", node.get("readonly") or "", node.get("column_invisible") or ""))
        return nodes

    def test_no_crm_field_is_hidden_or_locked(self):
        """Every node of a crm field that crm's views show keeps its visibility and writability with the addon's
        views applied; what the addon shows is added beside them."""
        views = self.env["ir.ui.view"].search([("model", "=", "crm.lead"), ("inherit_id", "!=", False)])
        data = self.env["ir.model.data"].search([("model", "=", "ir.ui.view"), ("res_id", "in", views.ids),
                                                 ("module", "=like", "lead_management%")])
        ours = views.browse(data.mapped("res_id"))
        self.assertTrue(ours)
        for view_type in ("form", "list", "kanban", "search"):
            with self.subTest(view=view_type):
                with_us = self._crm_nodes(self._arch(view_type))
                ours.active = False
                self.env.registry.clear_cache("templates")
                without = self._crm_nodes(self._arch(view_type))
                ours.active = True
                self.env.registry.clear_cache("templates")
                for name, modifiers in without.items():
                    for modifier in set(modifiers):
                        self.assertGreaterEqual(with_us.get(name, []).count(modifier), modifiers.count(modifier),
                                                f"crm's {name} {modifier} in the {view_type} view")


class TestOtherGroupsIntoCrm(LeadManagementCommon):
    """A user let into CRM by another addon's group (OCA's crm_security_group gives crm.lead rights without any
    sales_team group) saves leads and reads their events, history and hand-offs as far as crm.lead lets them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crm_only = cls.env["res.groups"].create({"name": "CRM only (another addon's)",
                                                     "implied_ids": [(4, cls.env.ref("base.group_user").id)]})
        cls.env["ir.model.access"].create({
            "name": "crm.lead crm only", "model_id": cls.env.ref("crm.model_crm_lead").id,
            "group_id": cls.crm_only.id, "perm_read": True, "perm_write": True, "perm_create": True})
        cls.env["ir.model.access"].create({
            "name": "crm.team crm only", "model_id": cls.env.ref("sales_team.model_crm_team").id,
            "group_id": cls.crm_only.id, "perm_read": True})
        cls.env["ir.rule"].create({
            "name": "crm only: own leads", "model_id": cls.env.ref("crm.model_crm_lead").id,
            "groups": [(4, cls.crm_only.id)], "domain_force": "[('user_id', '=', user.id)]"})
        cls.outsider = cls.env["res.users"].create({
            "name": "Olive Outsider", "login": "lm_crm_only", "groups_id": [(6, 0, cls.crm_only.ids)]})
        cls.assertFalse(cls, cls.outsider.has_group("sales_team.group_sale_salesman"))

    def test_save_a_lead_and_read_its_records(self):
        with Form(self.env["crm.lead"].with_user(self.outsider)) as form:
            form.name = "From a trade fair"
            form.email_from = "fair@example.com"
        lead = form.record
        self.assertEqual(lead.user_id, self.outsider)
        lead = lead.with_user(self.outsider)
        self.assertTrue(lead.lifecycle_history_ids)
        lead.env["lead.engagement.event"]._record_events([{"lead_id": lead.id, "type": "webinar"}])
        self.assertEqual(len(lead.engagement_event_ids), 1)
        self.assertTrue(lead.get_score_breakdown())
        # Records of a lead they may not read stay hidden from them.
        other = self.env["crm.lead"].create({"name": "Someone else's", "user_id": self.user_salesman.id,
                                             "type": "opportunity"})
        self.env["lead.engagement.event"]._record_events([{"lead_id": other.id, "type": "webinar"}])
        Event = self.env["lead.engagement.event"].with_user(self.outsider)
        self.assertFalse(Event.search([("lead_id", "=", other.id)]))
        with self.assertRaises(AccessError):
            Event.create({"lead_id": other.id, "type_id": self.env["lead.engagement.type"]._get_by_code("webinar").id})
