# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The one data generator of the benchmarks: a scratch database holding N leads as a company running CRM has them.

    python3 bench/datagen.py --size 1000000 [--kind lm|crm] [--due 1000] [--rebuild]

Two kinds, built once and kept (named after the size and a fingerprint of this file and the addons' versions, so
that a change makes a new one):

- ``crm``: Odoo's crm alone (no demo data): users, three sales teams with salespeople, twenty campaigns on five
  sources and four media, and N leads and opportunities of 15 countries with their phone formats, companies, job
  titles, e-mail addresses (some invalid), revenues, open, won and lost, created over two years;
- ``lm``: the same CRM with lead_management and its intake API, and what the addon keeps about those leads: each
  lead's lifecycle path (3.4 moves on average: skipped stages, recycled leads coming back, side exits) in the
  history, its qualifying rep or salesperson, campaign costs month by month, about three engagement events a lead
  over the last year (channel events too: mailing opens and clicks naming the link, replies, website visits), the
  hand-offs with their answers, running SLA clocks and nurture enrolments of which exactly ``--due`` are due now (the
  others in ten days), ten fit rules; then one ORM pass where the addon's own state must be built: the nightly
  rescore job (fit, engagement, score and grade of every open lead).

Everything else is SQL (one INSERT … SELECT over generate_series per table), so that a million leads take minutes
on two cores. The choices per lead come from a fixed integer hash of its number and the seed: the same data every
time.
"""
import argparse
import hashlib
import os
import random
import sys
import time
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ROOT, copy_db, db_exists, drop_db, environment, odoo_cli, psql, setup_odoo, vacuum

import odoo
from odoo.tools import SQL

SEED = 20261207
CAMPAIGNS = 20
# Country, E.164 prefix, national digits after the prefix (a template: each x a digit), a city.
COUNTRIES = [
    ("ES", "34", "6xxxxxxxx", "Madrid"), ("GB", "44", "20794xxxxx", "London"), ("NL", "31", "6xxxxxxxx", "Amsterdam"),
    ("AR", "54", "911xxxxxxxx", "Buenos Aires"), ("BR", "55", "119xxxxxxxx", "São Paulo"),
    ("AE", "971", "50xxxxxxx", "Dubai"), ("IN", "91", "98xxxxxxxx", "Bengaluru"), ("SG", "65", "8xxxxxxx", "Singapore"),
    ("JP", "81", "90xxxxxxxx", "Tokyo"), ("KR", "82", "10xxxxxxxx", "Seoul"), ("CN", "86", "138xxxxxxxx", "Shanghai"),
    ("MX", "52", "55xxxxxxxx", "Mexico City"), ("US", "1", "415555xxxx", "San Francisco"),
    ("DE", "49", "30xxxxxxxx", "Berlin"), ("FR", "33", "6xxxxxxxx", "Paris"),
]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Tim", "Hedy", "Dennis", "Barbara", "Ken", "Radia",
               "Guido", "Frances", "Edsger", "Sofia", "Mateo", "Lucía", "Daan", "Sanne", "Priya", "Arjun", "Wei",
               "Yuki", "Hana", "Minjun", "Ji-woo", "Omar", "Layla", "Camila", "Thiago"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Berners-Lee", "Lamarr", "Ritchie", "Liskov",
              "Thompson", "Perlman", "van Rossum", "Allen", "Dijkstra", "García", "Fernández", "de Vries", "Jansen",
              "Sharma", "Patel", "Wang", "Li", "Sato", "Suzuki", "Kim", "Park", "Al Mansouri", "Haddad", "Silva",
              "Santos"]
COMPANY_WORDS = (["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Hooli",
                  "Vandelay", "Soylent", "Aperture", "Gringotts", "Oceanic", "Nakatomi", "Monarch", "Duff", "Dunder",
                  "Prestige", "Sirius", "Zenith", "Vertex", "Nimbus", "Quantum"],
                 ["Systems", "Industries", "Logistics", "Foods", "Energy", "Labs", "Consulting", "Retail", "Capital",
                  "Health", "Motors", "Media", "Software", "Textiles", "Pharma", "Robotics", "Bank", "Telecom",
                  "Airlines", "Construction"])
JOB_TITLES = ["CEO", "CTO", "CFO", "Head of Marketing", "Marketing Manager", "IT Manager", "Procurement Officer",
              "Sales Director", "Operations Manager", "Engineer", "Analyst", "Intern", "Consultant", "Founder",
              "VP Sales", "Office Manager"]
# Lifecycle paths (stage codes) with their weight in 100.
PATHS = [
    (30, ["target"]),
    (15, ["target", "suspect"]),
    (15, ["target", "suspect", "lead"]),
    (8, ["target", "lead", "qualified"]),
    (6, ["lead", "qualified", "prospect"]),
    (5, ["target", "suspect", "lead", "qualified", "prospect", "customer"]),
    (8, ["target", "suspect", "disqualified"]),
    (4, ["lead", "qualified", "recycled", "lead", "qualified", "prospect"]),
    (5, ["target", "suspect", "lead", "qualified", "recycled"]),
    (4, ["lead", "qualified", "prospect", "customer"]),
]
MARK = "Bench"
# h(i, k, m): a fixed hash of the lead number i for the choice k, in [0, m) (PostgreSQL's own integer hash: the same
# on every run of one PostgreSQL version).
HASH = """
    CREATE OR REPLACE FUNCTION pg_temp.h(i bigint, k int, m int) RETURNS int LANGUAGE sql IMMUTABLE AS $$
        SELECT mod(abs(hashint8(i * 7919 + k * 104729 + {seed})::bigint), m)::int
    $$
