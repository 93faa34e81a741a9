# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The one ``create`` and the one ``write`` of crm.lead: where the life of a lead is told.

Every lead that is created or written, whatever the way it arrives (form, import, e-mail alias,
website, events, RPC, the intake API, crm's own actions), goes through these steps, in this order:

1. lifecycle   the stage: chosen by hand (checked), or implied by what crm did (converted, won, lost,
               restored); each move written to the history            crm_lead_lifecycle.py
2. contact     a new lead that duplicates an open lead or a known contact is flagged, and given to the
               qualifying rep of the lead it duplicates (phone and e-mail quality are crm's stored
               computes, parsed with the lead's country)                       crm_lead_contact.py
3. ownership   a qualifying rep for every lead marketing owns without one      crm_lead_ownership.py
4. scoring     fit + engagement score and grade, when what they read changed  crm_lead_scoring.py
5. promotion   a later stage whose entry criteria the lead now meets (score-based ones included)
                                                                               crm_lead_lifecycle.py
6. hand-off    pending hand-offs settled by the move; sales-ready leads (with a valid e-mail or phone) to
               sales when automatic
                                                                               crm_lead_handoff.py
7. SLA         the speed-to-lead or hand-off clock started, restarted for a new owner, paused, resumed
               or stopped; a first touch or sales' answer ends it              crm_lead_sla.py
8. nurture     leads that left nurture's conditions leave their track (its steps cancelled); leads
               of a nurtured grade with a track are enrolled on it             crm_lead_nurture.py
9. follow-up   every hand-off logged with its answer and its hand-off clock, for the follow-up report
                                                                               crm_lead_followup.py

Each step is a private ``_<step>_step(changes)`` method in its own file. ``changes`` says what the
pass did so far (fields written, leads moved, leads regraded); a step that moves leads runs a nested
pass for them through ``_write_pipeline``. Internal switches are arguments of these private methods,
never context keys: a client can send any context over RPC.
"""
from dataclasses import dataclass

from odoo import api, models, tools
from odoo.exceptions import AccessError

# The fields the addon adds to crm.lead that a person may write (form, import, RPC). Every other field of ours is
# written by the pipeline only, and refused in create/write (and dropped from defaults) for anyone but the
# superuser, so that no client can forge a grade, a hand-off answer, a lifecycle date or the side that decides who
# sees a lead: see CrmLead._lead_management_system_fields.
WRITABLE_FIELDS = frozenset({"lifecycle_stage_id", "qualifier_id", "marketing_consent"})
# crm's contact quality, computed from what was typed: the hand-off and the Data Quality report trust them
CRM_SYSTEM_FIELDS = frozenset({"email_normalized", "email_state", "phone_sanitized", "phone_state"})


@dataclass
class LeadChanges:
    """What one pass of the pipeline did, for the steps after it to act on."""

    fields: frozenset = frozenset()  # fields written; every field for new leads
    values: dict = None  # the values written (None for new leads)
    created: bool = False
    moved: object = None  # crm.lead: leads whose lifecycle stage changed
    rescored: object = None  # crm.lead: leads whose score or grade changed
    regraded: object = None  # crm.lead: leads whose grade changed

    @classmethod
    def of(cls, leads, **values):
        for name in ("moved", "rescored", "regraded"):
            values.setdefault(name, leads.browse())
        return cls(**values)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def default_get(self, fields):  # the name crm's mixins (utm) give it: callers may pass it by keyword
        defaults = super().default_get(fields)
        if not self.env.su:
            for fname in self._lead_management_system_fields().intersection(defaults):
                del defaults[fname]
        return self._ownership_defaults(defaults, fields)

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._lead_management_vals(vals) for vals in vals_list]
        self._check_system_fields(vals_list)
        vals_list = self._lifecycle_prepare_create(vals_list)  # 1. lifecycle: the first stage
        leads = super().create(vals_list)
        leads._lifecycle_log_created()  # 1. ... and its history row
        leads._run_pipeline(LeadChanges.of(leads, fields=frozenset(self._fields), created=True))
        return leads

    def write(self, vals):  # pylint: disable=method-required-super
        # super().write is called by _write_pipeline, once per group of leads moving to one stage.
        vals = self._lead_management_vals(vals)
        self._check_system_fields([vals])
        self._handoff_check_write(vals)  # only sales answers a hand-off: refused before anything is written
        return self._write_pipeline(vals)

    def _write_pipeline(self, vals, reason=None, by_hand=True):
        """Write ``vals`` and run the steps. ``reason`` goes to the lifecycle history of the moves this
        write makes; ``by_hand``: a stage in ``vals`` is a person's choice, checked (internal moves pass
        False)."""
        if not self:
            return super().write(vals)
        result = True
        moved = self.browse()
        # 1. lifecycle: one write per target stage, each group with its own copy (crm's write edits vals)
        for leads, lead_vals, move in self._lifecycle_plan(vals, reason, by_hand):
            result = super(CrmLead, leads).write(lead_vals)
            if move:
                moved |= leads._lifecycle_log_moves(*move)
        self._run_pipeline(LeadChanges.of(self, fields=frozenset(vals), values=vals, moved=moved))
        return result

    def _run_pipeline(self, changes):
        """Steps 2 to 9, in the order of the module docstring."""
        self._contact_step(changes)
        self._ownership_step(changes)
        self._scoring_step(changes)
        self._promotion_step(changes)
        self._handoff_step(changes)
        self._sla_step(changes)
        self._nurture_step(changes)
        self._followup_step(changes)

    @api.model
    def _lead_management_vals(self, vals):
        """``vals`` with many2one values given as records turned into ids, as crm's write accepts both (another
        addon's lost-reason flow passes ``lost_reason_id=reason``): the steps read ids."""
        if not any(isinstance(value, models.BaseModel) for value in vals.values()):
            return vals
        return {fname: value.id if isinstance(value, models.BaseModel) and fname in self._fields
                and self._fields[fname].type == "many2one" else value for fname, value in vals.items()}

    @api.model
    def _lead_management_writable_fields(self):
        """The fields of the addon (and its bridges) that people write; a bridge adds its own."""
        return WRITABLE_FIELDS

    @api.model
    @tools.ormcache()
    def _lead_management_system_fields(self):
        """Every field that only the addon's modules define on crm.lead, but the writable ones, and crm's contact
        quality: written by the pipeline only. Derived from the fields themselves, so that a field added later (a
        stored compute, a related field, a bridge's) is protected unless it is said to be writable."""
        ours = {fname for fname, field in self._fields.items()
                if field._modules and all(module.startswith("lead_management") for module in field._modules)}
        return frozenset(ours - self._lead_management_writable_fields()) | CRM_SYSTEM_FIELDS

    @api.model
    def _check_system_fields(self, vals_list):
        if self.env.su:
            return
        forbidden = self._lead_management_system_fields().intersection(fname for vals in vals_list for fname in vals)
        if forbidden:
            names = ", ".join(sorted(self._fields[fname].string for fname in forbidden))
            raise AccessError(self.env._(
                "%(fields)s cannot be written directly: Lead Management sets them itself. Use the lead's "
                "buttons instead (Hand Off to Sales, Accept, Reject) and let scoring grade the lead.",
                fields=names))
