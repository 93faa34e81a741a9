# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka", "Soylent", "Tyrell",
    "Cyberdyne", "Aperture", "Oscorp", "Gringotts", "Monarch", "Dunder", "Sterling", "Pied Piper", "Massive Dynamic",
    "Nakatomi", "Prestige", "Virtucon", "Zorg", "Ollivander", "Bluth", "Krusty", "Duff", "Planet Express", "Vehement",
]
FIRST_NAMES = ["Ada", "Ben", "Chloé", "Dirk", "Elena", "Finn", "Greta", "Hugo", "Inès", "Jonas", "Katrien", "Lars",
               "Mila", "Noah", "Olga", "Pieter", "Rosa", "Sven", "Tess", "Ugo", "Vera", "Wout"]
NEEDS = ["wants a demo", "asks for pricing", "downloaded the ROI guide", "compares vendors", "needs 25 seats",
         "replaces spreadsheets", "asks about integrations", "plans a rollout in Q3"]
COUNTRIES = ["base.be", "base.fr", "base.de", "base.nl", "base.uk", "base.us"]
# (campaign xml id, share of the leads, quality 0..1: how far its leads tend to go)
CAMPAIGNS = [
    ("utm_campaign_demo_webinar", 0.22, 0.75),
    ("utm_campaign_demo_ads", 0.30, 0.35),
    ("utm_campaign_demo_linkedin", 0.20, 0.5),
    ("utm_campaign_demo_fair", 0.10, 0.8),
    ("utm_campaign_demo_newsletter", 0.10, 0.55),
    (None, 0.08, 0.45),
]
# Campaign xml id → (source xml id, medium xml id, monthly cost, currency xml id)
CHANNELS = {
    "utm_campaign_demo_webinar": ("utm.utm_source_newsletter", "utm.utm_medium_email", 2500, "base.USD"),
    "utm_campaign_demo_ads": ("utm.utm_source_search_engine", "utm.utm_medium_google_adwords", 4000, "base.USD"),
    "utm_campaign_demo_linkedin": ("utm.utm_source_linkedin", "utm.utm_medium_linkedin", 3000, "base.USD"),
    "utm_campaign_demo_fair": (None, "utm.utm_medium_direct", None, "base.EUR"),
    "utm_campaign_demo_newsletter": ("utm.utm_source_newsletter", "utm.utm_medium_email", None, None),
}