"""

MODULES = {"crm": "crm", "lm": "crm,lead_management,lead_management_api"}


def fingerprint(kind, data=True):
    """What the database was built from: the modules' versions, and (``data``) this file."""
    versions = [odoo.modules.get_manifest(name)["version"]
                for name in ("crm", "lead_management", "lead_management_api")]
    text = open(os.path.abspath(__file__), "rb").read() if data else b""
    return hashlib.sha1(text + kind.encode() + repr(versions).encode()).hexdigest()[:8]


def installed(kind, log=print):
    """A database with the modules of ``kind`` installed and no data: the start of every build, made once."""
    db = f"lmb_{kind}_empty_{fingerprint(kind, data=False)}"
    if not db_exists(db):
        older = psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE 'lmb_{kind}_empty_%'")
        for name in older.split():
            drop_db(name)
        log(f"installing {MODULES[kind]} in {db} (once)")
        subprocess_createdb(f"{db}_building")
        odoo_cli(f"{db}_building", "-i", MODULES[kind])
        copy_db(f"{db}_building", db)
        drop_db(f"{db}_building")
    return db


def database(kind, size, due):
    return f"lmb_{kind}_{size}_{due}_{fingerprint(kind)}"


def ensure(kind, size, due=1000, rebuild=False, log=print):
    """The database of ``kind`` ("crm" or "lm") with ``size`` leads, ``due`` of its clocks and nurture steps due now,
    built when missing; older builds of the same kind and size are dropped."""
    db = database(kind, size, due)
    stale = [name for name in psql("postgres", f"SELECT datname FROM pg_database WHERE datname LIKE "
                                               f"'lmb_{kind}_{size}_{due}_%'").split() if name != db]
    for name in stale:
        drop_db(name)
    if rebuild:
        drop_db(db)
    if db_exists(db):
        return db
    start = time.perf_counter()
    building = f"{db}_building"
    drop_db(building)
    log(f"building {db}: {size} leads ({kind})")
    copy_db(installed(kind, log), building)
    with environment(building) as env:
        build(env, kind, size, due, log)
        env.cr.commit()
    vacuum(building)
    copy_db(building, db)
    drop_db(building)
    log(f"built {db} in {time.perf_counter() - start:.0f} s")
    return db


def subprocess_createdb(db):
    import subprocess
    subprocess.run(["createdb", db], check=True)


# ------------------------------------------------------------
# BUILD
# ------------------------------------------------------------

def build(env, kind, size, due, log=print):
    cr = env.cr
    rng = random.Random(SEED)
    cr.execute(HASH.format(seed=SEED))
    world = organisation(env, rng, kind)
    started = time.perf_counter()
    insert_leads(env, world, size, kind)
    # Committed after each step: PostgreSQL checks again every foreign key of a row updated in the transaction that
    # inserted it (leads get their clock and enrolment after those are inserted).
    cr.commit()
    cr.execute("ANALYZE crm_lead")  # the next steps' plans need the table's statistics
    log(f"  {size} leads in {time.perf_counter() - started:.0f} s")
    if kind == "lm":
        for label, step in (("lifecycle history", insert_history), ("campaign costs", insert_costs),
                            ("engagement events", insert_events), ("hand-offs", insert_handoffs),
                            ("SLA clocks and nurture enrolments", insert_followup)):
            started = time.perf_counter()
            step(env, world, size, due)
            cr.commit()
            cr.execute("ANALYZE")
            log(f"  {label} in {time.perf_counter() - started:.0f} s")
        cr.execute("ANALYZE")
        started = time.perf_counter()
        # The one ORM pass: the first scoring of every open lead (fit rules, decayed events, grade), as the install on
        # an existing CRM does it (by ranges, in SQL; nothing is promoted or handed off: the paths above are the
        # leads' history).
        from odoo.addons.lead_management.models.crm_lead_scoring import RESCORE_BATCH_SIZE

        Lead = env["crm.lead"]
        Lead._scoring_init_existing()
        # Then what the nightly rescore stores for the next one (each lead's engagement parts, lead.scoring.state), as
        # a day of production leaves them: the first scoring leaves them to it.
        cr.execute("SELECT MIN(id), MAX(id) FROM crm_lead")
        low, high = cr.fetchone()
        for start in range(low, high + 1, RESCORE_BATCH_SIZE):
            Lead._scoring_recompute(id_range=(start, start + RESCORE_BATCH_SIZE), accounts=False)
        env.flush_all()
        log(f"  scores and grades (the first scoring) in {time.perf_counter() - started:.0f} s")
    cr.execute("SELECT count(*), count(*) FILTER (WHERE active) FROM crm_lead")
    log("  leads, open: %s, %s" % cr.fetchone())


