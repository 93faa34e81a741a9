# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Mailing opens and clicks at volume: the Email Marketing bridge's job that scores them, against Email Marketing
writing them.

On a copy of the generated CRM of N leads with lead_management_mass_mailing installed: one mailing on leads sent two
days ago to 100,000 of its open leads (all of them when N is smaller; a trace each, status sent) and one tracked link
of that mailing. Then, in each round, in one transaction rolled back at its end:

- reference: what Email Marketing itself writes for 30 % of those leads opening and 10 % clicking within the hour,
  the ORM calls of its controllers done in bulk over the same traces: the open pixel's
  ``mailing.trace.set_opened(domain=[("mail_mail_id_int", "in", ...)])`` over every opened mail at once, and the
  tracked link's ``link.tracker.click`` values created at once, then ``set_opened()`` and ``set_clicked()``;
- ours: the scheduled job ``mailing.trace._cron_lead_signals(batch_size=2000)``, its checkpoint an hour back, so it
  reads exactly those traces and clicks, records an engagement event per open and per click and rescores those
  leads. The job commits each batch: ``cr.commit`` is replaced by a counting stand-in that flushes and empties the
  ORM cache as a commit does, without COMMIT, so that the round can be rolled back (and the count shows the job made
  a transaction per batch, not per trace).

Two lines: against Email Marketing's calls as its requests make them (one per open and per click; here still in one
transaction, without HTTP, so cheaper than in life), and against its writes all at once (a floor no series of
requests reaches). Target ≤ 1.5 for both.
"""
import math
import statistics
import threading
import time
from datetime import timedelta

from common import Result, copy_db, drop_db, environment, odoo_cli, vacuum

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

CHECKPOINT = "lead_management_mass_mailing.signals_checkpoint"
MAILING = "Bench channel mailing"
BATCH_SIZE = 2000
RECIPIENTS = 100_000
TABLES = ("mailing_trace", "link_tracker_click", "crm_lead", "lead_engagement_event", "lead_scoring_state",
          "ir_config_parameter")


def build(env, recipients):
    """The mailing's traces in SQL, as its send left them (the mail.mail deleted once sent, its id kept)."""
    campaign = env["utm.campaign"].create({"name": "Bench channel campaign"})
    mailing = env["mailing.mailing"].create({
        "subject": MAILING, "mailing_type": "mail", "mailing_model_id": env["ir.model"]._get_id("crm.lead"),
        "mailing_domain": "[]", "body_html": "<p>Our pricing</p>", "campaign_id": campaign.id,
    })
    mailing.write({"state": "done", "sent_date": fields.Datetime.now() - timedelta(days=2)})
    env["link.tracker"].create({
        "url": "https://example.com/pricing", "title": "Pricing", "label": "Pricing page",
        "mass_mailing_id": mailing.id, "campaign_id": campaign.id, "source_id": mailing.source_id.id,
        "medium_id": mailing.medium_id.id,
    })
    env.flush_all()
    env.cr.execute(SQL("""
        INSERT INTO mailing_trace (trace_type, model, res_id, mass_mailing_id, campaign_id, email, message_id,
                                   mail_mail_id_int, trace_status, sent_datetime, create_uid, write_uid,
                                   create_date, write_date)
        SELECT 'mail', 'crm.lead', id, %(mailing)s, %(campaign)s, email_normalized, '<bench-' || id || '@example.com>',
               id, 'sent', now() AT TIME ZONE 'UTC' - interval '2 days', 1, 1,
               now() AT TIME ZONE 'UTC' - interval '2 days', now() AT TIME ZONE 'UTC' - interval '2 days'
          FROM (SELECT id, email_normalized FROM crm_lead
                 WHERE active AND email_normalized IS NOT NULL AND probability < 100
                 ORDER BY id LIMIT %(count)s) AS lead
    """, mailing=mailing.id, campaign=campaign.id, count=recipients))
    env.cr.commit()
    return mailing


