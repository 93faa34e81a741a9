/** @odoo-module **/

import { registry } from "@web/core/registry";

const LEAD = "Ada at Acme reads everything";

registry.category("web_tour.tours").add("lead_management_channel_events_tour", {
    url: "/odoo/action-lead_management.crm_lead_action_qualification_queue",
    steps: () => [
        {
            content: "The qualifying rep opens the lead from the queue",
            trigger: `.o_kanban_record:contains('${LEAD}')`,
            run: "click",
        },
        {
            content: "Why this score: the Scoring tab",
            trigger: ".o_form_view .o_notebook a.nav-link:contains('Scoring')",
            run: "click",
        },
        {
            content: "The website visits, named by page",
            trigger: ".o_field_widget[name='score_explanation']:contains('Visited /pricing (3 times)')",
        },
        {
            content: "The click, naming the link and the mailing",
            trigger: ".o_field_widget[name='score_explanation']:contains('Clicked “Pricing” in the mailing “Spring webinar”')",
        },
        {
            content: "The event attended",
            trigger: ".o_field_widget[name='score_explanation']:contains('Attended Lead Management Meetup')",
        },
        {
            content: "And each event in the list below",
            trigger: ".o_field_widget[name='engagement_event_ids'] .o_data_row:contains('Visited /pricing')",
        },
    ],
});