def organisation(env, rng, kind):
    """Users, teams, campaigns and rules, through the ORM (a few records)."""
    Users = env["res.users"].with_context(no_reset_password=True, mail_create_nolog=True, tracking_disable=True)
    salesman = env.ref("sales_team.group_sale_salesman")
    salespeople = Users.create([{"name": f"{MARK} Salesperson {index}", "login": f"bench_sales_{index}",
                                 "groups_id": [(6, 0, salesman.ids)]} for index in range(12)])
    manager = Users.create({"name": f"{MARK} Sales Manager", "login": "bench_sales_manager",
                            "groups_id": [(6, 0, env.ref("sales_team.group_sale_manager").ids)]})
    teams = env["crm.team"].create([{"name": f"{MARK} {region}", "use_leads": True, "use_opportunities": True,
                                     "user_id": manager.id} for region in ("EMEA", "Americas", "APAC")])
    # Room for a day's assignment of thousands of leads (the hand-off benchmark hands off 1,000 at once).
    env["crm.team.member"].create([{"crm_team_id": teams[index % 3].id, "user_id": user.id,
                                    "assignment_max": 30000} for index, user in enumerate(salespeople)])
    world = {"company": env.company, "salespeople": salespeople.ids, "teams": teams.ids, "manager": manager}
    world["campaigns"] = env["utm.campaign"].create([{"name": f"{MARK} campaign {index:02d}"}
                                                     for index in range(CAMPAIGNS)]).ids
    world["sources"] = env["utm.source"].create([{"name": f"{MARK} {name}"} for name in
                                                 ("Website", "Trade show", "Partner", "LinkedIn", "Webinar")]).ids
    world["media"] = env["utm.medium"].create([{"name": f"{MARK} {name}"} for name in
                                               ("Email", "Paid search", "Social", "Event")]).ids
    by_code = {country.code: country.id for country in env["res.country"].search(
        [("code", "in", [code for code, *_rest in COUNTRIES])])}
    world["countries"] = [by_code[code] for code, *_rest in COUNTRIES]
    stages = env["crm.stage"].search([], order="sequence, id")
    world["open_stage"] = stages.filtered(lambda stage: not stage.is_won)[0].id
    world["won_stage"] = stages.filtered("is_won")[0].id
    world["lost_reason"] = env["crm.lost.reason"].search([], limit=1).id
    if kind == "lm":
        qualifier = env.ref("lead_management.group_lead_qualifier")
        reps = Users.create([{"name": f"{MARK} Qualifying Rep {index}", "login": f"bench_rep_{index}",
                              "groups_id": [(6, 0, qualifier.ids)]} for index in range(6)])
        Users.create({"name": f"{MARK} Lead Manager", "login": "bench_lead_manager",
                      "groups_id": [(6, 0, env.ref("lead_management.group_lead_manager").ids)]})
        env["crm.team.member"].create([{"crm_team_id": teams[index % 3].id, "user_id": user.id}
                                       for index, user in enumerate(reps)])
        world["reps"] = reps.ids
        world["stages"] = {stage.code: stage for stage in env["lead.lifecycle.stage"].search([])}
        world["grades"] = env["lead.grade"].search([]).ids
        env["lead.scoring.rule"].create([{"name": f"{MARK} rule: {name}", "domain": domain, "points": points}
                                         for name, domain, points in (
            ("decision maker", "[('function', 'in', ['CEO', 'CTO', 'CFO', 'Founder', 'VP Sales'])]", 25),
            ("marketing lead", "[('function', 'ilike', 'marketing')]", 15),
            ("no company", "[('partner_name', '=', False)]", -15),
            ("free mail", "[('email_from', 'ilike', '@gmail.com')]", -10),
            ("big deal", "[('expected_revenue', '>', 50000)]", 20),
            ("rollout countries", "[('country_id.code', 'in', ['ES', 'GB', 'NL', 'DE', 'FR'])]", 10),
            ("APAC", "[('country_id.code', 'in', ['SG', 'JP', 'KR', 'CN', 'IN'])]", 5),
            ("phone given", "[('phone', '!=', False)]", 10),
            ("starred", "[('priority', 'in', ['2', '3'])]", 10),
            ("intern", "[('function', '=', 'Intern')]", -20))])
        # Before the leads: a policy or a track made later would have the ORM recompute what depends on them, lead
        # by lead.
        world["policy"] = env["lead.sla.policy"].create({
            "name": f"{MARK} SLA", "clock": "speed", "target_hours": 4, "warning_hours": 2, "warn_owner": True,
            "escalate_to_leader": False})
        world["track"] = env["lead.nurture.track"].create({"name": f"{MARK} track", "step_ids": [
            (0, 0, {"sequence": 1, "name": "Call", "action": "activity", "delay": 1,
                    "activity_type_id": env.ref("mail.mail_activity_data_call").id}),
            (0, 0, {"sequence": 2, "name": "Rescore", "action": "rescore", "delay": 7}),
        ]})
        env["lead.engagement.type"].flush_model()
        world["types"] = {engagement_type.code: engagement_type.id
                          for engagement_type in env["lead.engagement.type"].search([])}
    env.flush_all()
    return world


