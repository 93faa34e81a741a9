# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Each intake user (sender: a marketing tool) sees and collides with its own external ids only, finds by e-mail
only the leads it sent, and learns nothing of leads it did not send, not even that they exist (finding 11 of
issue 17)."""
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import IntakeCase

ANSWER_OF_A_NEW_LEAD = {"lifecycle_stage": "target", "grade": "D", "score": 0, "merged_into": None,
                        "duplicate_of": None}


@tagged("post_install", "-at_install")
class TestSenders(IntakeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_intake_2 = mail_new_test_user(cls.env, login="lm_intake_2", name="Irene Intake",
                                               groups="lead_management.group_lead_intake")
        cls.key_2 = cls._api_key(cls.user_intake_2)
        cls.env["ir.config_parameter"].set_param("lead_management_api.rate_limit", 0)

    def send_lead(self, external_id, email, key=None, **values):
        response = self.post("/leads", self.lead_body(external_id, email=email, **values), key=key)
        self.assertIn(response.status_code, (200, 201), response.text)
        return response

    def send_event(self, external_id, key=None, **lead):
        return self.post("/events", {"external_id": external_id, "type": "webinar", **lead}, key=key)

    def _engaged_lead(self, external_id, email):
        """A lead of the second sender with a score and grade of its own (what must never show to the first)."""
        answer = self.send_lead(external_id, email, key=self.key_2).json()
        for index in range(3):
            self.assertEqual(self.send_event(f"{external_id}-engaged-{index}", key=self.key_2,
                                        lead_external_id=external_id).status_code, 201)
        lead = self.Lead.browse(answer["id"])
        self.assertGreater(lead.lead_score, 0)
        return lead

    def _as_new(self, answer):
        return {key: value for key, value in answer.items() if key not in ("id", "external_id")}

    # ------------------------------------------------------------
    # OWN EXTERNAL IDS
    # ------------------------------------------------------------

    def test_colliding_external_ids_are_each_senders_own(self):
        mine = self.send_lead("form-1", "ada@first.example.com")
        theirs = self.send_lead("form-1", "grace@second.example.com", key=self.key_2)
        self.assertEqual((mine.status_code, theirs.status_code), (201, 201), "each its own lead")
        self.assertNotEqual(mine.json()["id"], theirs.json()["id"])
        self.assertEqual(self.Lead.browse(theirs.json()["id"]).email_from, "grace@second.example.com")
        # Events with colliding ids reach each sender's own lead.
        my_event = self.send_event("click-1", lead_external_id="form-1")
        their_event = self.send_event("click-1", key=self.key_2, lead_external_id="form-1")
        self.assertEqual((my_event.status_code, their_event.status_code), (201, 201), their_event.text)
        self.assertEqual(my_event.json()["lead"]["id"], mine.json()["id"])
        self.assertEqual(their_event.json()["lead"]["id"], theirs.json()["id"])
        Event = self.env["lead.engagement.event"]
        self.assertEqual(Event.browse(my_event.json()["id"]).lead_id.id, mine.json()["id"])
        self.assertEqual(Event.browse(their_event.json()["id"]).lead_id.id, theirs.json()["id"])
        self.assertEqual(Event.sudo().browse(their_event.json()["id"]).sender_id, self.user_intake_2)
        # Replays answer each sender its own.
        replay = self.send_lead("form-1", "ada@first.example.com", key=self.key_2)
        self.assertEqual((replay.status_code, replay.json()["id"]), (200, theirs.json()["id"]))
        replay = self.send_event("click-1", key=self.key_2, lead_external_id="form-1")
        self.assertEqual((replay.status_code, replay.json()["id"]), (200, their_event.json()["id"]))

    def test_a_replay_of_another_senders_id_learns_nothing_of_its_lead(self):
        theirs = self._engaged_lead("trial-7", "alan@second.example.com")
        response = self.send_lead("trial-7", "someone@first.example.com")
        self.assertEqual(response.status_code, 201, "its own new lead, not a replay of the other's")
        self.assertNotEqual(response.json()["id"], theirs.id)
        self.assertEqual(self._as_new(response.json()), ANSWER_OF_A_NEW_LEAD)
        response = self.send_event("peek", lead_external_id="trial-7")
        self.assertEqual(response.json()["lead"]["id"], self.Lead.search([
            ("email_from", "=", "someone@first.example.com")]).id)

    def test_events_of_odoo_and_other_modules_keep_their_companys_ids(self):
        lead = self.Lead.browse(self.send_lead("mod-1", "mod@first.example.com").json()["id"])
        Event = self.env["lead.engagement.event"]
        module_event = Event._record_events([{"lead_id": lead.id, "type": "webinar", "external_id": "shared-1"}])
        self.assertFalse(Event._record_events([{"lead_id": lead.id, "type": "webinar", "external_id": "shared-1"}]),
                         "a replay without sender adds nothing, as before")
        response = self.send_event("shared-1", lead_external_id="mod-1")
        self.assertEqual(response.status_code, 201, "the sender's id is its own, not the module's")
        self.assertNotEqual(response.json()["id"], module_event.id)

    # ------------------------------------------------------------
    # LEAD_EMAIL: ONLY THE SENDER'S OWN LEADS, NO ORACLE
    # ------------------------------------------------------------

    def test_lead_email_finds_only_the_senders_own_leads(self):
        self._engaged_lead("other-1", "known@second.example.com")
        self.Lead.create({"name": "Made in Odoo", "type": "lead", "email_from": "human@third.example.com"})
        mine = self.send_lead("own-1", "Own@First.example.com").json()
        before = self.counts()
        answers = {}
        for address in ("known@second.example.com", "human@third.example.com", "nobody@fourth.example.com"):
            response = self.send_event(f"by-mail-{address}", lead_email=address)
            self.assertEqual(response.status_code, 400, response.text)
            answers[address] = response.json()["errors"]["lead_email"].replace(address, "<address>")
        self.assertEqual(len(set(answers.values())), 1, f"the same answer for every address: {answers}")
        self.assertEqual(self.counts(), before)
        response = self.send_event("by-mail-own", lead_email="own@first.example.com")
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["lead"]["id"], mine["id"])
        # The other sender finds its own by e-mail.
        response = self.send_event("by-mail-theirs", key=self.key_2, lead_email="KNOWN@second.example.com")
        self.assertEqual(response.status_code, 201, response.text)

    # ------------------------------------------------------------
    # DUPLICATES OF LEADS THE SENDER DID NOT SEND
    # ------------------------------------------------------------

    def test_a_duplicate_of_another_senders_lead_answers_as_a_new_lead(self):
        self.assertEqual(self.company.lead_duplicate_policy, "merge")
        theirs = self._engaged_lead("b-1", "pat@shared.example.com")
        their_answer = self.send_lead("b-1", "pat@shared.example.com", key=self.key_2).json()
        control = self.send_lead("control-1", "fresh@first.example.com").json()
        response = self.send_lead("a-1", "PAT@shared.example.com", phone="+32 2 555 00 00")
        self.assertEqual(response.status_code, 201)
        answer = response.json()
        self.assertEqual(self._as_new(answer), self._as_new(control), "indistinguishable from a new lead")
        self.assertEqual(self._as_new(answer), ANSWER_OF_A_NEW_LEAD)
        self.assertNotIn(theirs.id, answer.values())
        self.assertGreater(answer["id"], control["id"], "a new lead's id")
        # It was merged all the same: sales has one lead for the person, the one that was there, kept as it was;
        # the new details are the merge note on it.
        survivor = self.Lead.search([("email_normalized", "=", "pat@shared.example.com")])
        self.assertEqual(survivor, theirs)
        self.assertEqual(survivor.intake_reference_ids.user_id, self.user_intake | self.user_intake_2)
        self.assertFalse(survivor.phone)
        self.assertTrue(survivor.message_ids.filtered(lambda message: "+32 2 555 00 00" in (message.body or "")))
        self.assertGreater(survivor.lead_score, 0, "with the other sender's engagement")
        # Replays, events by external id or by its own address: the lead as it was sent, nothing of the other.
        replay = self.send_lead("a-1", "PAT@shared.example.com", phone="+32 2 555 00 00")
        self.assertEqual((replay.status_code, replay.json()), (200, answer))
        for index, lead in enumerate(({"lead_external_id": "a-1"}, {"lead_email": "pat@shared.example.com"})):
            response = self.send_event(f"a-ev-{index}", **lead)
            self.assertEqual(response.status_code, 201, response.text)
            self.assertEqual(response.json()["lead"], dict(answer, merged_into=None))
            self.assertEqual(self.env["lead.engagement.event"].browse(response.json()["id"]).lead_id, survivor,
                             "recorded on the lead that holds the person")
        # The sender of the lead that was there is answered its receipt, as before the merge: the same lead.
        replay = self.send_lead("b-1", "pat@shared.example.com", key=self.key_2).json()
        self.assertEqual(replay, their_answer)
        self.assertEqual(their_answer["id"], theirs.id)

    def test_a_duplicate_of_a_lead_made_in_odoo_answers_as_a_new_lead(self):
        human = self.Lead.create({"name": "Made in Odoo", "type": "lead", "email_from": "kim@human.example.com",
                                  "priority": "3"})
        answer = self.send_lead("h-1", "kim@human.example.com").json()
        self.assertEqual(self._as_new(answer), ANSWER_OF_A_NEW_LEAD)
        self.assertNotEqual(answer["id"], human.id)
        self.assertEqual(human.intake_reference_ids.user_id, self.user_intake)

    def test_a_flagged_duplicate_names_only_a_lead_the_sender_sent(self):
        self._set_company(lead_duplicate_policy="flag")
        theirs = self._engaged_lead("f-b", "lee@shared.example.com")
        answer = self.send_lead("f-a", "lee@shared.example.com").json()
        lead = self.Lead.browse(answer["id"])
        self.assertEqual(lead.duplicate_of_id, theirs, "flagged for sales")
        self.assertEqual(self._as_new(answer), ANSWER_OF_A_NEW_LEAD, "but not named to this sender")
        own = self.send_lead("g-1", "own@first.example.com").json()
        again = self.send_lead("g-2", "own@first.example.com").json()
        self.assertEqual(again["duplicate_of"], own["id"], "its own lead is named, as before")

    def test_a_duplicate_of_its_own_lead_answers_as_before(self):
        first = self.send_lead("o-1", "sam@first.example.com").json()
        second = self.send_lead("o-2", "SAM@first.example.com").json()
        self.assertEqual((second["id"], second["merged_into"]), (first["id"], first["id"]))

    def test_a_merge_in_odoo_withholds_the_lead_from_the_later_sender(self):
        """crm's merge by a user: the sender of the lead that was there first keeps seeing it; the other sender's
        answers stay as it last saw its lead."""
        self._set_company(lead_duplicate_policy="allow")
        first = self.send_lead("m-a", "max@shared.example.com").json()
        later = self._engaged_lead("m-b", "max@shared.example.com")
        later_answer = self.send_lead("m-b", "max@shared.example.com", key=self.key_2).json()
        head = (self.Lead.browse(first["id"]) | later)._merge_opportunity(auto_unlink=True, max_length=0)
        self.assertEqual(self.send_lead("m-b", "max@shared.example.com", key=self.key_2).json(), later_answer)
        response = self.send_event("m-b-ev", key=self.key_2, lead_external_id="m-b")
        self.assertEqual(response.json()["lead"], dict(later_answer, merged_into=None))
        self.assertEqual(self.send_lead("m-a", "max@shared.example.com").json(), first, "a receipt")
        self.assertEqual(self.env["lead.intake.reference"].search([("external_id", "=", "m-a")]).lead_id, head)

    # ------------------------------------------------------------
    # NO ANSWER TELLS WHETHER SOMEONE ELSE HAD THE PERSON
    # ------------------------------------------------------------

    def _story(self, prefix, email):
        """What a sender is told when it sends a person, three events, the person again, and replays: with the ids
        of its own first lead and of the newest lead written as names, so two stories compare."""
        first = self.send_lead(f"{prefix}-1", email).json()
        told = [first]
        for index in range(3):
            response = self.send_event(f"{prefix}-ev-{index}", lead_external_id=f"{prefix}-1")
            self.assertEqual(response.status_code, 201, response.text)
            told.append(response.json()["lead"])
        second = self.send_lead(f"{prefix}-2", email).json()
        told += [second, self.send_lead(f"{prefix}-1", email).json(), self.send_lead(f"{prefix}-2", email).json(),
                 self.send_event(f"{prefix}-ev-9", lead_email=email).json()["lead"]]
        names = {second["id"]: "second", first["id"]: "first"}  # the second merged into the first: "first"
        return [{key: names.get(value, value) if key in ("id", "merged_into", "duplicate_of") else value
                 for key, value in answer.items() if key != "external_id"} for answer in told]

    def test_no_answer_tells_whether_another_sender_had_the_person(self):
        """Finding 11 of issue 17: a sender that sends a person twice with events between, once for a person
        another sender already had (so its lead is merged into theirs, or flagged) and once for a person nobody
        had, is told the same things; the events count all the same, on the lead sales works."""
        for policy in ("merge", "flag"):
            with self.subTest(policy=policy):
                self._set_company(lead_duplicate_policy=policy)
                taken = self._engaged_lead(f"{policy}-theirs", f"taken-{policy}@shared.example.com")
                told_taken = self._story(f"{policy}-t", f"taken-{policy}@shared.example.com")
                told_fresh = self._story(f"{policy}-f", f"fresh-{policy}@first.example.com")
                self.assertEqual(told_taken, told_fresh)
                if policy == "merge":
                    self.assertEqual(told_fresh[4]["merged_into"], "first", "its own earlier lead, as before")
                    events = self.env["lead.engagement.event"].search([("external_id", "=like", "merge-t-ev-%")])
                    self.assertEqual((len(events), events.lead_id), (4, taken), "recorded on the lead sales works")
                else:
                    self.assertEqual(told_fresh[4]["duplicate_of"], "first")

    def test_a_closed_own_lead_is_not_named_whoever_else_had_the_person(self):
        """Review of issue 17: under the flag policy, the sender's lead flagged as a duplicate of another sender's
        lead and then won, lost or archived was still named (``duplicate_of``) to the sender's next lead for the
        person, through the other's open lead; had nobody else had the person, a closed lead is named to nobody."""
        self._set_company(lead_duplicate_policy="flag")
        stage_won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        closings = {"archived": lambda lead: lead.action_archive(),
                    "lost": lambda lead: lead.action_set_lost(),
                    "won": lambda lead: lead.write({"type": "opportunity", "stage_id": stage_won.id})}
        for closing, close in closings.items():
            with self.subTest(closing=closing):
                told = []
                for kind in ("taken", "fresh"):
                    email = f"cy-{closing}-{kind}@shared.example.com"
                    if kind == "taken":
                        self._engaged_lead(f"cy-{closing}-theirs", email)
                    first = self.send_lead(f"cy-{closing}-{kind}-1", email).json()
                    close(self.Lead.browse(first["id"]))
                    told.append(self._as_new(self.send_lead(f"cy-{closing}-{kind}-2", email).json()))
                self.assertEqual(told[0], told[1])
                self.assertEqual(told[1], ANSWER_OF_A_NEW_LEAD, "a closed lead is no one's duplicate")

    def test_its_own_earlier_lead_is_found_by_what_it_sent(self):
        """Review of issue 17: the sender's earlier lead was found through the leads Odoo took the new one to
        duplicate, which another sender's lead can link: the sender sent {a, P}, someone else had {b, P}; its later
        {b} named the first lead only because of the other's lead (flag), or, merged into it, its later {a} was
        not named (merge). Found by what the sender sent, the answers are those of a world without the other."""
        for policy in ("merge", "flag"):
            with self.subTest(policy=policy):
                self._set_company(lead_duplicate_policy=policy)
                told = []
                for kind in ("taken", "fresh"):
                    a, b = f"a-{policy}-{kind}@first.example.com", f"b-{policy}-{kind}@first.example.com"
                    phone = "+3247011%02d%02d" % (len(policy), len(kind))
                    if kind == "taken":
                        self.send_lead(f"tr-{policy}-theirs", b, key=self.key_2, phone=phone)
                    first = self.send_lead(f"tr-{policy}-{kind}-1", a, phone=phone).json()
                    by_b = self.send_lead(f"tr-{policy}-{kind}-2", b).json()
                    by_a = self.send_lead(f"tr-{policy}-{kind}-3", a).json()
                    names = {first["id"]: "first"}
                    told.append([{key: names.get(value, value) if key in ("merged_into", "duplicate_of") else value
                                  for key, value in self._as_new(answer).items()} for answer in (by_b, by_a)])
                self.assertEqual(told[0], told[1])
                key = "merged_into" if policy == "merge" else "duplicate_of"
                self.assertEqual(told[1][1][key], "first", "its own earlier lead, by the address it sent")

    def test_its_own_earlier_lead_is_named_when_crm_prefers_another(self):
        """Review of issue 17: the sender's earlier lead was looked up only through the lead crm's merge would keep;
        when a user's opportunity for the same person ranked higher, the sender's second lead answered as new (no
        merged_into, no duplicate_of), telling it that someone else had the person."""
        for policy in ("merge", "flag"):
            with self.subTest(policy=policy):
                self._set_company(lead_duplicate_policy=policy)
                first = self.send_lead(f"{policy}-x1", f"lou-{policy}@shared.example.com").json()
                human = self.Lead.create({"name": "Lou's project", "type": "opportunity", "priority": "3",
                                          "email_from": f"lou-{policy}@shared.example.com"})
                second = self.send_lead(f"{policy}-x2", f"lou-{policy}@shared.example.com").json()
                lead = self.env["lead.intake.reference"].search([("external_id", "=", f"{policy}-x2")]).lead_id
                key = "merged_into" if policy == "merge" else "duplicate_of"
                self.assertEqual(second[key], first["id"], "its own earlier lead, as had nobody else had the person")
                self.assertNotIn(human.id, second.values())
                if policy == "merge":
                    self.assertEqual((second["id"], lead), (first["id"], human), "merged where crm chose")
