# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import check_domain_readable, parse_lead_domain

# What every pass of the pipeline reads of a lead's stage (crm's company check, the stored side, the history's
# codes): kept in the registry's cache, so that creating a lead does not fetch its stage again.
WARM_FIELDS = ("code", "side", "company_id", "is_side_exit", "sequence", "active")


class LeadLifecycleStage(models.Model):
    _name = "lead.lifecycle.stage"
    _inherit = ["lead.cached.mixin"]
    _cached_fields = (*WARM_FIELDS, "entry_domain")  # stage lookups, promotion criteria, warm values
    _description = "Lead Lifecycle Stage"
    _order = "sequence, id"

    # Identity
    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True, index=True,
        help="Technical key that integrations and reports rely on (target, suspect, lead, qualified, "
             "prospect, customer, recycled, disqualified).")
    sequence = fields.Integer(default=10, help="Order of the stages in the lifecycle; moving to a lower "
                                               "sequence is a backward move.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the stage between companies.")
    # Agreement between marketing and sales
    definition = fields.Html(
        translate=True, sanitize=True,
        help="The behaviour-based definition both marketing and sales agreed on: shown where a stage is chosen.")
    side = fields.Selection(
        [("marketing", "Marketing"), ("sales", "Sales")], required=True, default="marketing",
        help="Who owns a lead in this stage: marketing's qualifying reps or sales.")
    is_side_exit = fields.Boolean(
        "Side Exit",
        help="Leads leave the main flow here (recycled, disqualified): moving a lead here is never a backward move.")
    fold = fields.Boolean("Folded in Kanban")
    entry_domain = fields.Char(
        "Entry Criteria",
        help="Leads that match are promoted to this stage when they change and by the scheduled action. "
             "Only forward moves of marketing-owned leads are made.")
    lead_count = fields.Integer(compute="_compute_lead_count")

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "A lifecycle stage code must be unique per company."),
    ]

    def _compute_lead_count(self):
        counts = dict(self.env["crm.lead"]._read_group(
            [("lifecycle_stage_id", "in", self.ids)], ["lifecycle_stage_id"], ["__count"]))
        for stage in self:
            stage.lead_count = counts.get(stage, 0)

    @api.constrains("code", "company_id")
    def _check_code_unique_shared(self):
        # unique (code, company_id) lets two shared stages (company NULL) have one code.
        for stage in self:
            clash = self.search_count([
                ("id", "!=", stage.id), ("code", "=", stage.code), ("company_id", "=", stage.company_id.id),
            ])
            if clash:
                raise ValidationError(self.env._(
                    "Another lifecycle stage already has the code “%(code)s”: give “%(name)s” a code of its own.",
                    code=stage.code, name=stage.name))

    @api.constrains("entry_domain")
    def _check_entry_domain(self):
        # As the user who saves it: the criteria may name only fields they can read.
        for stage in self.filtered("entry_domain"):
            check_domain_readable(self.env["crm.lead"], stage._get_entry_domain())

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        used = self.env["lead.lifecycle.history"].sudo().search(
            ["|", ("from_stage_id", "in", self.ids), ("to_stage_id", "in", self.ids)], limit=1)
        in_use = used.from_stage_id | used.to_stage_id
        in_use |= self.env["crm.lead"].sudo().with_context(active_test=False).search(
            [("lifecycle_stage_id", "in", self.ids)], limit=1).lifecycle_stage_id
        if in_use & self:
            raise UserError(self.env._(
                "Lifecycle stage “%s” has leads or history: archive it instead of deleting it, so reports keep "
                "their past.", (in_use & self)[0].name))

    def _get_entry_domain(self):
        """The entry criteria as a domain; raises a ValidationError that names the stage when they are broken."""
        self.ensure_one()
        try:
            return parse_lead_domain(self.env, self.entry_domain)
        except Exception as error:
            raise ValidationError(self.env._(
                "The entry criteria of lifecycle stage “%(stage)s” are not a valid domain on leads (%(error)s). "
                "Build them with the domain editor, e.g. [(\"email_from\", \"!=\", False)].",
                stage=self.name, error=error)) from error

    @api.model
    @tools.ormcache()
    def _get_warm_values(self):
        """{stage id: values of WARM_FIELDS, as the ORM caches them}."""
        self.flush_model(WARM_FIELDS)
        self.env.cr.execute(SQL("SELECT id, %s FROM lead_lifecycle_stage",
                                SQL(", ").join(SQL.identifier(fname) for fname in WARM_FIELDS)))
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _warm_cache(self):
        """Put WARM_FIELDS of these stages in the transaction's cache, where it has no value yet (the registry's
        cache is cleared whenever one of them is written)."""
        known = self._get_warm_values()
        stages = self.browse(stage_id for stage_id in self._ids if stage_id in known)
        for position, fname in enumerate(WARM_FIELDS):
            field = self._fields[fname]
            missing = self.browse(self.env.cache.get_missing_ids(stages, field))
            if missing:
                self.env.cache.update(missing, field, [known[stage_id][position] for stage_id in missing._ids])

    @api.model
    def _get_by_code(self, code, company=None):
        """The active stage with this code, the company's own before a shared one."""
        company = company or self.env.company
        return self.browse(self._get_id_by_code(code, company.id))

    @api.model
    @tools.ormcache("code", "company_id")
    def _get_id_by_code(self, code, company_id):
        return self.sudo().search([("code", "=", code), ("company_id", "in", [company_id, False])],
                                  order="company_id, sequence", limit=1).id

    @api.model
    def _get_first_marketing_stage(self, company):
        """Where a new lead starts: the first marketing stage of the main flow (entry criteria then promote it)."""
        return self.browse(self._get_first_marketing_stage_id(company.id))

    @api.model
    @tools.ormcache("company_id")
    def _get_first_marketing_stage_id(self, company_id):
        return self.sudo().search([("side", "=", "marketing"), ("is_side_exit", "=", False),
                                   ("company_id", "in", [company_id, False])], limit=1).id

    def action_open_leads(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lead_management.crm_lead_action_qualification_queue")
        action["domain"] = [("lifecycle_stage_id", "=", self.id)]
        action["context"] = {"default_lifecycle_stage_id": self.id}
        return action