def _array(values):
    return SQL("%s", list(values))


def insert_leads(env, world, size, kind):
    cr = env.cr
    path_of = []  # 100 buckets → path index
    for index, (weight, _path) in enumerate(PATHS):
        path_of += [index] * weight
    finals = [path[-1] for _weight, path in PATHS]
    columns = SQL("""name, type, active, company_id, team_id, user_id, stage_id, probability, automated_probability,
                     country_id, phone, phone_sanitized, phone_state, email_from, email_normalized, email_state,
                     contact_name, partner_name, function, expected_revenue, priority, campaign_id, source_id,
                     medium_id, lost_reason_id, create_date, write_date, date_open, date_closed,
                     date_last_stage_update, date_conversion, create_uid, write_uid""")
    addon_columns = SQL("")
    addon_values = SQL("")
    if kind == "lm":
        stages = world["stages"]
        addon_columns = SQL(", lifecycle_stage_id, lifecycle_side, lifecycle_date, qualifier_id, recycle_count")
        addon_values = SQL("""
            , (%(stage_ids)s::int[])[1 + path] , CASE WHEN final IN ('prospect', 'customer') THEN 'sales'
                                                      ELSE 'marketing' END
            , created + (%(lengths)s::int[])[1 + path] * interval '3 days'
            , CASE WHEN final IN ('prospect', 'customer') THEN NULL
                   ELSE (%(reps)s::int[])[1 + pg_temp.h(i, 11, %(nreps)s)] END
            , CASE WHEN path IN (7, 8) THEN 1 ELSE 0 END
        """, stage_ids=[stages[final].id for final in finals], lengths=[len(path) - 1 for _w, path in PATHS],
            reps=world["reps"], nreps=len(world["reps"]))
    # A phone: the country's number (its fixed digits, then digits of the hash); 4 % of them one digit short
    # (invalid: crm's phone state "incorrect", no E.164 form).
    national = SQL("c.fixed || lpad((mod(pg_temp.h(i, 5, 1000000000), (10 ^ c.nx)::int))::text, c.nx, '0')")
    phone = SQL("'+' || c.prefix || ' ' || left(%(national)s, length(%(national)s) - (pg_temp.h(i, 6, 25) = 0)::int)",
                national=national)
    cr.execute(SQL("""
        WITH c(n, id, prefix, fixed, nx) AS (SELECT * FROM unnest(%(nums)s::int[], %(countries)s::int[],
                                                                  %(prefixes)s::text[], %(fixed)s::text[],
                                                                  %(nx)s::int[])),
        base AS (
            SELECT i, (%(path_of)s::int[])[1 + pg_temp.h(i, 1, 100)] - 1 AS path,
                   now() AT TIME ZONE 'UTC' - interval '730 days' + pg_temp.h(i, 2, 730 * 24 * 60) * interval '1 minute'
                       AS created
              FROM generate_series(1, %(size)s) AS i
        ), lead AS (
            SELECT base.*, (%(finals)s::text[])[1 + path] AS final,
                   pg_temp.h(i, 3, %(ncountries)s) AS country,
                   (%(first)s::text[])[1 + pg_temp.h(i, 7, %(nfirst)s)] AS first_name,
                   (%(first_ascii)s::text[])[1 + pg_temp.h(i, 7, %(nfirst)s)] AS mailbox,
                   (%(last)s::text[])[1 + pg_temp.h(i, 8, %(nlast)s)] AS last_name,
                   CASE WHEN pg_temp.h(i, 9, 5) = 0 THEN NULL
                        ELSE (%(words1)s::text[])[1 + pg_temp.h(i, 10, %(nwords1)s)] || ' '
                             || (%(words2)s::text[])[1 + pg_temp.h(i, 12, %(nwords2)s)] END AS company,
                   pg_temp.h(i, 13, 100) AS mail_kind
              FROM base
        )
        INSERT INTO crm_lead (%(columns)s %(addon_columns)s)
        SELECT %(mark)s || ' lead ' || i || ': ' || COALESCE(company, first_name || ' ' || last_name),
               CASE WHEN final IN ('prospect', 'customer') THEN 'opportunity' ELSE 'lead' END,
               NOT (final = 'prospect' AND pg_temp.h(i, 14, 4) = 0),
               %(company)s, (%(teams)s::int[])[1 + pg_temp.h(i, 15, 3)],
               CASE WHEN final IN ('prospect', 'customer')
                    THEN (%(salespeople)s::int[])[1 + pg_temp.h(i, 16, %(nsales)s)] END,
               CASE WHEN final = 'customer' THEN %(won)s ELSE %(open)s END,
               CASE WHEN final = 'customer' THEN 100 WHEN final = 'prospect' AND pg_temp.h(i, 14, 4) = 0 THEN 0
                    ELSE 10 + pg_temp.h(i, 17, 40) END, 10,
               c.id, %(phone)s,
               CASE WHEN pg_temp.h(i, 6, 25) = 0 THEN NULL ELSE '+' || c.prefix || %(national)s END,
               CASE WHEN pg_temp.h(i, 6, 25) = 0 THEN 'incorrect' ELSE 'correct' END,
               mailbox || '.' || i || CASE WHEN mail_kind < 3 THEN '@invalid' WHEN mail_kind < 20
                    THEN '@gmail.com'
                    ELSE '@' || lower(replace(COALESCE(company, 'example'), ' ', '-')) || '.example.com'
                    END,
               CASE WHEN mail_kind < 3 THEN NULL ELSE mailbox || '.' || i || CASE WHEN mail_kind < 20
                    THEN '@gmail.com' ELSE '@' || lower(replace(COALESCE(company, 'example'), ' ', '-'))
                    || '.example.com' END END,
               CASE WHEN mail_kind < 3 THEN 'incorrect' ELSE 'correct' END,
               first_name || ' ' || last_name, company,
               (%(titles)s::text[])[1 + pg_temp.h(i, 18, %(ntitles)s)],
               (pg_temp.h(i, 19, 200) * 500)::numeric, (pg_temp.h(i, 20, 4))::text,
               CASE WHEN pg_temp.h(i, 21, 8) = 0 THEN NULL
                    ELSE (%(campaigns)s::int[])[1 + pg_temp.h(i, 22, %(ncampaigns)s)] END,
               (%(sources)s::int[])[1 + pg_temp.h(i, 23, %(nsources)s)],
               (%(media)s::int[])[1 + pg_temp.h(i, 24, %(nmedia)s)],
               CASE WHEN final = 'prospect' AND pg_temp.h(i, 14, 4) = 0 THEN %(lost_reason)s END,
               created, now() AT TIME ZONE 'UTC',
               CASE WHEN final IN ('prospect', 'customer') THEN created + interval '10 days' END,
               CASE WHEN final = 'customer' OR (final = 'prospect' AND pg_temp.h(i, 14, 4) = 0)
                    THEN created + interval '20 days' END,
               created, CASE WHEN final IN ('prospect', 'customer') THEN created + interval '10 days' END, 1, 1
               %(addon_values)s
          FROM lead JOIN c ON c.n = lead.country
         ORDER BY i
    """, nums=list(range(len(COUNTRIES))), countries=world["countries"],
        prefixes=[prefix for _code, prefix, _template, _city in COUNTRIES],
        fixed=[template.split("x")[0] for _code, _prefix, template, _city in COUNTRIES],
        nx=[template.count("x") for _code, _prefix, template, _city in COUNTRIES], national=national,
        path_of=[p + 1 for p in path_of],
        size=size, finals=finals, ncountries=len(COUNTRIES), first=FIRST_NAMES,
        first_ascii=[unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("-", "")
                     for name in FIRST_NAMES], nfirst=len(FIRST_NAMES),
        last=LAST_NAMES, nlast=len(LAST_NAMES), words1=COMPANY_WORDS[0], nwords1=len(COMPANY_WORDS[0]),
        words2=COMPANY_WORDS[1], nwords2=len(COMPANY_WORDS[1]), columns=columns, addon_columns=addon_columns,
        mark=MARK, company=world["company"].id, teams=world["teams"], salespeople=world["salespeople"],
        nsales=len(world["salespeople"]), won=world["won_stage"], open=world["open_stage"], phone=phone,
        titles=JOB_TITLES, ntitles=len(JOB_TITLES), campaigns=world["campaigns"], ncampaigns=len(world["campaigns"]),
        sources=world["sources"], nsources=len(world["sources"]), media=world["media"], nmedia=len(world["media"]),
        lost_reason=world["lost_reason"], addon_values=addon_values))
    cr.execute(SQL("SELECT min(id), max(id) FROM crm_lead WHERE name LIKE %s", f"{MARK} lead %"))
    world["first"], world["last"] = cr.fetchone()