def spread(ids, count):
    """``count`` of ``ids``, evenly spread."""
    return [ids[index * len(ids) // count] for index in range(count)] if count else []


def reference_bulk(env, opened_mail_ids, clicked_ids, code):
    """The ORM calls of mass_mailing's tracking controllers, over all the opens and clicks at once."""
    Trace = env["mailing.trace"].sudo()
    # /mail/track/<mail_id>/<token>/blank.gif
    Trace.set_opened(domain=[("mail_mail_id_int", "in", opened_mail_ids)])
    # /r/<code>/m/<trace_id>: link.tracker.click.add_click(code, ip=..., country_code=..., mailing_trace_id=...)
    tracker_code = env["link.tracker.code"].sudo().search([("code", "=", code)])
    traces = Trace.browse(clicked_ids).exists()
    env["link.tracker.click"].sudo().create([{
        "link_id": tracker_code.link_id.id, "ip": f"198.51.100.{trace.id % 250 + 1}", "mailing_trace_id": trace.id,
        "campaign_id": trace.campaign_id.id, "mass_mailing_id": trace.mass_mailing_id.id,
    } for trace in traces])
    traces.set_opened()
    traces.set_clicked()
    env.flush_all()


def reference_per_call(env, opened_mail_ids, clicked_ids, code):
    """The same calls, one per open and one per click, as each request makes them."""
    Trace = env["mailing.trace"].sudo()
    Click = env["link.tracker.click"].sudo()
    for mail_id in opened_mail_ids:
        Trace.set_opened(domain=[("mail_mail_id_int", "in", [mail_id])])
    for trace_id in clicked_ids:
        Click.add_click(code, ip=f"198.51.100.{trace_id % 250 + 1}", country_code=None, mailing_trace_id=trace_id)
    env.flush_all()


def ours(env):
    env["mailing.trace"]._cron_lead_signals(batch_size=BATCH_SIZE)
    env.flush_all()


def count_commits(cr):
    """Replace ``cr.commit`` by what a commit does to the ORM (flush, empty the transaction's cache), counted,
    without COMMIT: the round stays one transaction, rolled back."""
    commits = []

    def commit():
        commits.append(time.perf_counter())
        cr.flush()
        cr.clear()

    cr.commit = commit
    return commits


def timed(cr, function, *args):
    queries = cr.sql_log_count
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start, cr.sql_log_count - queries


def start_round(registry, cr):
    env = api.Environment(cr, SUPERUSER_ID, {})
    # The job's last run: an hour before the opens and clicks (it looks back one more hour).
    env["ir.config_parameter"].sudo().set_param(
        CHECKPOINT, fields.Datetime.to_string(fields.Datetime.now() - timedelta(hours=1)))
    env.flush_all()
    return env


def measure(registry, opened_mail_ids, clicked_ids, code):
    with registry.cursor() as cr:
        env = start_round(registry, cr)
        cr.execute("SELECT count(*) FROM lead_engagement_event")
        events_before = cr.fetchone()[0]
        reference_time, reference_queries = timed(cr, reference_bulk, env, opened_mail_ids, clicked_ids, code)
        # Ours reads the traces as the next run of the job would: nothing of them in the ORM cache.
        env.invalidate_all()
        commits = count_commits(cr)
        ours_time, ours_queries = timed(cr, ours, env)
        cr.execute("SELECT count(*) FROM lead_engagement_event")
        events = cr.fetchone()[0] - events_before
        cr.rollback()
        return {"reference": reference_time, "reference_queries": reference_queries, "ours": ours_time,
                "ours_queries": ours_queries, "events": events, "commits": len(commits)}


def measure_per_call(registry, opened_mail_ids, clicked_ids, code):
    with registry.cursor() as cr:
        env = start_round(registry, cr)
        elapsed, queries = timed(cr, reference_per_call, env, opened_mail_ids, clicked_ids, code)
        cr.rollback()
        return elapsed, queries


def run(ctx):
    db = f"{ctx.database('lm')}_channels"
    copy_db(ctx.database("lm"), db)
    try:
        return _run(ctx, db)
    finally:
        drop_db(db)


def _run(ctx, db):
    odoo_cli(db, "-i", "lead_management_mass_mailing")
    registry = odoo.modules.registry.Registry(db)
    with environment(db) as env:
        mailing = build(env, min(RECIPIENTS, ctx.size))
        code = env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)], limit=1).code
        env.cr.execute("SELECT id, mail_mail_id_int FROM mailing_trace WHERE mass_mailing_id = %s ORDER BY id",
                       [mailing.id])
        rows = env.cr.fetchall()
    opens, clicks = round(len(rows) * 0.3), round(len(rows) * 0.1)
    opened = spread(rows, opens)
    opened_mail_ids = [mail_id for __, mail_id in opened]
    clicked_ids = [trace_id for trace_id, __ in spread(opened, clicks)]
    expected_commits = math.ceil(opens / BATCH_SIZE)
    ctx.log(f"  a mailing to {len(rows)} leads: {opens} opens and {clicks} clicks within the hour")
    results, per_call = [], []
    for round_ in range(1, ctx.rounds + 1):
        vacuum(db, *TABLES)
        # The job commits its batches as in production (counted by the stand-in, see above).
        threading.current_thread().testing = False
        try:
            result = measure(registry, opened_mail_ids, clicked_ids, code)
        finally:
            threading.current_thread().testing = True
        results.append(result)
        assert result["events"] == opens + clicks, f"{result['events']} events, expected {opens + clicks}"
        assert result["commits"] <= expected_commits + 2, \
            f"{result['commits']} commits for {opens} traces: expected a commit per batch of {BATCH_SIZE}"
        vacuum(db, *TABLES)
        elapsed, _queries = measure_per_call(registry, opened_mail_ids, clicked_ids, code)
        per_call.append(elapsed)
        ctx.log(f"    round {round_}: ours {result['ours']:.2f} s ({result['ours_queries']} queries, "
                f"{result['commits']} commits, {result['events']} events), all at once {result['reference']:.2f} s, "
                f"one call each {elapsed:.2f} s")
    ours_median = statistics.median(result["ours"] for result in results)
    details = {"opens": opens, "clicks": clicks, "queries": results[-1]["ours_queries"],
               "commits": results[-1]["commits"]}
    return [
        Result("channel events (opens, clicks) vs Email Marketing's calls, one per open and click", ours_median,
               statistics.median(per_call), 1.5, details=details),
        Result("channel events (opens, clicks) vs Email Marketing's writes all at once", ours_median,
               statistics.median(result["reference"] for result in results), 1.5, details=details),
    ]