class LeadManagementDemo(models.AbstractModel):
    """Demo data that tells a story: twelve months of leads from five campaigns, moving through the lifecycle
    at realistic dates, handed off to a salesperson who follows up well (Sofia) and one who does not (Stan),
    some rejected and recycled, some won; campaign costs, engagement events through other campaigns.

    Leads are created and handed off through the ORM (the pipeline logs the hand-offs); their history is then
    rewritten in SQL with the dates of the story, which the ORM cannot backdate. Called once, from
    demo/lead_management_demo.xml."""

    _name = "lead.management.demo"
    _description = "Lead Management Demo Story"

    @api.model
    def _create_demo_story(self, months=12, seed=2026):
        rng = random.Random(seed)
        env = self.sudo().env
        ref = env.ref
        now = fields.Datetime.now()
        qualifiers = ref("lead_management.user_qualifier_demo") | ref("lead_management.user_qualifier_2_demo")
        sofia, stan = ref("lead_management.user_salesperson_demo"), ref("lead_management.user_salesperson_2_demo")
        stages = {stage.code: stage for stage in env["lead.lifecycle.stage"].search([("company_id", "=", False)])}
        crm_stages = env["crm.stage"].search([], order="sequence")
        won_stage = crm_stages.filtered("is_won")[:1]
        open_stages = crm_stages.filtered(lambda stage: not stage.is_won)
        reasons = env["lead.rejection.reason"].search([])
        lost_reasons = env["crm.lost.reason"].search([])
        start = (now - relativedelta(months=months - 1)).replace(day=1, hour=0, minute=0, second=0)
        self._create_demo_costs(start, now, rng)

        stories = []
        month = start
        while month <= now:
            # more leads every month: marketing is working
            for _index in range(10 + (month.year * 12 + month.month) % 7 + len(stories) // 20):
                created = month + timedelta(days=rng.uniform(0, 30), hours=rng.uniform(8, 18))
                if created >= now - timedelta(hours=2):
                    continue
                stories.append(self._demo_story(rng, created, now, qualifiers, (sofia, stan), reasons))
            month += relativedelta(months=1)

        Lead = env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        leads = Lead.create([story["values"] for story in stories])
        for lead, story in zip(leads, stories, strict=True):
            story["lead"] = lead
            self._play_demo_handoffs(lead, story)
            self._play_demo_outcome(lead, story, won_stage, open_stages, lost_reasons, rng)
            for event in story["events"]:
                env["lead.engagement.event"]._record_events([dict(event, lead_id=lead.id)])
        env.flush_all()
        env["lead.lifecycle.history"].flush_model()  # the moves the ORM logged, written before they are replaced
        self._rewrite_demo_history(stories, stages)
        env.invalidate_all()
        self._create_demo_routing(now, rng)
        self._create_demo_account(now)
        env["crm.lead"]._cron_rescore()
        return leads

    @api.model
    def _create_demo_account(self, now):
        """An account (CRM > Reporting > Accounts, and each lead's Scoring tab): four people of Kelvin Labs went
        to this week's webinar. Each of their opportunities is lukewarm (grade C); their account is A."""
        env = self.env
        company = env["res.partner"].create({"name": "Kelvin Labs", "is_company": True,
                                             "email": "info@kelvinlabs.example.com"})
        people = env["res.partner"].create([{
            "name": name, "parent_id": company.id, "email": f"{name.split()[0].lower()}@kelvinlabs.example.com"}
            for name in ("Nina Sharp", "Walter Bishop", "Astrid Farnsworth", "Phillip Broyles")])
        sofia = env.ref("lead_management.user_salesperson_demo")
        opportunities = env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True).create([{
            "name": f"Kelvin Labs: {need}", "type": "opportunity", "user_id": sofia.id,
            "team_id": sofia.sale_team_id.id or env.ref("lead_management.crm_team_demo_inbound").id,
            "partner_id": person.id, "email_from": person.email,
        } for person, need in zip(people, ("lab equipment", "a second site", "training", "support contract"),
                                  strict=True)])
        env["lead.engagement.event"]._record_events([{
            "lead_id": opportunity.id, "type": "webinar", "date": now - timedelta(days=3),
            "note": "Attended the webinar “Scaling the lab”"} for opportunity in opportunities])
        return opportunities

    @api.model
    def _create_demo_routing(self, now, rng):
        """This week's routing (CRM > Reporting > Routing, and each lead's Lead Management tab): Quentin is on
        holiday and Quinn has more open leads than the company's cap, so this week's new leads went to Rita, who joined
        this week, until she too reached the cap: the next new lead waits without owner, and says why. Three of hers
        are to be handed off, but Stan, the team's salesperson, has no room left today: they stay with marketing, and
        the lead says why."""
        env = self.env
        ref = env.ref
        quentin = ref("lead_management.user_qualifier_2_demo")
        company = env.company
        resource = env["resource.resource"].create({
            "name": quentin.name, "user_id": quentin.id, "calendar_id": company.resource_calendar_id.id,
            "company_id": company.id, "tz": quentin.tz or "UTC"})
        env["resource.calendar.leaves"].create({
            "name": "Quentin's holiday", "resource_id": resource.id, "company_id": company.id, "time_type": "leave",
            "date_from": now - timedelta(days=2), "date_to": now + timedelta(days=2)})
        # Rita's week: new leads up to the cap of open leads per rep (six when there is no cap).
        rita = ref("lead_management.user_qualifier_3_demo")
        cap = company.lead_qualifier_cap
        count = max(6, cap - env["crm.lead"].search_count([("qualifier_id", "=", rita.id),
                                                           ("lifecycle_side", "=", "marketing")])) if cap else 6
        people = [(rng.choice(COMPANIES), rng.choice(FIRST_NAMES)) for _index in range(count)]
        leads = env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True).create([{
            "name": f"{company_name}: {rng.choice(NEEDS)}", "type": "lead", "user_id": False,
            "team_id": ref("lead_management.crm_team_demo_inbound").id, "partner_name": company_name,
            "contact_name": f"{person} {company_name}",
            "email_from": f"{person.lower()}.{index}@{company_name.lower().replace(' ', '')}.example.com",
            "country_id": ref(rng.choice(COUNTRIES)).id,
        } for index, (company_name, person) in enumerate(people, start=1)])
        leads[:3].write({"lifecycle_stage_id": ref("lead_management.lifecycle_stage_qualified").id})
        leads[:3].filtered(lambda lead: not lead.handoff_date)._handoff_to_sales()
        if cap:
            # The lead that arrived after Rita reached the cap: nobody takes it ("Without owner", and why).
            leads |= env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True).create({
                "name": "Hooli: wants a demo", "type": "lead", "user_id": False,
                "team_id": ref("lead_management.crm_team_demo_inbound").id, "partner_name": "Hooli",
                "contact_name": "Greta Hooli", "email_from": "greta@hooli.example.com",
                "country_id": ref(rng.choice(COUNTRIES)).id})
        return leads

    @api.model
    def _create_demo_costs(self, start, now, rng):
        env = self.env
        values = []
        month = start
        while month <= now:
            for xmlid, (_source, _medium, monthly, currency) in CHANNELS.items():
                if monthly:
                    values.append({"campaign_id": env.ref(f"lead_management.{xmlid}").id, "date": month.date(),
                                   "name": "Media and content, %s" % month.strftime("%B %Y"),
                                   "amount": round(monthly * rng.uniform(0.8, 1.25), -1),
                                   "currency_id": env.ref(currency).id})
            month += relativedelta(months=1)
        fair = start + relativedelta(months=4, days=9)
        values.append({"campaign_id": env.ref("lead_management.utm_campaign_demo_fair").id, "date": fair.date(),
                       "name": "Booth, travel and catering", "amount": 24000, "currency_id": env.ref("base.EUR").id})
        env["lead.campaign.cost"].create(values)

    @api.model
    def _demo_story(self, rng, created, now, qualifiers, salespeople, reasons):
        """What happens to one lead: its values, its moves [(code, date, reason)], its hand-offs and outcome."""
        env = self.env
        xmlid = rng.choices([c[0] for c in CAMPAIGNS], weights=[c[1] for c in CAMPAIGNS])[0]
        quality = {c[0]: c[2] for c in CAMPAIGNS}[xmlid]
        company, person = rng.choice(COMPANIES), rng.choice(FIRST_NAMES)
        values = {
            "name": f"{company}: {rng.choice(NEEDS)}",
            "type": "lead",
            "user_id": False,
            "team_id": env.ref("lead_management.crm_team_demo_inbound").id,
            "qualifier_id": rng.choice(qualifiers).id,
            "partner_name": f"{company} {rng.choice(['Inc.', 'NV', 'GmbH', 'SAS', 'Ltd'])}",
            "contact_name": f"{person} {company}",
            "email_from": f"{person.lower()}.{rng.randint(1, 999)}@{company.lower().replace(' ', '')}.example.com",
            "phone": f"+32 470 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "country_id": env.ref(rng.choice(COUNTRIES)).id,
            "expected_revenue": round(rng.uniform(2000, 25000), -2),
        }
        campaign = env.ref(f"lead_management.{xmlid}") if xmlid else env["utm.campaign"]
        if campaign:
            source, medium = CHANNELS[xmlid][:2]
            values.update(campaign_id=campaign.id, source_id=source and env.ref(source).id,
                          medium_id=env.ref(medium).id)
        story = {"values": values, "created": created, "moves": [], "handoffs": [], "events": [], "outcome": None}
        clock = created

        def later(low, high, unit="days"):
            nonlocal clock
            clock += timedelta(**{unit: rng.uniform(low, high)})
            return clock if clock < now else None

        def move(code, when, reason):
            story["moves"].append((code, when, reason))

        # contact forms skip target and suspect
        first = "lead" if rng.random() < 0.25 else "target"
        move(first, created, "Created")
        path = ["target", "suspect", "lead", "qualified"]
        position = path.index(first)
        while position < len(path) - 1:
            if rng.random() > quality + 0.25:
                if rng.random() < 0.3 and later(2, 20):
                    move("disqualified", clock, "No fit")
                return story
            step = 2 if rng.random() < 0.2 and position < len(path) - 2 else 1  # some skip a stage
            if not later(2, 18):
                return story
            position += step
            move(path[position], clock, "Changed by the qualifying rep")
        # qualified: sales-ready ones are handed off
        for attempt in range(2):
            when = later(1, 30, "hours")
            if not when:
                return story
            salesperson = rng.choice(salespeople) if attempt == 0 else salespeople[0]
            slow = salesperson == salespeople[1]
            deadline = when + timedelta(hours=8)
            handoff = {"date": when, "user": salesperson, "deadline": deadline}
            story["handoffs"].append(handoff)
            if slow and rng.random() < 0.35:
                return story  # never followed up
            answer = later(*((6, 60) if slow else (0.5, 7)), unit="hours")
            if not answer:
                return story
            handoff["answer"] = answer
            if rng.random() < (0.25 if quality > 0.6 else 0.4):
                handoff["state"] = "rejected"
                handoff["reason"] = rng.choice(reasons)
                move("recycled", answer, "Rejected by sales")
                if rng.random() < 0.5 and later(10, 45):
                    move("lead", clock, "Nurtured: interest again")
                    if later(3, 15):
                        move("qualified", clock, "Changed by the qualifying rep")
                        continue
                return story
            handoff["state"] = "accepted"
            move("prospect", answer, "Accepted by sales")
            break
        else:
            return story
        # in the sales pipeline: multi-touch before the decision
        if story["values"].get("campaign_id") != env.ref("lead_management.utm_campaign_demo_webinar").id \
                and rng.random() < 0.5:
            when = later(1, 10)
            if when:
                story["events"].append({"type": "webinar", "date": when,
                                        "campaign": env.ref("lead_management.utm_campaign_demo_webinar")})
        closed = later(7, 50)
        if not closed:
            return story
        if rng.random() < 0.2 + quality * 0.4:
            move("customer", closed, "Won")
            story["outcome"] = ("won", closed)
        elif rng.random() < 0.6:
            move("recycled", closed, "Lost")
            story["outcome"] = ("lost", closed)
        return story

    @api.model
    def _play_demo_handoffs(self, lead, story):
        """Each hand-off and its answer through the ORM: the pipeline logs them in lead.handoff. The hand-off
        clock is written as the SLA step does (8 hours)."""
        for handoff in story["handoffs"]:
            user = handoff["user"]
            lead.write({"user_id": user.id, "handoff_user_id": user.id, "handoff_date": handoff["date"],
                        "handoff_state": "pending", "handoff_answer_date": False, "rejection_reason_id": False})
            first_touch = handoff.get("answer")
            late = first_touch and first_touch > handoff["deadline"]
            lead.write({"sla_clock": "handoff", "sla_start": handoff["date"], "sla_deadline": handoff["deadline"],
                        "sla_state": ("breached" if late else "met") if first_touch else (
                            "breached" if handoff["deadline"] < fields.Datetime.now() else "on_track"),
                        "sla_met_date": first_touch or False,
                        "sla_response_calendar_hours": first_touch and (
                            first_touch - handoff["date"]).total_seconds() / 3600.0,
                        # nights and weekends do not count: roughly 60 % of the calendar hours
                        "sla_response_hours": first_touch and round(
                            (first_touch - handoff["date"]).total_seconds() / 3600.0 * 0.6, 2)})
            if handoff.get("state"):
                lead.write({"handoff_state": handoff["state"], "handoff_answer_date": handoff["answer"],
                            "rejection_reason_id": handoff.get("reason", lead.rejection_reason_id).id,
                            "recycle_count": lead.recycle_count + (handoff["state"] == "rejected"),
                            **({"user_id": False} if handoff["state"] == "rejected" else {})})

    @api.model
    def _play_demo_outcome(self, lead, story, won_stage, open_stages, lost_reasons, rng):
        accepted = any(handoff.get("state") == "accepted" for handoff in story["handoffs"])
        if not accepted:
            return
        vals = {"type": "opportunity", "stage_id": rng.choice(open_stages[1:] or open_stages).id}
        outcome = story["outcome"]
        if outcome and outcome[0] == "won":
            vals["stage_id"] = won_stage.id
        lead.write(vals)
        if outcome and outcome[0] == "lost":
            lead.action_set_lost(lost_reason_id=rng.choice(lost_reasons).id)

    @api.model
    def _rewrite_demo_history(self, stories, stages):
        """The story's dates: creation, every move (time spent in the stage left), closing, answers."""
        cr = self.env.cr
        leads = [story["lead"] for story in stories]
        cr.execute("DELETE FROM lead_lifecycle_history WHERE lead_id = ANY(%s)", [[lead.id for lead in leads]])
        rows = []
        for story in stories:
            lead = story["lead"]
            previous, since = None, None
            for code, when, reason in story["moves"]:
                stage = stages[code]
                rows.append((lead.id, lead.company_id.id or None, previous and previous.id, previous and previous.code,
                             stage.id, stage.code, when, reason, since and (when - since).total_seconds() / 3600.0))
                previous, since = stage, when
            closed = story["outcome"][1] if story["outcome"] else None
            cr.execute("""
                UPDATE crm_lead
                   SET create_date = %s, write_date = %s, lifecycle_stage_id = %s, lifecycle_side = %s,
                       lifecycle_date = %s, date_closed = COALESCE(%s, date_closed), date_open = %s,
                       date_last_stage_update = COALESCE(%s, %s)
                 WHERE id = %s
            """, [story["created"], since, previous.id, previous.side, since, closed,
                  story["handoffs"][0]["date"] if story["handoffs"] else None, closed, since, lead.id])
        cr.execute(SQL("""
            INSERT INTO lead_lifecycle_history (lead_id, company_id, from_stage_id, from_code, to_stage_id, to_code,
                                                date, reason, hours_in_previous, user_id, create_uid, create_date,
                                                write_uid, write_date)
            VALUES %s
        """, SQL(", ").join(SQL("(%s, %s, %s, %s, %s, %s, %s, %s, %s, 1, 1, %s, 1, %s)", *row, row[6], row[6])
                            for row in rows)))