def _lead_numbers(world):
    """SQL: each generated lead with its number i (1…N) and path, as insert_leads chose them."""
    path_of = []
    for index, (weight, _path) in enumerate(PATHS):
        path_of += [index] * weight
    return SQL("""SELECT id, id - %(first)s + 1 AS i, (%(path_of)s::int[])[1 + pg_temp.h(id - %(first)s + 1, 1, 100)]
                         AS path, create_date AS created
                    FROM crm_lead WHERE id BETWEEN %(first)s AND %(last)s""",
               first=world["first"], last=world["last"], path_of=path_of)


def insert_history(env, world, size, due):
    stages = world["stages"]
    values = SQL(", ").join(SQL("(%s, %s, %s, %s)", path_index, step, stages[code].id, code)
                            for path_index, (_weight, path) in enumerate(PATHS) for step, code in enumerate(path))
    env.cr.execute(SQL("""
        WITH path(path, step, stage_id, code) AS (VALUES %(values)s), lead AS (%(leads)s)
        INSERT INTO lead_lifecycle_history (lead_id, company_id, from_stage_id, from_code, to_stage_id, to_code, date,
                                            reason, hours_in_previous, user_id, create_uid, create_date, write_uid,
                                            write_date)
        SELECT lead.id, %(company)s, previous.stage_id, previous.code, path.stage_id, path.code,
               lead.created + path.step * interval '3 days',
               CASE WHEN path.step = 0 THEN 'Created' ELSE 'Bench move' END,
               CASE WHEN path.step > 0 THEN 72.0 END, 1, 1, lead.created, 1, lead.created
          FROM lead JOIN path ON path.path = lead.path
          LEFT JOIN path previous ON previous.path = path.path AND previous.step = path.step - 1
    """, values=values, leads=_lead_numbers(world), company=world["company"].id))


