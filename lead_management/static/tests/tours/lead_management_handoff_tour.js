/** @odoo-module **/

import { registry } from "@web/core/registry";

const LEAD = "Acme wants a demo";

registry.category("web_tour.tours").add("lead_management_handoff_tour", {
    url: "/odoo/action-lead_management.crm_lead_action_qualification_queue",
    steps: () => [
        {
            content: "The lead waits in the qualifying rep's queue, in the Qualified column",
            trigger: `.o_kanban_group:has(.o_column_title:contains('Qualified')) .o_kanban_record:contains('${LEAD}')`,
            run: "click",
        },
        {
            content: "The stage's agreed definition is at hand",
            trigger: ".o_form_view .alert-info:contains('fit our solutions')",
        },
        {
            content: "Hand the lead off to sales",
            trigger: ".o_form_view button[name='action_handoff_to_sales']",
            run: "click",
        },
        {
            content: "The lead now awaits the salesperson's answer",
            trigger: ".o_form_view .alert-warning:contains('awaiting the salesperson')",
        },
    ],
});

registry.category("web_tour.tours").add("lead_management_reject_tour", {
    url: "/odoo/action-lead_management.crm_lead_action_handed_off",
    steps: () => [
        {
            content: "The salesperson finds the lead handed off to them",
            trigger: `.o_data_row:contains('${LEAD}') td[name='name']`,
            run: "click",
        },
        {
            content: "Reject it",
            trigger: ".o_form_view button[name='action_reject_handoff']",
            run: "click",
        },
        {
            content: "Choose a reason",
            trigger: ".modal .o_field_widget[name='rejection_reason_id'] input",
            run: "edit Not ready",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Not ready to buy')",
            run: "click",
        },
        {
            content: "Say what would make it worth following up",
            trigger: ".modal .o_field_widget[name='note'] textarea",
            run: "edit Call again after their budget round in Q3",
        },
        {
            trigger: ".modal button[name='action_reject']",
            run: "click",
        },
        {
            content: "The lead is recycled, back with marketing",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains('Recycled')",
        },
    ],
});

registry.category("web_tour.tours").add("lead_management_recycled_tour", {
    url: "/odoo/action-lead_management.crm_lead_action_qualification_queue",
    steps: () => [
        {
            content: "The lead is back in the qualifying rep's queue, as recycled",
            trigger: `.o_kanban_group:has(.o_column_title:contains('Recycled')) .o_kanban_record:contains('${LEAD}')`,
            run: "click",
        },
        {
            content: "Sales' answer is on the lead",
            trigger: ".o_form_view .o_notebook .nav-link:contains('Lead Management')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='rejection_reason_id']:contains('Not ready to buy')",
        },
    ],
});