def insert_costs(env, world, size, due):
    """Each campaign's cost month by month over the two years, on its source and medium."""
    currency = world["company"].currency_id.id
    env.cr.execute(SQL("""
        INSERT INTO lead_campaign_cost (name, campaign_id, source_id, medium_id, date, company_id, currency_id, amount,
                                        create_uid, create_date, write_uid, write_date)
        SELECT 'Bench spend ' || to_char(month, 'YYYY-MM'), campaign, (%(sources)s::int[])[1 + mod(c, 5)],
               (%(media)s::int[])[1 + mod(c, 4)], month::date, %(company)s, %(currency)s,
               (500 + pg_temp.h(c * 100 + m, 30, 5000))::numeric * greatest(1, %(size)s / 100000), 1, now(), 1, now()
          FROM unnest(%(campaigns)s::int[]) WITH ORDINALITY AS campaign_row(campaign, c)
         CROSS JOIN generate_series(0, 23) AS m
         CROSS JOIN LATERAL (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') - m * interval '1 month'
                                    AS month) AS x
    """, sources=world["sources"], media=world["media"], company=world["company"].id, currency=currency,
        size=size, campaigns=world["campaigns"]))


def insert_events(env, world, size, due):
    """About three events a lead over the year before now, of the addon's types, with the notes the channels write
    (mailing clicks naming the link, replies, website visits) and the UTM values of the lead."""
    types = world["types"]
    kinds = [(types["form_fill"], "Filled the contact form", None),
             (types["download"], "Downloaded “Lead management in 2027”", None),
             (types["webinar"], "Attended “Scoring that sales trusts”", None),
             (types["email_click"], "Clicked “Pricing” in the mailing “Spring webinar”", "mailing.trace"),
             (types["visit"], "Visited /pricing", "website.track"),
             (types["email_reply"], "Replied to the mailing “Spring webinar”", "mailing.trace")]
    env.cr.execute(SQL("""
        WITH kind(k, type_id, note, channel) AS (SELECT * FROM unnest(%(ks)s::int[], %(type_ids)s::int[],
                                                                     %(notes)s::text[], %(channels)s::text[])),
        event AS (
            SELECT e, %(first)s + pg_temp.h(e, 40, %(span)s) AS lead_id, pg_temp.h(e, 41, 100) AS pick,
                   now() AT TIME ZONE 'UTC' - pg_temp.h(e, 42, 365 * 24) * interval '1 hour' AS date
              FROM generate_series(1, %(count)s) AS e
        )
        INSERT INTO lead_engagement_event (lead_id, company_id, type_id, date, external_id, note, campaign_id,
                                           source_id, medium_id, create_uid, create_date, write_uid, write_date)
        SELECT event.lead_id, %(company)s, kind.type_id, event.date,
               CASE WHEN kind.channel IS NOT NULL THEN kind.channel || ':bench:' || event.e END, kind.note,
               lead.campaign_id, lead.source_id, lead.medium_id, 1, event.date, 1, event.date
          FROM event
          JOIN kind ON kind.k = CASE WHEN event.pick < 25 THEN 0 WHEN event.pick < 40 THEN 1 WHEN event.pick < 50 THEN 2
                                     WHEN event.pick < 75 THEN 3 WHEN event.pick < 95 THEN 4 ELSE 5 END
          JOIN crm_lead lead ON lead.id = event.lead_id
    """, ks=list(range(len(kinds))), type_ids=[kind[0] for kind in kinds], notes=[kind[1] for kind in kinds],
        channels=[kind[2] for kind in kinds], first=world["first"], span=world["last"] - world["first"] + 1,
        count=3 * size, company=world["company"].id))


def insert_handoffs(env, world, size, due):
    """The hand-offs of the leads that reached sales (accepted) or were recycled (rejected), at the moment they
    reached Qualified, answered a day later; the leads keep the last one's date, state and salesperson."""
    stages = world["stages"]
    reasons = env["lead.rejection.reason"].search([]).ids
    cr = env.cr
    cr.execute(SQL("""
        WITH lead AS (%(leads)s), handed AS (
            SELECT lead.id, lead.i, lead.path, lead.created + (%(qualified_step)s::int[])[1 + lead.path]
                   * interval '3 days' AS date
              FROM lead WHERE lead.path = ANY(%(paths)s)
        )
        INSERT INTO lead_handoff (lead_id, company_id, date, user_id, qualifier_id, team_id, grade_id, state,
                                  answer_date, rejection_reason_id, sla_response_hours, sla_response_calendar_hours,
                                  sla_state, create_uid, create_date, write_uid, write_date)
        SELECT handed.id, %(company)s, handed.date, (%(salespeople)s::int[])[1 + pg_temp.h(handed.i, 16, %(nsales)s)],
               (%(reps)s::int[])[1 + pg_temp.h(handed.i, 11, %(nreps)s)],
               (%(teams)s::int[])[1 + pg_temp.h(handed.i, 15, 3)], %(grade_a)s,
               CASE WHEN handed.path = 8 THEN 'rejected' ELSE 'accepted' END, handed.date + interval '1 day',
               CASE WHEN handed.path = 8 THEN (%(reasons)s::int[])[1 + pg_temp.h(handed.i, 50, %(nreasons)s)] END,
               pg_temp.h(handed.i, 51, 16)::float, pg_temp.h(handed.i, 51, 16)::float * 1.5,
               CASE WHEN pg_temp.h(handed.i, 51, 16) < 8 THEN 'met' ELSE 'breached' END,
               1, handed.date, 1, handed.date
          FROM handed
    """, leads=_lead_numbers(world), qualified_step=[path.index("qualified") if "qualified" in path else 0
                                                     for _weight, path in PATHS],
        paths=[index for index, (_weight, path) in enumerate(PATHS) if "qualified" in path and
               ("prospect" in path or "recycled" in path)],
        company=world["company"].id, salespeople=world["salespeople"], nsales=len(world["salespeople"]),
        reps=world["reps"], nreps=len(world["reps"]), teams=world["teams"],
        grade_a=env["lead.grade"].search([("name", "=", "A")], limit=1).id, reasons=reasons, nreasons=len(reasons)))
    cr.execute("""
        UPDATE crm_lead lead SET handoff_date = handoff.date, handoff_state = handoff.state,
               handoff_answer_date = handoff.answer_date, handoff_user_id = handoff.user_id,
               rejection_reason_id = handoff.rejection_reason_id
          FROM (SELECT DISTINCT ON (lead_id) * FROM lead_handoff ORDER BY lead_id, date DESC, id DESC) AS handoff
         WHERE handoff.lead_id = lead.id
    """)
    del stages


def insert_followup(env, world, size, due):
    """A running speed-to-lead clock on a tenth of the open marketing leads and a nurture enrolment on a third (and on
    the first ``due`` of them, for a small database): of each, exactly ``due`` are due now (the first ones), the
    others in ten days."""
    cr = env.cr
    policy, track = world["policy"], world["track"]
    first_step = track.step_ids.sorted("sequence")[0]
    open_marketing = SQL("""SELECT id, qualifier_id, row_number() OVER (ORDER BY id) AS n FROM crm_lead
                             WHERE id BETWEEN %s AND %s AND active AND lifecycle_side = 'marketing'
                               AND qualifier_id IS NOT NULL""", world["first"], world["last"])
    params = {"due": due, "company": world["company"].id, "policy": policy.id, "track": track.id,
              "step": first_step.id, "open": open_marketing}
    cr.execute(SQL("""
        WITH lead AS (SELECT * FROM (%(open)s) AS open_lead WHERE mod(n, 10) = 1 OR n <= %(due)s),
        numbered AS (SELECT lead.*, row_number() OVER (ORDER BY id) AS k FROM lead),
        clock AS (
            INSERT INTO lead_sla_clock (lead_id, company_id, policy_id, clock, owner_id, start, resumed, warning_date,
                                        deadline, deadline_nominal, state, escalation, next_check, closed,
                                        create_uid, create_date, write_uid, write_date)
            SELECT id, %(company)s, %(policy)s, 'speed', qualifier_id, now() AT TIME ZONE 'UTC' - interval '3 hours',
                   now() AT TIME ZONE 'UTC' - interval '3 hours',
                   now() AT TIME ZONE 'UTC'
                       + CASE WHEN k <= %(due)s THEN interval '-1 hour' ELSE interval '10 days' END,
                   now() AT TIME ZONE 'UTC' + interval '11 days', now() AT TIME ZONE 'UTC' + interval '11 days',
                   'on_track', 0,
                   now() AT TIME ZONE 'UTC'
                       + CASE WHEN k <= %(due)s THEN interval '-1 hour' ELSE interval '10 days' END,
                   FALSE, 1, now(), 1, now()
              FROM numbered RETURNING id, lead_id, owner_id, start, deadline, warning_date
        )
        UPDATE crm_lead SET sla_clock_id = clock.id, sla_policy_id = %(policy)s, sla_clock = 'speed',
               sla_owner_id = clock.owner_id, sla_start = clock.start, sla_deadline = clock.deadline,
               sla_warning_date = clock.warning_date, sla_state = 'on_track'
          FROM clock WHERE crm_lead.id = clock.lead_id
    """, **params))
    cr.execute(SQL("""
        WITH lead AS (SELECT * FROM (%(open)s) AS open_lead WHERE mod(n, 3) = 2 OR n <= %(due)s),
        numbered AS (SELECT lead.*, row_number() OVER (ORDER BY id) AS k FROM lead),
        enrolment AS (
            INSERT INTO lead_nurture_enrolment (lead_id, company_id, track_id, state, date_start, create_uid,
                                                create_date, write_uid, write_date)
            SELECT id, %(company)s, %(track)s, 'active', now() AT TIME ZONE 'UTC' - interval '1 day', 1, now(), 1, now()
              FROM numbered RETURNING id, lead_id
        ), trace AS (
            INSERT INTO lead_nurture_trace (enrolment_id, lead_id, company_id, step_id, scheduled_date, state,
                                            create_uid, create_date, write_uid, write_date)
            SELECT enrolment.id, enrolment.lead_id, %(company)s, %(step)s,
                   now() AT TIME ZONE 'UTC' + CASE WHEN numbered.k <= %(due)s THEN interval '-1 hour'
                                                   ELSE interval '10 days' END, 'scheduled', 1, now(), 1, now()
              FROM enrolment JOIN numbered ON numbered.id = enrolment.lead_id
        )
        UPDATE crm_lead SET nurture_enrolment_id = enrolment.id FROM enrolment WHERE crm_lead.id = enrolment.lead_id
    """, **params))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--kind", choices=("lm", "crm"), default="lm")
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--config", default=os.path.join(ROOT, ".state", "odoo.conf"))
    args = parser.parse_args()
    setup_odoo(args.config)
    print(ensure(args.kind, args.size, args.due, rebuild=args.rebuild))


if __name__ == "__main__":
    main()
